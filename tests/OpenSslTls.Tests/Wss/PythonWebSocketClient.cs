using System.Diagnostics;
using System.Text.Json;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Wss;

/// <summary>
/// A real WebSocket client that is not .NET: Python's <c>websockets</c> (Debian's python3-websockets, under
/// /usr/bin/python3, not a pyenv python on PATH), connecting over wss and trusting only the test's certificate. Each
/// run prints one JSON object per line: what it saw.
/// </summary>
internal static class PythonWebSocketClient
{
    public const string Python = "/usr/bin/python3";

    private const string Script = """
        import asyncio, json, ssl, sys
        import websockets

        def out(**fields):
            print(json.dumps(fields), flush=True)

        def options(number, content_length=True):
            lines = ["OPTIONS sip:127.0.0.1;transport=ws SIP/2.0",
                     "Via: SIP/2.0/WSS py%d.invalid;branch=z9hG4bKpy%d;rport" % (number, number),
                     "Max-Forwards: 70",
                     "From: <sip:python@py.invalid>;tag=py%d" % number,
                     "To: <sip:127.0.0.1>",
                     "Call-ID: python-call-%d" % number,
                     "CSeq: %d OPTIONS" % number]
            if content_length:
                lines.append("Content-Length: 0")
            return "\r\n".join(lines) + "\r\n\r\n"

        async def replies_until_closed(ws, timeout=10):
            try:
                while True:
                    message = await asyncio.wait_for(ws.recv(), timeout)
                    out(reply=message if isinstance(message, str) else message.decode(), binary=not isinstance(message, str))
            except websockets.exceptions.ConnectionClosed as closed:
                # rcvd: the close frame the server sent (websockets 10 and later alike)
                out(closed=closed.rcvd.code if closed.rcvd else None, reason=closed.rcvd.reason if closed.rcvd else None)

        async def main(mode, uri, ca, argument):
            context = ssl.create_default_context(cafile=ca)
            protocols = [argument] if mode == "refuse" else ["sip"]
            try:
                ws = await websockets.connect(uri, ssl=context, subprotocols=protocols, open_timeout=20, max_size=None)
            except websockets.exceptions.InvalidHandshake as refused:
                # InvalidStatusCode.status_code (websockets 10), InvalidStatus.response.status_code (13 and later)
                status = getattr(refused, "status_code", None) or getattr(getattr(refused, "response", None), "status_code", None)
                if status is None:
                    raise
                out(refused=status)
                return
            out(subprotocol=ws.subprotocol, local_port=ws.local_address[1])
            if mode == "exchange":
                # RFC 7118: one message per WebSocket message, text or binary, Content-Length optional.
                await ws.send(options(1))
                first = await asyncio.wait_for(ws.recv(), 10)
                out(reply=first, binary=not isinstance(first, str))
                await ws.send(options(2, content_length=False).encode())
                second = await asyncio.wait_for(ws.recv(), 10)
                out(reply=second.decode() if isinstance(second, bytes) else second, binary=isinstance(second, bytes))
                await ws.close()
                out(closed=ws.close_code)
            elif mode == "send":
                await ws.send(bytes.fromhex(argument))
                await replies_until_closed(ws)
            elif mode == "send-text":
                await ws.send(argument)
                await replies_until_closed(ws)
            elif mode == "send-file":
                with open(argument, encoding="utf-8", newline="") as message:  # CRLF kept as sent
                    await ws.send(message.read())
                await replies_until_closed(ws)
            elif mode == "hold":
                await ws.send(options(1))
                out(reply=await asyncio.wait_for(ws.recv(), 10))
                await replies_until_closed(ws, 120)
            else:
                out(accepted=ws.subprotocol)
                await ws.close()

        asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 else ""))
        """;

    /// <summary>Whether python3-websockets is there (skip, or under build.sh test fail, otherwise).</summary>
    public static void Require()
    {
        bool present = File.Exists(Python) && ProcessRunner.Run(Python, ["-c", "import websockets"], TimeSpan.FromSeconds(30)).ExitCode == 0;
        Prerequisites.Require(present, "Python's websockets (Debian python3-websockets for /usr/bin/python3) is not installed");
    }

    /// <summary>Runs the client in <paramref name="mode"/> (exchange, refuse PROTOCOL, send HEX, send-text TEXT, send-file FILE: one text message) against serve's listener; returns its JSON lines.</summary>
    public static IReadOnlyList<JsonElement> Run(WssServe serve, string mode, string argument = "")
    {
        string script = Path.Combine(serve.Directory, "client.py");
        File.WriteAllText(script, Script);
        (int exit, string output, string errors) = ProcessRunner.Run(Python, [script, mode, $"wss://127.0.0.1:{serve.Port}/", serve.Certificate, argument], TimeSpan.FromSeconds(60));
        Assert.True(exit == 0, $"python websockets client ({mode}) exited {exit}: {errors}{output}");
        return [.. output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(line => JsonDocument.Parse(line).RootElement.Clone())];
    }

    /// <summary>Starts the client in hold mode: it connects, exchanges one OPTIONS and stays connected until the server closes (it prints how).</summary>
    public static Process StartHolding(WssServe serve)
    {
        string script = Path.Combine(serve.Directory, "client.py");
        File.WriteAllText(script, Script);
        var start = new ProcessStartInfo(Python)
        {
                        RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in (string[])[script, "hold", $"wss://127.0.0.1:{serve.Port}/", serve.Certificate])
        {
            start.ArgumentList.Add(argument);
        }

        return Process.Start(start) ?? throw new InvalidOperationException("cannot start python3");
    }
}
