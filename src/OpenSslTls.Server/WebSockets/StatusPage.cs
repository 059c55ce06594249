using System.Net;
using System.Net.WebSockets;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace OpenSslTls.SipEndpoint.WebSockets;

/// <summary>
/// The operators' status page: <c>/status</c> (HTML, its script and style, embedded in the assembly: no external
/// assets) and, at the same path, a WebSocket with the <c>openssltls.status</c> subprotocol that pushes a
/// <see cref="StatusSnapshot"/> every refresh interval. Read-only: GET and HEAD only, nothing received is acted on.
/// Loopback peers only unless <see cref="StatusPageOptions.AllowRemote"/>; to others it does not exist (404).
/// </summary>
internal sealed class StatusPage
{
    private const string ResourcePrefix = "OpenSslTls.SipEndpoint.StatusPage.";

    private static readonly Dictionary<string, (string Resource, string ContentType)> s_files = new(StringComparer.Ordinal)
    {
        [StatusPageOptions.Path] = ("status.html", "text/html; charset=utf-8"),
        [StatusPageOptions.Path + "/status.js"] = ("status.js", "text/javascript; charset=utf-8"),
        [StatusPageOptions.Path + "/status.css"] = ("status.css", "text/css; charset=utf-8"),
    };

    private readonly StatusPageOptions _options;
    private readonly Func<string> _snapshot;
    private readonly ILogger _logger;

    public StatusPage(StatusPageOptions options, Func<string> snapshot, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(snapshot);
        _options = options;
        _snapshot = snapshot;
        _logger = logger;
    }

    /// <summary>Whether <paramref name="path"/> belongs to the page (everything else is the SIP WebSocket's).</summary>
    public static bool Handles(PathString path) => path.StartsWithSegments(StatusPageOptions.Path, StringComparison.Ordinal);

    /// <summary>An embedded file of the page, or null (tests read them too).</summary>
    public static string? Resource(string name)
    {
        using Stream? stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourcePrefix + name);
        if (stream is null)
        {
            return null;
        }

        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    public async Task HandleAsync(HttpContext context, CancellationToken stopping)
    {
        ArgumentNullException.ThrowIfNull(context);
        HttpResponse response = context.Response;
        if (!_options.AllowRemote && !(IsLoopback(context.Connection.RemoteIpAddress) && IsLoopback(context.Connection.LocalIpAddress)))
        {
            WebSocketLog.StatusPageRefused(_logger, context.Connection.RemoteIpAddress);
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        string path = context.Request.Path.Value ?? string.Empty;
        if (path == StatusPageOptions.Path && context.WebSockets.IsWebSocketRequest)
        {
            await LiveAsync(context, stopping).ConfigureAwait(false);
            return;
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            response.Headers.Allow = "GET, HEAD";
            return;
        }

        if (!s_files.TryGetValue(path.TrimEnd('/'), out (string Resource, string ContentType) file) || Resource(file.Resource) is not { } text)
        {
            response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        response.ContentType = file.ContentType;
        response.Headers.CacheControl = "no-store";
        response.Headers.XContentTypeOptions = "nosniff";
        response.Headers.XFrameOptions = "DENY";
        response.Headers["Referrer-Policy"] = "no-referrer";
        // Same-origin script, style and WebSocket only: the page needs nothing else.
        response.Headers.ContentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
        byte[] body = Encoding.UTF8.GetBytes(text);
        response.ContentLength = body.Length;
        if (HttpMethods.IsGet(context.Request.Method))
        {
            await response.Body.WriteAsync(body, context.RequestAborted).ConfigureAwait(false);
        }
    }

    /// <summary>Pushes a snapshot at once and then every refresh interval until the browser leaves or the server stops.</summary>
    private async Task LiveAsync(HttpContext context, CancellationToken stopping)
    {
        if (!context.WebSockets.WebSocketRequestedProtocols.Contains(StatusPageOptions.Subprotocol, StringComparer.Ordinal))
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            await context.Response.WriteAsync($"the live status view needs the WebSocket subprotocol '{StatusPageOptions.Subprotocol}'\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync(new WebSocketAcceptContext { SubProtocol = StatusPageOptions.Subprotocol }).ConfigureAwait(false);
        using var ended = CancellationTokenSource.CreateLinkedTokenSource(stopping, context.RequestAborted);
        Task reading = ReadUntilClosedAsync(socket, ended);
        try
        {
            using var timer = new PeriodicTimer(_options.RefreshInterval);
            do
            {
                byte[] snapshot = Encoding.UTF8.GetBytes(_snapshot());
                await socket.SendAsync(snapshot, WebSocketMessageType.Text, endOfMessage: true, ended.Token).ConfigureAwait(false);
            }
            while (await timer.WaitForNextTickAsync(ended.Token).ConfigureAwait(false));
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // The browser left, or the server stops.
        }

        if (socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            try
            {
                await socket.CloseOutputAsync(stopping.IsCancellationRequested ? WebSocketCloseStatus.EndpointUnavailable : WebSocketCloseStatus.NormalClosure, null, limit.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
            {
                // Gone already.
            }
        }

        await ended.CancelAsync().ConfigureAwait(false);
        await reading.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    /// <summary>Reads (and ignores: the view is read-only) until the browser's close frame, then ends the push loop.</summary>
    private static async Task ReadUntilClosedAsync(WebSocket socket, CancellationTokenSource ended)
    {
        byte[] sink = new byte[256];
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult result = await socket.ReceiveAsync(sink.AsMemory(), ended.Token).ConfigureAwait(false);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or WebSocketException or IOException)
        {
            // Gone.
        }

        await ended.CancelAsync().ConfigureAwait(false);
    }

    private static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
