using OpenSslTls.Configuration;
using OpenSslTls.Profiles;
using OpenSslTls.Errors;

namespace OpenSslTls.Tests.Configuration;

/// <summary>Shortcuts for reading tls.cfg text in tests: a fixed file name and main configuration directory.</summary>
internal static class CfgTestSupport
{
    public const string File = "tls.cfg";
    public const string MainDirectory = "/etc/kamailio";

    public static TlsConfigDocument Parse(string text) => TlsConfigReader.Parse(text, File, MainDirectory);

    public static TlsProfileDefinition Single(string text) => Assert.Single(Parse(text).Profiles);

    public static TlsProfileSettings Server(string keys) => Single("[server:default]\n" + keys).Settings;

    /// <summary>The errors reading <paramref name="text"/> raises, each as "line:column: message".</summary>
    public static List<string> Errors(string text)
    {
        var error = Assert.Throws<TlsConfigurationException>(() => Parse(text));
        Assert.All(error.Errors, e => Assert.Equal(File, e.File));
        return [.. error.Errors.Select(e => $"{e.Line}:{e.Column}: {e.Message}")];
    }

    /// <summary>The single error reading <paramref name="text"/> raises, as "line:column: message".</summary>
    public static string Error(string text) => Assert.Single(Errors(text));
}
