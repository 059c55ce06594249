namespace OpenSslTls.Tests.AspNetCore;

/// <summary>Waits for something the server does after the client is gone (a log line, a closed socket).</summary>
internal static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string failure, TimeSpan? within = null)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(clock.Elapsed < (within ?? TimeSpan.FromSeconds(10)), failure);
            await Task.Delay(20);
        }
    }
}
