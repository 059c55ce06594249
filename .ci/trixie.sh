#!/usr/bin/env bash
# The test suite against OpenSSL 3.5: Debian 13 (trixie) in a chroot, the build from the host.
#
#   .ci/trixie.sh root               make the root once (cached in artifacts/roots/trixie; about 1 min)
#   .ci/trixie.sh test [ARGS...]     dotnet test --no-build of tests/OpenSslTls.Tests inside the root (ARGS go to
#                                    dotnet test, e.g. --filter ...); results in artifacts/test-results/openssl35
#   .ci/trixie.sh exec CMD [ARGS...] any command inside the root, checkout as the working directory
#   .ci/trixie.sh can-run            exit 0 when this machine can do the above, else say why (exit 3)
#   .ci/trixie.sh mirror             the Debian mirror it uses (also used by .ci/fresh-machine.sh)
#
# Needs root (chroot, mounts), debootstrap and the Debian mirror this machine's apt sources name (override with
# OPENSSLTLS_DEBIAN_MIRROR). The build must already have happened on the host (./build.sh build or test): the root
# has no SDK of its own, the host's /usr/share/dotnet is bind-mounted read-only, and so is the checkout at its own
# path, so the absolute paths in bin/ and obj/ stay valid. Every mount lives in a private mount namespace
# (unshare -m) and disappears with the command. Exit status: 3 when the root cannot be made or used (not root, no
# debootstrap, no mirror), else that of the command.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# libssl3t64 + openssl: OpenSSL 3.5 and its CLI (the tests drive openssl s_client/s_server/req/x509). libicu76: .NET's
# globalization. procps: ps/pgrep for the process tests. softhsm2, libengine-pkcs11-openssl, opensc: the PKCS#11
# engine tests, as on the host. gcc, make, libc6-dev, libssl-dev: the constant self-check (native/constcheck compiled
# against the 3.5 headers: the 3.0-generated constants and struct sizes must hold there too) and the C benchmark
# harness of the quick-benchmark smoke test. python3: the C A/B driver's smoke test. curl, nghttp2-client: the
# Kestrel middleware's real clients. python3-websockets: the real WebSocket client of serve --listen-wss's tests
# (Chromium, far larger, is left out: the browser test skips here, saying so). libfaketime: the cluster's clock-skew
# test (serve nodes with moved wall clocks; it skips without it). Changing this list rebuilds the cached root.
packages="libssl3t64,openssl,libicu76,ca-certificates,procps,softhsm2,libengine-pkcs11-openssl,opensc,gcc,make,libc6-dev,libssl-dev,python3,redis-server,curl,nghttp2-client,python3-websockets,libfaketime"
root="$repo_root/artifacts/roots/trixie"
stamp="$root/.openssltls-root"

die() {
  echo "openssl35: $*" >&2
  exit 3
}

# The first Debian archive the machine's own apt sources use (deb822 .sources or one-line .list): a mirror that is
# reachable from here, unlike a hard-coded one on a machine behind a local mirror.
debian_mirror() {
  if [ -n "${OPENSSLTLS_DEBIAN_MIRROR:-}" ]; then
    echo "$OPENSSLTLS_DEBIAN_MIRROR"
    return
  fi
  local f uri=""
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    case "$f" in
      *.sources) uri=$(awk 'tolower($1)=="uris:" { for (i = 2; i <= NF; i++) print $i }' "$f" | grep -E '/debian/?$' | head -n 1 || true) ;;
      *) uri=$(awk '$1=="deb" { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; break } }' "$f" | grep -E '/debian/?$' | head -n 1 || true) ;;
    esac
    if [ -n "$uri" ]; then
      echo "${uri%/}"
      return
    fi
  done
  echo "http://deb.debian.org/debian"
}

# Root, debootstrap, and a private mount namespace: not inside a chroot, whose "/" is no mount point (there the
# mounts could only be made shared with the host's, and would outlive the run).
can_run() {
  [ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot and mounts)"
  command -v debootstrap >/dev/null || die "debootstrap not found: apt-get install -y debootstrap"
  unshare --mount --propagation private true 2>/dev/null ||
    die "cannot make a private mount namespace here (inside a chroot?): the OpenSSL 3.5 run needs one"
}

