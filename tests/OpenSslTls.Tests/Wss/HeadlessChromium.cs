using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Wss;

/// <summary>
/// Debian's headless Chromium driven over its DevTools protocol: a fresh temporary profile, the test certificate
/// trusted by its key alone (<c>--ignore-certificate-errors-spki-list</c>, which Chromium honours only with its own
/// user data directory), <c>--no-sandbox</c> as root, every wait bounded, and every process it started killed at the
/// end. DevTools rather than <c>--dump-dom</c>: virtual time does not wait for WebSocket traffic, so a dump under load
/// could catch the page before its replies came; polling the DOM waits for them in real time, within a limit.
/// </summary>
internal sealed partial class HeadlessChromium : IDisposable
{
    public const string Program = "/usr/bin/chromium";

    private readonly Process _process;
    private readonly string _profile;
    private readonly StringBuilder _errors = new();
    private readonly Lock _gate = new();
    private ClientWebSocket? _devTools;
    private int _lastCommand;

    private HeadlessChromium(Process process, string profile)
    {
        _process = process;
        _profile = profile;
    }

    /// <summary>Chromium is a Debian package of the host; the Debian 13 root of CI has none (too large to add).</summary>
    public static void Require()
    {
        if (File.Exists("/.openssltls-root") && !File.Exists(Program))
        {
            Skip.If(true, "the Debian 13 (OpenSSL 3.5) root has no Chromium; the browser tests run on the host");
        }

        Prerequisites.Require(File.Exists(Program), "Chromium (Debian package chromium) is not installed");
    }

    /// <summary>Starts Chromium on <paramref name="url"/> and attaches to the page over DevTools.</summary>
    public static async Task<HeadlessChromium> OpenAsync(string url, string spkiSha256)
    {
        string profile = Directory.CreateTempSubdirectory("openssltls-chromium-").FullName;
        var start = new ProcessStartInfo(Program) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        string[] arguments =
        [
            "--headless", "--disable-gpu", "--no-first-run", "--no-default-browser-check", "--disable-extensions",
            "--disable-background-networking", "--disable-sync", "--disable-dev-shm-usage", "--mute-audio",
            "--window-size=1100,1400", "--remote-debugging-port=0", $"--user-data-dir={profile}",
            $"--ignore-certificate-errors-spki-list={spkiSha256}", .. Environment.UserName == "root" ? (string[])["--no-sandbox"] : [], url,
        ];
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var browser = new HeadlessChromium(Process.Start(start) ?? throw new InvalidOperationException("cannot start chromium"), profile);
        try
        {
            browser._process.ErrorDataReceived += (_, e) => browser.Append(e.Data);
            browser._process.OutputDataReceived += (_, e) => browser.Append(e.Data);
            browser._process.BeginErrorReadLine();
            browser._process.BeginOutputReadLine();
            await browser.AttachAsync();
            return browser;
        }
        catch
        {
            browser.Dispose();
            throw;
        }
    }

    /// <summary>The page's DOM (outerHTML) once <paramref name="ready"/> holds for it, polling up to <paramref name="timeout"/>; throws with the last DOM otherwise.</summary>
    public async Task<string> WaitForDomAsync(Func<string, bool> ready, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        string dom = string.Empty;
        while (DateTime.UtcNow < deadline)
        {
            // While the page is still loading there may be no document yet (no value, or an exception): poll again.
            JsonElement result = await SendAsync("Runtime.evaluate", new { expression = "document.documentElement ? document.documentElement.outerHTML : ''", returnByValue = true });
            dom = result.TryGetProperty("result", out JsonElement value) && value.TryGetProperty("value", out JsonElement text) && text.ValueKind == JsonValueKind.String
                ? text.GetString()!
                : string.Empty;
            if (ready(dom))
            {
                return dom;
            }

            await Task.Delay(200);
        }

        throw new TimeoutException($"the page did not get there within {timeout.TotalSeconds} s; its DOM:{Environment.NewLine}{dom}");
    }

    /// <summary>A PNG screenshot of the page as it is now.</summary>
    public async Task<byte[]> ScreenshotAsync()
    {
        JsonElement result = await SendAsync("Page.captureScreenshot", new { format = "png" });
        return Convert.FromBase64String(result.GetProperty("data").GetString()!);
    }

    public void Dispose()
    {
        _devTools?.Dispose();
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
            // Gone already.
        }

        _process.Dispose();
        KillLeftovers(_profile);
        try
        {
            Directory.Delete(_profile, recursive: true);
        }
        catch (IOException)
        {
            // A process that was still ending held a file; the temporary directory is left.
        }
    }

    private async Task AttachAsync()
    {
        // Chromium prints "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/…" once its port is open.
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        Match listening;
        while (!(listening = DevToolsLine().Match(Errors)).Success)
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                throw new TimeoutException($"chromium opened no DevTools port (exited: {_process.HasExited}):{Environment.NewLine}{Errors}");
            }

            await Task.Delay(100);
        }

        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
        string? pageUrl = null;
        while (pageUrl is null)
        {
            using JsonDocument targets = JsonDocument.Parse(await http.GetStringAsync(new Uri($"http://127.0.0.1:{listening.Groups[1].Value}/json/list")));
            pageUrl = targets.RootElement.EnumerateArray().FirstOrDefault(target => target.GetProperty("type").GetString() == "page") is { ValueKind: JsonValueKind.Object } page
                ? page.GetProperty("webSocketDebuggerUrl").GetString()
                : null;
            if (pageUrl is null)
            {
                Assert.True(DateTime.UtcNow < deadline, "chromium shows no page target");
                await Task.Delay(100);
            }
        }

        _devTools = new ClientWebSocket();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _devTools.ConnectAsync(new Uri(pageUrl), limit.Token);
    }

    /// <summary>One DevTools command and its result (events in between are skipped).</summary>
    private async Task<JsonElement> SendAsync(string method, object parameters)
    {
        int id = ++_lastCommand;
        byte[] command = JsonSerializer.SerializeToUtf8Bytes(new { id, method, @params = parameters });
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _devTools!.SendAsync(command, WebSocketMessageType.Text, endOfMessage: true, limit.Token);
        byte[] buffer = new byte[1 << 20];
        while (true)
        {
            using var message = new MemoryStream();
            WebSocketReceiveResult received;
            do
            {
                received = await _devTools.ReceiveAsync(buffer, limit.Token);
                message.Write(buffer, 0, received.Count);
            }
            while (!received.EndOfMessage);

            using JsonDocument reply = JsonDocument.Parse(message.ToArray());
            if (reply.RootElement.TryGetProperty("id", out JsonElement replyId) && replyId.GetInt32() == id)
            {
                Assert.False(reply.RootElement.TryGetProperty("error", out JsonElement error), $"{method}: {error}");
                return reply.RootElement.GetProperty("result").Clone();
            }
        }
    }

    private string Errors
    {
        get
        {
            lock (_gate)
            {
                return _errors.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_gate)
            {
                _errors.AppendLine(line);
            }
        }
    }

    /// <summary>Kills, by pid, every process still running with this run's own profile directory on its command line.</summary>
    private static void KillLeftovers(string profile)
    {
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out int pid))
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Contains(profile, StringComparison.Ordinal))
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill(entireProcessTree: true);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Gone meanwhile, or not ours to read.
            }
        }
    }

    [GeneratedRegex(@"DevTools listening on ws://127\.0\.0\.1:(\d+)/")]
    private static partial Regex DevToolsLine();
}
