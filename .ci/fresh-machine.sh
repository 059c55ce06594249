#!/usr/bin/env bash
# The README's two commands on a fresh Debian machine that has only the .NET SDK, checked in a new debootstrap root.
#
#   .ci/fresh-machine.sh [bookworm|trixie]     (default bookworm: Debian 12)
#
# Makes a minimal root (debootstrap --variant=minbase, only the .NET SDK's own dependencies: ca-certificates and ICU),
# clones this checkout's HEAD into it (plus ../shared when present, for the fixture tests), then runs, as root inside
# it, `./build.sh run` (until `serve` accepts a TLS handshake from openssl s_client) and `./build.sh test`. Both
# must install what they need themselves. Not part of .ci/run: it downloads a root and runs the whole suite (about
# 20 min). The nested OpenSSL 3.5 run is off (OPENSSLTLS_OPENSSL35=0) unless OPENSSLTLS_OPENSSL35=1 is given.
#
# The root's "/" is bind-mounted on itself, as on a real machine or container, where "/" is always a mount point:
# PowerShell (the build.ps1 parity tests) names its "/" drive after the first mount it finds, and in a plain chroot
# that is /proc ("Cannot retrieve the dynamic parameters for the cmdlet" from Test-Path). The host's local CA
# certificates (/usr/local/share/ca-certificates) are copied in: a machine behind an intercepting proxy has them.
# Exit status: 3 when the check cannot run here, 1 when a command failed, 0 when both passed.
set -euo pipefail

suite="${1:-bookworm}"
case "$suite" in
  bookworm) icu=libicu72 ;;
  trixie) icu=libicu76 ;;
  *) echo "usage: .ci/fresh-machine.sh [bookworm|trixie]" >&2; exit 2 ;;
esac

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$repo_root/artifacts/fresh-machine"
root="$work/$suite"
log="$work/$suite.log"

die() {
  echo "fresh-machine: $*" >&2
  exit 3
}

[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mounts)"
command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install -y debootstrap"
command -v dotnet >/dev/null || die "the .NET SDK (dotnet) is not on PATH"
unshare --mount --propagation private true 2>/dev/null || die "cannot make a private mount namespace here"

mirror="$(bash "$repo_root/.ci/trixie.sh" mirror)"
rm -rf "$root"
mkdir -p "$work"
echo "fresh-machine: debootstrap $suite from $mirror into $root" >&2
debootstrap --variant=minbase --include="ca-certificates,$icu" "$suite" "$root" "$mirror" >"$work/$suite.debootstrap.log" 2>&1 ||
  { tail -n 20 "$work/$suite.debootstrap.log" >&2; die "debootstrap failed"; }
cp /etc/hosts /etc/resolv.conf "$root/etc/"
if compgen -G "/usr/local/share/ca-certificates/*" >/dev/null; then
  cp /usr/local/share/ca-certificates/* "$root/usr/local/share/ca-certificates/"
  chroot "$root" update-ca-certificates >/dev/null 2>&1
fi
git clone -q "$repo_root" "$root/src/OpenSslTls"
if [ -d "$repo_root/../shared" ]; then cp -a "$repo_root/../shared" "$root/src/shared"; fi

dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
openssl35="${OPENSSLTLS_OPENSSL35:-0}"
: >"$log"
status=0
FRESH_ROOT="$root" FRESH_DOTNET="$dotnet_root" FRESH_OPENSSL35="$openssl35" \
unshare --mount --propagation private -- bash -euo pipefail -c '
  r="$FRESH_ROOT"
  mount --bind "$r" "$r"
  mount -t proc proc "$r/proc"
  mount --rbind /dev "$r/dev"
  mkdir -p "$r/usr/share/dotnet"
  mount --bind "$FRESH_DOTNET" "$r/usr/share/dotnet"
  mount -o remount,bind,ro "$r/usr/share/dotnet"
  ln -sf /usr/share/dotnet/dotnet "$r/usr/bin/dotnet"
  in_root() {
    chroot "$r" /usr/bin/env -i HOME=/root PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
      LANG=C.UTF-8 TERM=dumb DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 OPENSSLTLS_OPENSSL35="$FRESH_OPENSSL35" \
      bash -c "cd /src/OpenSslTls && $1"
  }
  echo "=== ./build.sh run"
  # Its own session, so that stopping it stops dotnet run and the server it started, and nothing of the host.
  export -f in_root
  export r FRESH_OPENSSL35
  setsid bash -c "in_root \"exec ./build.sh run\"" > "$r/tmp/run.log" 2>&1 &
  server=$!
  served=1
  for _ in $(seq 1 600); do
    if ! kill -0 "$server" 2>/dev/null; then break; fi
    if in_root "command -v openssl >/dev/null && echo | timeout 5 openssl s_client -connect 127.0.0.1:5061 -brief" >"$r/tmp/probe.log" 2>&1 &&
      grep -q "Protocol version" "$r/tmp/probe.log"; then
      served=0
      break
    fi
    sleep 1
  done
  kill -TERM -- "-$server" 2>/dev/null || true
  wait "$server" || true
  tail -n 5 "$r/tmp/run.log"
  cat "$r/tmp/probe.log" 2>/dev/null || true
  if [ "$served" != 0 ]; then echo "=== ./build.sh run: no TLS handshake on 127.0.0.1:5061"; exit 1; fi
  echo "=== ./build.sh run: serve accepted a TLS handshake"
  echo "=== ./build.sh test"
  in_root "./build.sh test"
' >>"$log" 2>&1 || status=1
tail -n 8 "$log"
echo "fresh-machine: $suite: $([ "$status" = 0 ] && echo passed || echo FAILED) (log: $log)" >&2
exit "$status"
