#!/usr/bin/env python3
"""RSS a `serve` process spends per connection before the handshake (issue 15 item 7).

Starts `openssltls serve` on loopback, warms it up with a few full handshakes (openssl s_client), then holds
N connections of one kind at a time and reads the server's VmRSS from /proc before and after:
  silent     connect and send nothing
  oversized  send one 9-byte record declaring a 131,396-byte ClientHello, then nothing
Connections come from 127.0.0.2.. in groups of --per-address (so a per-address limit does not refuse them).

  bench/prehandshake-rss.py [--server PATH/openssltls] [--connections N] [--per-address K]
"""
import argparse, os, socket, subprocess, sys, tempfile, time

# handshake, TLS 1.0 record version, length 4; ClientHello, declared length 0x020140 = 131,392 (+4 header = 131,396)
OVERSIZED = bytes([0x16, 0x03, 0x01, 0x00, 0x04, 0x01, 0x02, 0x01, 0x40])


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def settle(pid, seconds=1.5):
    time.sleep(seconds)
    return rss_kb(pid)


def hold(port, n, per_address, payload):
    socks = []
    for i in range(n):
        s = socket.socket()
        s.bind((f"127.0.0.{2 + i // per_address}", 0))
        s.connect(("127.0.0.1", port))
        if payload:
            s.sendall(payload)
        socks.append(s)
    return socks


def handshake(port):
    subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}"], input=b"",
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=10)


def main():
    ap = argparse.ArgumentParser()
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--server", default=os.path.join(here, "..", "src/OpenSslTls.Server/bin/Release/net10.0/openssltls"))
    ap.add_argument("--connections", type=int, default=4000)
    ap.add_argument("--per-address", type=int, default=200)
    ap.add_argument("--port", type=int, default=25061)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    results = {}
    for kind, payload in (("silent", b""), ("oversized", OVERSIZED)):
        per = []
        for _ in range(args.rounds):
            # A fresh server each round: memory freed by an earlier round would be reused and hide the cost.
            per.append(measure(args, payload))
        results[kind] = per
        print(f"{kind:9} {args.connections} connections: " + ", ".join(f"{b / 1024:.1f}" for b in per)
              + f" KB per connection (rounds); median {sorted(per)[len(per) // 2] / 1024:.1f} KB")


def measure(args, payload):
    data = tempfile.mkdtemp(prefix="prehs-")
    server = subprocess.Popen([args.server, "serve", "--listen", f"127.0.0.1:{args.port}", "--data-dir", data,
                               "--log-level", "warning"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", args.port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        for _ in range(20):
            handshake(args.port)
        # A first batch warms the accept path (thread pool, socket engine) without being counted.
        for s in hold(args.port, 100, args.per_address, payload):
            s.close()
        before = settle(server.pid, 3)
        socks = hold(args.port, args.connections, args.per_address, payload)
        after = settle(server.pid, 3)
        closed = 0
        for s in socks:
            s.setblocking(False)
            try:
                closed += s.recv(1) == b""
            except (BlockingIOError, ConnectionResetError) as e:
                closed += isinstance(e, ConnectionResetError)
            s.close()
        print(f"  {'oversized' if payload else 'silent'}: RSS {before} -> {after} KB; {closed} of {args.connections} closed by the server")
        return (after - before) * 1024 / args.connections
    finally:
        server.terminate()
        server.wait(10)


if __name__ == "__main__":
    sys.exit(main())
