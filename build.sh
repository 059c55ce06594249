#!/usr/bin/env bash
# OpenSslTls build driver. Verbs:
#   build            compile everything (Release)
#   test             regeneration check + native helpers + all tests; ends with "N passed, N failed, N skipped"
#   regen [--check]  regenerate the OpenSSL bindings from the installed headers (--check: fail if they change)
#   bench [--quick]  benchmarks (see docs/benchmarks.md)
#   bench-sockets    serve vs an SslStream server over loopback: OPTIONS/s and new connections/s (docs/benchmarks.md)
#   bench-web        Kestrel with UseOpenSslTls() vs UseHttps(): requests/s, new connections/s, idle memory (docs/benchmarks.md)
#   cluster-demo [--reconnects N]  redis + three serve nodes: resumption across nodes with and without the store (docs/cluster.md)
#   run              the main job (see README: what exists)
#   fuzz <target> [seconds]  SharpFuzz + AFL++ on tlscfg, modparam, record or sip (see docs/reliability.md)
#   test-openssl35 [dotnet test args]  the built tests once more against OpenSSL 3.5 in a Debian 13 root (root only;
#                    part of `test` when run as root with debootstrap; OPENSSLTLS_OPENSSL35=0 leaves it out)
#   pack [dotnet pack args]  the NuGet packages (OpenSslTls, OpenSslTls.Extensions.Hosting, OpenSslTls.AspNetCore, the OpenSslTls.Cli tool) into artifacts/packages/
#   setup [test|run|bench]  install (root with apt-get) or name the Debian packages that verb needs (default: test)
#   help             this list of verbs (build.ps1 offers the same verbs with the same meaning)
# test, run and bench do that setup themselves: once, quietly (nothing happens when all are present); without root
# or apt-get they print the apt-get line to run and stop.
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

verb="${1:-build}"
shift || true

# Debian packages per verb. test: the bindings check (clang, libssl-dev), the I/O shim and the constant self-check
# (gcc, make, libc6-dev), the openssl CLI the tests talk to, the PKCS#11 engine tests (softhsm2,
# libengine-pkcs11-openssl, opensc), git (the regeneration check diffs the checkout), procps (process tests), python3
# (the benchmark's C A/B driver, a control-socket test), redis-server (the cluster ticket-key store),
# python3-websockets and chromium (the real WebSocket client and browser of serve --listen-wss's tests), faketime
# (libfaketime: serve nodes with skewed clocks in the cluster tests), and
# debootstrap for the OpenSSL 3.5 run when running as root. run: libssl3 through openssl, and the shim's compiler and
# OpenSSL headers (libssl-dev: a fresh Debian 12 root failed to build it without them).
# Both also name what the .NET SDK itself needs from the system when it was installed without Debian's packages
# (a tarball, a bind mount): ICU (its package name carries the release's ICU version) and ca-certificates (NuGet).
dotnet_packages() {
  local codename=""
  if [ -f /etc/os-release ]; then codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}"); fi
  case "$codename" in
    bullseye) echo "ca-certificates libicu67" ;;
    bookworm) echo "ca-certificates libicu72" ;;
    trixie) echo "ca-certificates libicu76" ;;
    *) echo "ca-certificates" ;;
  esac
}

packages_for() {
  dotnet_packages
  case "$1" in
    test)
      echo "openssl libssl-dev clang gcc make libc6-dev softhsm2 libengine-pkcs11-openssl opensc git procps python3 redis-server curl nghttp2-client python3-websockets chromium faketime"
      if [ "$(id -u)" = 0 ] && [ "${OPENSSLTLS_OPENSSL35:-1}" != 0 ]; then echo "debootstrap"; fi
      ;;
    run) echo "openssl libssl-dev gcc make libc6-dev" ;;
    bench) echo "openssl libssl-dev gcc make libc6-dev util-linux" ;;
    bench-web) echo "openssl libssl-dev gcc make libc6-dev util-linux nghttp2-client" ;;
    cluster-demo) echo "openssl procps redis-server" ;;
  esac
}

