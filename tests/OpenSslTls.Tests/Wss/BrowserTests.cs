using System.Text.RegularExpressions;

namespace OpenSslTls.Tests.Wss;

/// <summary>
/// A real browser (headless Chromium): the status page, loaded over HTTPS from serve, opens a <c>wss:</c> SIP
/// connection, sends OPTIONS and writes the reply's status line into its DOM, and fills itself from the live view.
/// </summary>
public sealed partial class BrowserTests
{
    [SkippableFact]
    public async Task Chromium_loads_the_status_page_over_https_sends_OPTIONS_over_wss_and_shows_the_200()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Debian's Chromium and the Linux build of serve");
        HeadlessChromium.Require();
        using WssServe serve = await WssServe.StartAsync("--status-page");
        using HeadlessChromium browser = await HeadlessChromium.OpenAsync($"https://127.0.0.1:{serve.Port}/status", serve.SpkiSha256());
        string dom = await browser.WaitForDomAsync(
            dom => SipStatus().IsMatch(dom) && dom.Contains("<span id=\"live-state\" class=\"live\">live</span>", StringComparison.Ordinal) && OpenedConnections().IsMatch(dom),
            WssServe.Wait);

        Assert.True(int.Parse(OpenedConnections().Match(dom).Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) >= 1, dom);
        Assert.Matches(new Regex(@"<pre id=""sip-reply"">SIP/2\.0 200 OK\s+Via: SIP/2\.0/WSS [0-9a-f]+\.invalid;branch=z9hG4bK[0-9a-f]+;rport=\d+;received=127\.0\.0\.1"), dom);
        Assert.Matches(new Regex(@"To: &lt;sip:127\.0\.0\.1&gt;;tag=[0-9a-f]+"), dom);
        // The browser's own connections went through serve's module: logged with their TLS facts.
        await serve.Process.WaitForAsync(new Regex(@"connection \d+ from 127\.0\.0\.1:\d+: TLSv1\.3"), WssServe.Wait);

        byte[] png = await browser.ScreenshotAsync();
        string screenshot = Path.Combine(serve.Directory, "status.png");
        await File.WriteAllBytesAsync(screenshot, png);
        Assert.True(new FileInfo(screenshot).Length > 1000, $"screenshot of {png.Length} bytes");
        Assert.Equal(new byte[] { 0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A }, File.ReadAllBytes(screenshot)[..8]);
    }

    [GeneratedRegex(@"<span id=""sip-status"">SIP/2\.0 200 OK</span>")]
    private static partial Regex SipStatus();

    [GeneratedRegex(@"<dd id=""info-opened_connections"">(\d+)</dd>")]
    private static partial Regex OpenedConnections();
}