make_root() {
  can_run
  local mirror
  mirror=$(debian_mirror)
  mkdir -p "$(dirname "$root")"
  (
    flock 9
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$packages" ]; then
      exit 0
    fi
    echo "openssl35: making the Debian 13 root in $root from $mirror (once; about 1 min)" >&2
    local tmp="$root.tmp"
    rm -rf "$tmp"
    if ! debootstrap --variant=minbase --include="$packages" trixie "$tmp" "$mirror" >"$root.debootstrap.log" 2>&1; then
      tail -n 20 "$root.debootstrap.log" >&2
      rm -rf "$tmp"
      die "debootstrap failed (whole log in $root.debootstrap.log)"
    fi
    # Loopback names as on the host ("localhost" in certificates and URLs); no DNS is needed.
    cp /etc/hosts "$tmp/etc/hosts"
    echo "$packages" >"$tmp/.openssltls-root"
    rm -rf "$root"
    mv "$tmp" "$root"
  ) 9>"$root.lock"
}

# Runs "$@" inside the root: a private mount namespace with /proc, /dev, /dev/shm, a fresh /tmp, the SDK, the NuGet
# package folder (the test host resolves some assemblies from it) and the checkout at their host paths.
in_root() {
  make_root
  local dotnet_root
  dotnet_root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
  local nuget="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
  # Passed through: the suite's own switches (OPENSSLTLS_*), nothing else of the host's environment.
  local -a envs=(PATH="$dotnet_root:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" HOME="$HOME"
    DOTNET_ROOT="$dotnet_root" DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1
    LANG=C.UTF-8 TERM=dumb)
  local name
  while IFS= read -r name; do envs+=("$name=${!name}"); done < <(compgen -e | grep '^OPENSSLTLS_' || true)
  if [ -d "$nuget" ]; then envs+=(NUGET_PACKAGES="$nuget"); fi
  OPENSSLTLS_ROOT_DIR="$root" OPENSSLTLS_ROOT_DOTNET="$dotnet_root" OPENSSLTLS_ROOT_NUGET="$nuget" \
  OPENSSLTLS_ROOT_REPO="$repo_root" \
  unshare --mount --propagation private -- bash -euo pipefail -c '
    r="$OPENSSLTLS_ROOT_DIR"
    bind() { mkdir -p "$r$2"; mount --bind "$1" "$r$2"; if [ "${3:-}" = ro ]; then mount -o remount,bind,ro "$r$2"; fi; }
    mount -t proc proc "$r/proc"
    mount --rbind /dev "$r/dev"
    mount -t tmpfs tmpfs "$r/tmp"
    bind "$OPENSSLTLS_ROOT_DOTNET" "$OPENSSLTLS_ROOT_DOTNET" ro
    if [ -d "$OPENSSLTLS_ROOT_NUGET" ]; then bind "$OPENSSLTLS_ROOT_NUGET" "$OPENSSLTLS_ROOT_NUGET" ro; fi
    bind "$OPENSSLTLS_ROOT_REPO" "$OPENSSLTLS_ROOT_REPO"
    # The sibling shared/ folder (fixtures) when there is one, as the suite sees it on the host.
    if [ -d "$OPENSSLTLS_ROOT_REPO/../shared" ]; then bind "$OPENSSLTLS_ROOT_REPO/../shared" "$(cd "$OPENSSLTLS_ROOT_REPO/../shared" && pwd)" ro; fi
    mkdir -p "$r$HOME"
    exec chroot "$r" /usr/bin/env -i "$@"
  ' in_root "${envs[@]}" bash -c 'cd "$0" && exec "$@"' "$repo_root" "$@"
}

verb="${1:-}"
shift || true
case "$verb" in
  can-run)
    can_run
    ;;
  mirror)
    debian_mirror
    ;;
  root)
    make_root
    echo "openssl35: root ready: $root ($(chroot "$root" openssl version))"
    ;;
  exec)
    [ "$#" -gt 0 ] || { echo "usage: .ci/trixie.sh exec CMD [ARGS...]" >&2; exit 2; }
    in_root "$@"
    ;;
  test)
    results="artifacts/test-results/openssl35"
    rm -rf "$results"
    mkdir -p "$results"
    echo "openssl35: $(in_root openssl version)" >&2
    in_root dotnet test tests/OpenSslTls.Tests -c Release --no-build \
      --logger "trx;LogFileName=openssl35.trx" --results-directory "$results" "$@"
    ;;
  *)
    echo "usage: .ci/trixie.sh {root|test [dotnet test args]|exec CMD [ARGS...]|can-run|mirror}" >&2
    exit 2
    ;;
esac