# Installs (root with apt-get) or names (anyone else) the Debian packages a verb needs that are not installed.
# Quiet and quick when everything is there: one dpkg-query, no apt-get.
ensure_prerequisites() {
  if ! command -v dotnet >/dev/null 2>&1; then
    echo "error: the .NET SDK 10 (dotnet) is not on PATH: https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
    exit 2
  fi
  local -a wanted missing=()
  read -r -a wanted <<<"$(packages_for "$1" | tr '\n' ' ')"
  [ "${#wanted[@]}" -gt 0 ] || return 0
  if ! command -v dpkg-query >/dev/null 2>&1; then
    # Not Debian: only the commands can be checked; the names are Debian's, the equivalents are the user's to pick.
    local tool
    for tool in openssl gcc make clang; do command -v "$tool" >/dev/null 2>&1 || missing+=("$tool"); done
    if [ "${#missing[@]}" -gt 0 ]; then
      echo "error: ./build.sh $1 needs ${missing[*]} and the OpenSSL 3 development headers; install them with your package manager" >&2
      exit 2
    fi
    return 0
  fi
  local pkg
  for pkg in "${wanted[@]}"; do
    [ "$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null)" = installed ] || missing+=("$pkg")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  local line="apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "error: ./build.sh $1 needs Debian packages that are not installed: ${missing[*]}" >&2
    echo "run as root:  apt-get update && $line" >&2
    exit 2
  fi
  echo "installing: ${missing[*]}" >&2
  # apt's own chatter (debconf notes and the like) only when it fails.
  local log
  log=$(mktemp)
  if ! { DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    rm -f "$log"
    echo "error: apt-get could not install ${missing[*]}; the command was: $line" >&2
    exit 2
  fi
  rm -f "$log"
}

regen() {
  bash interop/regen.sh "$@"
}

# The linux-arm64 shim (packed under runtimes/linux-arm64/native/) is cross-compiled by the library's project file
# with Debian's gcc-aarch64-linux-gnu against the arm64 OpenSSL headers in artifacts/sysroot/linux-arm64. This puts
# the headers there once: libssl-dev:arm64 and libssl3:arm64 fetched with apt-get download and extracted with
# dpkg-deb -x (nothing arm64 is installed on the system; libssl3 is there for the smoke test under qemu). Without the
# cross compiler, or without arm64 in apt's architectures, it says so once and the packages carry linux-x64 only.
arm64_sysroot() {
  local sysroot=artifacts/sysroot/linux-arm64
  [ -f "$sysroot/usr/include/aarch64-linux-gnu/openssl/configuration.h" ] && return 0
  if ! command -v aarch64-linux-gnu-gcc >/dev/null 2>&1; then
    echo "linux-arm64 shim: not built (no aarch64-linux-gnu-gcc; apt-get install gcc-aarch64-linux-gnu to build it)" >&2
    return 0
  fi
  if ! command -v dpkg >/dev/null 2>&1 || ! dpkg --print-foreign-architectures | grep -qx arm64; then
    echo "linux-arm64 shim: not built (apt knows no arm64 packages; as root: dpkg --add-architecture arm64 && apt-get update)" >&2
    return 0
  fi
  local debs
  debs=$(mktemp -d)
  if ! (cd "$debs" && apt-get download -qq libssl-dev:arm64 libssl3:arm64) >/dev/null 2>&1; then
    rm -rf "$debs"
    echo "linux-arm64 shim: not built (apt-get download libssl-dev:arm64 libssl3:arm64 failed; as root: apt-get update)" >&2
    return 0
  fi
  rm -rf "$sysroot"
  mkdir -p "$sysroot"
  local deb
  for deb in "$debs"/*.deb; do dpkg-deb -x "$deb" "$sysroot"; done
  rm -rf "$debs"
  echo "linux-arm64 shim: arm64 OpenSSL headers extracted into $sysroot" >&2
}

# The major.minor of the installed OpenSSL headers (opensslv.h), e.g. 3.0; empty without headers.
header_version() {
  local h=/usr/include/openssl/opensslv.h
  [ -f "$h" ] || return 0
  local major minor
  major=$(sed -n 's/^# *define OPENSSL_VERSION_MAJOR *\([0-9]*\).*/\1/p' "$h")
  minor=$(sed -n 's/^# *define OPENSSL_VERSION_MINOR *\([0-9]*\).*/\1/p' "$h")
  if [ -n "$major" ]; then echo "$major.$minor"; fi
}

regen_check() {
  # The bindings are pinned to the OpenSSL 3.0 headers (the oldest release the library supports, so it calls nothing
  # a 3.0 runtime lacks). Newer system headers would regenerate different files without anything being wrong: the
  # check then needs a 3.0 header tree (interop/regen.sh --include-root) and is skipped with a note.
  local hv
  hv=$(header_version)
  if [ -n "$hv" ] && [ "$hv" != "3.0" ]; then
    echo "bindings: the installed headers are OpenSSL $hv, the bindings are generated from 3.0: regeneration check skipped" \
      "(bash interop/regen.sh --check --include-root DIR with OpenSSL 3.0 headers in DIR)" >&2
    return 0
  fi
  regen
  if ! git diff --quiet --exit-code -- src/OpenSslTls/Interop/Generated native/constcheck; then
    echo "error: regenerating the bindings changed committed files:" >&2
    git --no-pager diff --stat -- src/OpenSslTls/Interop/Generated native/constcheck >&2
    return 1
  fi
  if [ -n "$(git status --porcelain -- src/OpenSslTls/Interop/Generated native/constcheck)" ]; then
    echo "error: regenerating the bindings created untracked files:" >&2
    git status --porcelain -- src/OpenSslTls/Interop/Generated native/constcheck >&2
    return 1
  fi
  echo "bindings: regeneration is byte-identical"
}

# Adds one run's trx counters to passed/failed/skipped (the caller's locals) and prints them with a label. A missing
# trx of a run whose command failed counts as one failure: the run did not get to report.
count_run() {
  local label="$1" trx="$2" run_status="$3" p=0 f=0 n=0
  if [ -f "$trx" ]; then
    local counters e t
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
    t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
    p=${p:-0}; f=${f:-0}; n=$(( ${t:-0} - ${e:-0} ))
  elif [ "$run_status" -ne 0 ]; then
    f=1
  fi
  echo "  ${label}: ${p} passed, ${f} failed, ${n} skipped"
  passed=$((passed + p)); failed=$((failed + f)); skipped=$((skipped + n))
}

run_tests() {
  local results="artifacts/test-results"
  rm -rf "$results"
  mkdir -p "$results"
  local status=0
  # ensure_prerequisites installed every package and CI has the shared fixtures (../shared/fixtures), so a test that
  # would skip for a missing one (fixtures, SoftHSM2, gcc) fails instead (tests/OpenSslTls.Tests/Support/Prerequisites.cs);
  # the OpenSSL 3.5 root inherits it.
  # A plain `dotnet test` still skips them, naming what is missing. OPENSSLTLS_REQUIRE_ALL=0 turns this off.
  export OPENSSLTLS_REQUIRE_ALL="${OPENSSLTLS_REQUIRE_ALL:-1}"
  # The whole solution first: dotnet test alone builds only the test projects and what they reference, so the
  # benchmark project (and with it the quick-benchmark smoke test) would go unbuilt.
  dotnet build OpenSslTls.sln -c Release -nologo -v quiet || status=$?
  dotnet test OpenSslTls.sln -c Release --no-build --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@" || status=$?
  # The connection tests once more on the managed BIO, the fallback where the C I/O shim (native/io) is absent.
  OPENSSLTLS_IO_SHIM=off dotnet test tests/OpenSslTls.Tests -c Release --no-build --filter "FullyQualifiedName~.Connections." \
    --logger "trx;LogFileName=managed-bio.trx" --results-directory "$results" || status=$?
  local host_status=$status
  # The same build against OpenSSL 3.5 (Debian 13 root) when this can make one: root, debootstrap, and not switched off.
  local openssl35=0
  if [ "${OPENSSLTLS_OPENSSL35:-1}" != 0 ] && [ "$(id -u)" = 0 ] && command -v debootstrap >/dev/null 2>&1 &&
    bash .ci/trixie.sh can-run; then
    openssl35=1
    local started=$SECONDS status35=0
    bash .ci/trixie.sh test "$@" || status35=$?
    echo "OpenSSL 3.5 run: $((SECONDS - started)) s" >&2
    if [ "$status35" -ne 0 ]; then status=$status35; fi
  fi
  local passed=0 failed=0 skipped=0
  count_run "host, OpenSSL $(openssl version 2>/dev/null | awk '{ print $2 }')" "$results/tests.trx" "$host_status"
  count_run "host, managed BIO (connection tests)" "$results/managed-bio.trx" "$host_status"
  if [ "$openssl35" = 1 ]; then
    count_run "Debian 13 root, OpenSSL 3.5" "$results/openssl35/openssl35.trx" "$status35"
  fi
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  echo "${passed} passed, ${failed} failed, ${skipped} skipped"
  return "$status"
}

usage="usage: ./build.sh {build|test|test-openssl35|pack|setup [verb]|regen [--check]|bench [--quick]|bench-sockets|bench-web|cluster-demo|run|fuzz <target> [seconds]|help}"

case "$verb" in
  build)
    arm64_sysroot
    dotnet build OpenSslTls.sln -c Release "$@"
    ;;
  test)
    ensure_prerequisites test
    arm64_sysroot
    regen_check
    run_tests "$@"
    ;;
  test-openssl35)
    bash .ci/trixie.sh test "$@"
    ;;
  setup)
    case "${1:-test}" in test|run|bench|bench-web) ensure_prerequisites "${1:-test}" ;; *) echo "usage: ./build.sh setup [test|run|bench|bench-web]" >&2; exit 2 ;; esac
    echo "setup ${1:-test}: every package is installed"
    ;;
  regen)
    if [ "${1:-}" = "--check" ]; then regen_check; else regen "$@"; fi
    ;;
  bench)
    # The C reference harness first (gcc -O2), then the suite: --quick = Stopwatch loops and one table (< 3 min);
    # no flag = BenchmarkDotNet + C harness + idle-memory probes. Figures also go to a CSV (--csv, default
    # artifacts/bench/quick.csv or full.csv) and charts are drawn from it (--charts DIR, default artifacts/bench/charts;
    # docs/charts for the documentation). See docs/benchmarks.md, "Ratios that the machine cannot make, and charts".
    # Every process of the run is pinned to one CPU (OPENSSLTLS_BENCH_CPU, default 0; "none" to not pin): on this
    # kind of virtual machine the two vCPUs run at different and changing speeds, and C and C# sampled in turns on
    # different vCPUs compared the vCPUs, not the code (docs/benchmarks.md, "Pinned to one CPU").
    ensure_prerequisites bench
    make -s -C native/bench
    dotnet build bench/OpenSslTls.Benchmarks -c Release -v quiet -nologo
    pin=()
    cpu="${OPENSSLTLS_BENCH_CPU:-0}"
    if [ "$cpu" != "none" ] && command -v taskset >/dev/null; then pin=(taskset -c "$cpu"); fi
    "${pin[@]}" dotnet run --no-build --project bench/OpenSslTls.Benchmarks -c Release -- --c-harness native/build/bench/tlsbench "$@"
    ;;
  bench-sockets)
    # openssltls serve and the same SIP loop on SslStream, each a child process on 127.0.0.1, driven by one load
    # generator; the table on stdout, every run on stderr (about 1.5 min with the defaults, build excluded). Options:
    # --seconds S --warmup S --slice-ms MS --connections C --workers K --only ID-PART --csv PATH --charts DIR. With --setup:
    # the connection set-up suite instead (openssl s_time against serve, SslStream and openssl s_server; --rounds R,
    # --baseline-serve DLL); --storm N: N TLS 1.3 connections at once. See docs/benchmarks.md, "Connection set-up over
    # real sockets".
    dotnet run --project bench/OpenSslTls.SocketBench -c Release -- "$@"
    ;;
  bench-web)
    # The same minimal Kestrel app with UseHttps() (SslStream) and with UseOpenSslTls(), each a child process on
    # 127.0.0.1 (pinned to CPU 0, the load tools to CPU 1), driven by h2load (nghttp2-client) and openssl s_time/s_client
    # in interleaved rounds: requests/s kept alive (HTTP/1.1, HTTP/2), new TLS connections/s (full, resumed), memory per
    # idle TLS connection, server CPU per request from /proc; ratios ours/SslStream with the issue-20 targets. Options:
    # --rounds R --requests N --connections N --idle N --stime-seconds S --tiny --no-pin. See docs/benchmarks.md,
    # "Kestrel: UseOpenSslTls against UseHttps".
    ensure_prerequisites bench-web
    dotnet run --project bench/OpenSslTls.WebBench -c Release -- "$@"
    ;;
  cluster-demo)
    # issue 21's proof: redis-server and three serve nodes with --cluster (and three without) on loopback ports,
    # openssl s_client reconnecting across each trio in round robin; prints the resumption rate across nodes for TLS 1.3
    # tickets, TLS 1.2 tickets and TLS 1.2 session ids, and the servers' CPU per connection (/proc). Options:
    # --reconnects N (default 100) --out DIR (a CSV). See docs/cluster.md and docs/benchmarks.md, "Cluster resumption".
    ensure_prerequisites cluster-demo
    dotnet build src/OpenSslTls.Server -c Release -nologo -v quiet
    bench/cluster-demo/cluster-demo.sh src/OpenSslTls.Server/bin/Release/net10.0/OpenSslTls.Server.dll "$@"
    ;;
  run)
    # openssltls serve in the foreground; with no options: 127.0.0.1:5061 and a self-signed localhost certificate
    # made on first start in the data directory. Extra arguments go to serve, e.g. ./build.sh run --listen [::1]:5061
    ensure_prerequisites run
    exec dotnet run --project src/OpenSslTls.Server -c Release -- serve "$@"
    ;;
  fuzz)
    # SharpFuzz + AFL++: ./build.sh fuzz {tlscfg|modparam|record|sip} [seconds=60]. Publishes tests/OpenSslTls.Fuzz to
    # artifacts/fuzz/bin/<target>, instruments OpenSslTls.dll and the server's SIP code (OpenSslTls.SipEndpoint.Sip in
    # OpenSslTls.Server.dll) with the sharpfuzz tool (installed under artifacts/tools), then runs afl-fuzz on
    # tests/OpenSslTls.Fuzz/corpus/<target> with tests/OpenSslTls.Fuzz/dictionaries/<target>.dict when there is one;
    # findings go to artifacts/fuzz/<target>. See docs/reliability.md.
    target="${1:-}"
    seconds="${2:-60}"
    case "$target" in tlscfg|modparam|record|sip|x509) ;; *) echo "usage: ./build.sh fuzz {tlscfg|modparam|record|sip|x509} [seconds]" >&2; exit 2 ;; esac
    command -v afl-fuzz >/dev/null || { echo "afl-fuzz not found: apt-get install -y afl++" >&2; exit 2; }
    tools="artifacts/tools"
    # Each target gets its own publish directory, so two targets can fuzz at once; the publish itself is serialized
    # because both would build the same project's obj/ directory and the tool install is not safe to race either.
    out="artifacts/fuzz/bin/$target"
    mkdir -p artifacts/fuzz
    (
      flock 9
      if [ ! -x "$tools/sharpfuzz" ]; then
        dotnet tool install --tool-path "$tools" SharpFuzz.CommandLine --version 2.3.0
      fi
      rm -rf "$out"
      dotnet publish tests/OpenSslTls.Fuzz -c Release -o "$out" -p:UseAppHost=false
      "$tools/sharpfuzz" "$out/OpenSslTls.dll"
      # Only the SIP namespace: the hosting and CLI code never runs in a fuzz target, it would only dilute the map.
      "$tools/sharpfuzz" "$out/OpenSslTls.Server.dll" OpenSslTls.SipEndpoint.Sip
    ) 9>artifacts/fuzz/.publish.lock
    findings="artifacts/fuzz/$target"
    rm -rf "$findings"
    mkdir -p "$findings"
    dictionary=()
    if [ -f "tests/OpenSslTls.Fuzz/dictionaries/$target.dict" ]; then
      dictionary=(-x "tests/OpenSslTls.Fuzz/dictionaries/$target.dict")
    fi
    # nice 19: fuzzing takes only idle CPU on a shared machine. AFL_NO_AFFINITY: afl-fuzz would otherwise claim a core
    # of its own and refuse to start when none is free (two targets at once on 2 cores, or other users' fuzzers).
    AFL_SKIP_CPUFREQ=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_SKIP_BIN_CHECK=1 AFL_NO_UI=1 AFL_NO_AFFINITY=1 \
      nice -n 19 afl-fuzz -i "tests/OpenSslTls.Fuzz/corpus/$target" -o "$findings" "${dictionary[@]}" -t 10000 -m none -V "$seconds" \
      -- dotnet "$out/OpenSslTls.Fuzz.dll" "$target" | tail -n 20
    stats="$findings/default/fuzzer_stats"
    grep -E '^(start_time|last_update|run_time|execs_done|execs_per_sec|corpus_count|corpus_found|saved_crashes|saved_hangs|bitmap_cvg)' "$stats"
    crashes=$(find "$findings/default/crashes" -type f -name 'id:*' 2>/dev/null | wc -l)
    hangs=$(find "$findings/default/hangs" -type f -name 'id:*' 2>/dev/null | wc -l)
    echo "fuzz $target: ${seconds}s, crashes: $crashes, hangs: $hangs (inputs in $findings/default/crashes and hangs)"
    ;;
  pack)
    # Every package into artifacts/packages/: OpenSslTls (with libopenssltls_io.so under runtimes/linux-x64/native/, and
    # runtimes/linux-arm64/native/ when the cross compiler is there: see arm64_sysroot), OpenSslTls.Cluster.Redis (shared
    # ticket keys), OpenSslTls.Extensions.Hosting (AddOpenSslTls for .NET hosts), OpenSslTls.AspNetCore (UseOpenSslTls for
    # Kestrel) and the OpenSslTls.Cli tool (command
    # openssltls), each with its .snupkg. Extra arguments go to dotnet pack, e.g.
    # ./build.sh pack -p:VersionSuffix=rc.1 (the version itself is VersionPrefix in Directory.Build.props).
    arm64_sysroot
    rm -rf artifacts/packages
    for project in src/OpenSslTls/OpenSslTls.csproj src/OpenSslTls.Cluster.Redis/OpenSslTls.Cluster.Redis.csproj src/OpenSslTls.Extensions.Hosting/OpenSslTls.Extensions.Hosting.csproj src/OpenSslTls.AspNetCore/OpenSslTls.AspNetCore.csproj src/OpenSslTls.Server/OpenSslTls.Server.csproj; do
      dotnet pack "$project" -c Release -nologo -v quiet -o artifacts/packages "$@"
    done
    ls -1 artifacts/packages
    ;;
  help)
    echo "$usage"
    ;;
  *)
    echo "$usage" >&2
    exit 2
    ;;
esac
