using OpenSslTls.SipEndpoint.Hosting;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>serve's choice of where socket continuations run: inline unless the environment already decides.</summary>
public sealed class SocketCompletionsTests
{
    [Fact]
    public void Unset_turns_inline_completions_on()
    {
        var environment = new Dictionary<string, string>();
        Assert.True(SocketCompletions.Apply(name => environment.GetValueOrDefault(name), (name, value) => environment[name] = value));
        Assert.Equal("1", environment[SocketCompletions.InlineVariable]);
    }

    [Theory]
    [InlineData("0", false)]
    [InlineData("1", true)]
    [InlineData("", false)]
    public void A_value_already_set_is_left_alone(string value, bool inline)
    {
        var environment = new Dictionary<string, string> { [SocketCompletions.InlineVariable] = value };
        Assert.Equal(inline, SocketCompletions.Apply(name => environment.GetValueOrDefault(name), (name, written) => environment[name] = written));
        Assert.Equal(value, environment[SocketCompletions.InlineVariable]);
    }
}
