#!/usr/bin/env bash
# The cluster demo (issue 21, docs/cluster.md): a redis-server and three `openssltls serve` nodes on loopback ports
# sharing ticket keys and TLS 1.2 session ids (--cluster), next to three nodes without the store, and reconnecting
# clients across each trio in round robin: every reconnect offers the session the previous connection got (from
# another node). Prints the resumption rate across nodes for TLS 1.3 tickets, TLS 1.2 tickets and TLS 1.2 session ids,
# with and without the store (without it, round robin always lands on another node than the one that issued the
# session, so close to none resume; a random choice of node would resume about 1/3), the servers' CPU per reconnect
# (utime+stime of the three serve processes, from /proc) and the CPU the store saves per reconnect (without - with).
# Clients: `openssl s_client -sess_out/-sess_in`.
#   cluster-demo.sh SERVE_DLL [--reconnects N] [--out DIR]
set -euo pipefail
dll=$1; shift
reconnects=100
out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --reconnects) reconnects=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "cluster-demo: unknown option $1" >&2; exit 2 ;;
  esac
done
command -v redis-server >/dev/null || { echo "cluster-demo: redis-server is not installed (Debian package redis-server)" >&2; exit 1; }
work=$(mktemp -d /tmp/openssltls-cluster-demo.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -days 2 \
  -keyout "$work/node.key" -out "$work/node.pem" 2>/dev/null
# One certificate and one configuration for every node, as a cluster has; session_cache on for the plain trio too.
printf 'modparam("tls", "certificate", "%s")\nmodparam("tls", "private_key", "%s")\nmodparam("tls", "session_cache", 1)\n' \
  "$work/node.pem" "$work/node.key" > "$work/tls.modparams"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$work/cluster.key"
chmod 600 "$work/cluster.key"

redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done

declare -A node_port node_pid
start_node() { # name, extra serve arguments...
  local name=$1; shift
  # Both trios with socket completions on the thread pool (--cluster needs it: the session-id lookup waits for Redis's
  # reply, which comes through a socket completion), so their CPU per reconnect differs by the resumption alone.
  env DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS=0 dotnet "$dll" serve --listen 127.0.0.1:0 --data-dir "$work/$name" --modparams "$work/tls.modparams" \
    --control-socket "$work/$name.sock" "$@" >"$work/$name.log" 2>&1 &
  node_pid[$name]=$!
  pids+=($!)
}
for i in 0 1 2; do
  start_node "cluster$i" --cluster "redis://127.0.0.1:$redis_port" --cluster-key-file "$work/cluster.key"
  start_node "plain$i"
done
for name in "${!node_pid[@]}"; do
  for _ in $(seq 300); do
    port=$(grep -o 'listening for SIP over TLS on 127.0.0.1:[0-9]*' "$work/$name.log" 2>/dev/null | head -1 | sed 's/.*://') || true
    [ -n "$port" ] && break
    sleep 0.1
  done
  [ -n "$port" ] || { echo "cluster-demo: node $name did not start:" >&2; cat "$work/$name.log" >&2; exit 1; }
  node_port[$name]=$port
done

cpu_ticks() { # the utime+stime of the trio's processes
  local total=0 name
  for name in "$@"; do
    read -r -a f < "/proc/${node_pid[$name]}/stat"
    total=$((total + f[13] + f[14]))
  done
  echo "$total"
}

# One round: N reconnects in round robin over the trio; each offers the session the previous one saved.
run() { # trio-prefix, mode
  local trio=$1 mode=$2 args=() reused=0 i node session="$work/$1-$2.pem"
  case "$mode" in
    tls13-ticket) args=(-tls1_3) ;;
    tls12-ticket) args=(-tls1_2) ;;
    tls12-session-id) args=(-tls1_2 -no_ticket) ;;
  esac
  rm -f "$session"
  local names=("${trio}0" "${trio}1" "${trio}2")
  local before; before=$(cpu_ticks "${names[@]}")
  local started; started=$(date +%s.%N)
  for i in $(seq 0 "$reconnects"); do
    node=${names[$((i % 3))]}
    local resume=()
    [ -f "$session" ] && resume=(-sess_in "$session")
    # stdin held open briefly: TLS 1.3 tickets arrive after the handshake.
    local text hold=0.1
    [ "$mode" = tls13-ticket ] && hold=0.4
    rm -f "$session.next"
    text=$( (sleep "$hold") | openssl s_client -connect "127.0.0.1:${node_port[$node]}" -servername localhost "${args[@]}" \
      "${resume[@]}" -sess_out "$session.next" 2>/dev/null || true)
    # s_client saves only new sessions: after a TLS 1.2 resumption the session offered is still the one to offer. A
    # full handshake that got nothing to save (no ticket in time) ends the chain: the next one starts afresh, so an
    # older session never comes back to the node that issued it and counts as a resumption across nodes.
    if [ -s "$session.next" ]; then mv "$session.next" "$session"
    elif ! grep -q '^Reused, ' <<<"$text"; then rm -f "$session"; fi
    if [ "$i" -gt 0 ] && grep -q '^Reused, ' <<<"$text"; then reused=$((reused + 1)); fi
    # The session reaches Redis a moment after the handshake (it is stored without waiting): a phone reconnects later.
    [ "$mode" = tls12-session-id ] && sleep 0.05
  done
  local after; after=$(cpu_ticks "${names[@]}")
  local ended; ended=$(date +%s.%N)
  local hz; hz=$(getconf CLK_TCK)
  # All the trio's CPU over the row, background work (timers, the Redis client, the JIT's later tiers) included; the
  # trio's idle rate is printed apart, not taken off (measured once, it came out larger than some rows' total).
  python3 -c "import sys; r,n,t,hz=map(int,sys.argv[1:5]); print(f'{r} {n} {100*r/n:.1f} {1000*t/hz/(n+1):.2f}')" \
    "$reused" "$reconnects" $((after - before)) "$hz"
}

