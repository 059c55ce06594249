#!/usr/bin/env bash
# OpenSslTls build driver. Verbs:
#   build            compile everything (Release)
#   test             regeneration check + native helpers + all tests; ends with "N passed, N failed, N skipped"
#   regen [--check]  regenerate the OpenSSL bindings from the installed headers (--check: fail if they change)
#   bench [--quick]  benchmarks (see docs/benchmarks.md)
#   bench-sockets    serve vs an SslStream server over loopback: OPTIONS/s and new connections/s (docs/benchmarks.md)
#   run              the main job (see README: what exists)
#   fuzz <target> [seconds]  SharpFuzz + AFL++ on tlscfg, modparam, record or sip (see docs/reliability.md)
set -euo pipefail
cd "$(dirname "$0")"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

verb="${1:-build}"
shift || true

regen() {
  bash interop/regen.sh "$@"
}

regen_check() {
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

run_tests() {
  local results="artifacts/test-results"
  rm -rf "$results"
  mkdir -p "$results"
  local status=0
  # The whole solution first: dotnet test alone builds only the test projects and what they reference, so the
  # benchmark project (and with it the quick-benchmark smoke test) would go unbuilt.
  dotnet build OpenSslTls.sln -c Release -nologo -v quiet || status=$?
  dotnet test OpenSslTls.sln -c Release --no-build --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@" || status=$?
  # The connection tests once more on the managed BIO, the fallback where the C I/O shim (native/io) is absent.
  OPENSSLTLS_IO_SHIM=off dotnet test tests/OpenSslTls.Tests -c Release --no-build --filter "FullyQualifiedName~.Connections." \
    --logger "trx;LogFileName=managed-bio.trx" --results-directory "$results" || status=$?
  local passed=0 failed=0 skipped=0 trx
  for trx in "$results"/*.trx; do
    [ -f "$trx" ] || continue
    local counters
    counters=$(grep -o '<Counters [^>]*>' "$trx" | head -n 1)
    local p f n e t
    p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$counters")
    f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$counters")
    e=$(sed -n 's/.* executed="\([0-9]*\)".*/\1/p' <<<"$counters")
    t=$(sed -n 's/.* total="\([0-9]*\)".*/\1/p' <<<"$counters")
    n=$(( ${t:-0} - ${e:-0} ))
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + n))
  done
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi
  echo "${passed} passed, ${failed} failed, ${skipped} skipped"
  return "$status"
}

case "$verb" in
  build)
    dotnet build OpenSslTls.sln -c Release "$@"
    ;;
  test)
    regen_check
    run_tests "$@"
    ;;
  regen)
    if [ "${1:-}" = "--check" ]; then regen_check; else regen "$@"; fi
    ;;
  bench)
    # The C reference harness first (gcc -O2), then the suite: --quick = Stopwatch loops and one table (< 3 min);
    # no flag = BenchmarkDotNet + C harness + idle-memory probes. See docs/benchmarks.md.
    # Every process of the run is pinned to one CPU (OPENSSLTLS_BENCH_CPU, default 0; "none" to not pin): on this
    # kind of virtual machine the two vCPUs run at different and changing speeds, and C and C# sampled in turns on
    # different vCPUs compared the vCPUs, not the code (docs/benchmarks.md, "Pinned to one CPU").
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
    # --seconds S --warmup S --slice-ms MS --connections C --workers K --only ID-PART. See docs/benchmarks.md.
    dotnet run --project bench/OpenSslTls.SocketBench -c Release -- "$@"
    ;;
  run)
    # openssltls serve in the foreground; with no options: 127.0.0.1:5061 and a self-signed localhost certificate
    # made on first start in the data directory. Extra arguments go to serve, e.g. ./build.sh run --listen [::1]:5061
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
  *)
    echo "usage: ./build.sh {build|test|regen [--check]|bench [--quick]|bench-sockets|run}" >&2
    exit 2
    ;;
esac