declare -A idle_rate
measure_idle() { # trio: CPU seconds per wall second while nothing connects
  local names=("${1}0" "${1}1" "${1}2") hz; hz=$(getconf CLK_TCK)
  local before; before=$(cpu_ticks "${names[@]}"); local started; started=$(date +%s.%N)
  sleep "$idle_seconds"
  local after; after=$(cpu_ticks "${names[@]}"); local ended; ended=$(date +%s.%N)
  idle_rate[$1]=$(python3 -c "print(f\"{($after - $before) / $hz / ($ended - $started):.4f}\")")
}

# Warm-up, not counted: every node's first handshakes pay for the JIT and the first Redis commands.
saved=$reconnects; reconnects=5
for mode in tls13-ticket tls12-ticket tls12-session-id; do for trio in cluster plain; do run "$trio" "$mode" >/dev/null; done; done
reconnects=$saved
idle_seconds=$([ "$reconnects" -ge 20 ] && echo 5 || echo 1)
measure_idle cluster
measure_idle plain

printf '%-18s %-14s %-10s %-22s %s\n' mode store resumed "rate across nodes" "server CPU ms/connection"
results=()
for mode in tls13-ticket tls12-ticket tls12-session-id; do
  for trio in cluster plain; do
    read -r reused total rate cpu <<<"$(run "$trio" "$mode")"
    label=$([ "$trio" = cluster ] && echo "redis" || echo "none")
    printf '%-18s %-14s %-10s %-22s %s\n' "$mode" "$label" "$reused/$total" "$rate %" "$cpu"
    results+=("$mode,$label,$reused,$total,$rate,$cpu")
  done
done
# The server CPU the store saves per reconnect: the trio's CPU per connection without it minus with it, per mode (the
# store's own work — Redis commands, AES-GCM, lookups — is inside the "redis" figure).
for mode in tls13-ticket tls12-ticket tls12-session-id; do
  with=""; without=""
  for r in "${results[@]}"; do
    IFS=, read -r m label _ _ _ cpu <<<"$r"
    [ "$m" = "$mode" ] || continue
    if [ "$label" = redis ]; then with=$cpu; else without=$cpu; fi
  done
  python3 -c "import sys; w,wo=map(float,sys.argv[2:4]); print(f'CPU saved per reconnect {sys.argv[1]}: {wo - w:.2f} ms ({wo:.2f} without the store, {w:.2f} with it' + (f', {abs(100*(wo-w)/wo):.0f} % ' + ('less)' if wo >= w else 'more)') if wo > 0 else ')'))" "$mode" "$with" "$without"
done
echo "idle CPU of the trios (not taken off): redis ${idle_rate[cluster]} s/s, none ${idle_rate[plain]} s/s"
echo "load average: $(cut -d' ' -f1-3 /proc/loadavg); nodes: 3 with --cluster, 3 without; reconnects per row: $reconnects"
if [ -n "$out" ]; then
  mkdir -p "$out"
  { echo "mode,store,resumed,reconnects,rate_percent,server_cpu_ms_per_connection"; printf '%s\n' "${results[@]}"; } > "$out/cluster-demo.csv"
fi
