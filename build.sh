#!/usr/bin/env bash
# OpenSslTls build driver. Verbs:
#   build            compile everything (Release)
#   test             regeneration check + native helpers + all tests; ends with "N passed, N failed, N skipped"
#   regen [--check]  regenerate the OpenSSL bindings from the installed headers (--check: fail if they change)
#   bench [--quick]  benchmarks (see docs/benchmarks.md)
#   run              the main job (see README: what exists)
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
  if ! git diff --quiet --exit-code -- src/OpenSslTls/Native/Generated native/constcheck; then
    echo "error: regenerating the bindings changed committed files:" >&2
    git --no-pager diff --stat -- src/OpenSslTls/Native/Generated native/constcheck >&2
    return 1
  fi
  if [ -n "$(git status --porcelain -- src/OpenSslTls/Native/Generated native/constcheck)" ]; then
    echo "error: regenerating the bindings created untracked files:" >&2
    git status --porcelain -- src/OpenSslTls/Native/Generated native/constcheck >&2
    return 1
  fi
  echo "bindings: regeneration is byte-identical"
}

run_tests() {
  local results="artifacts/test-results"
  rm -rf "$results"
  mkdir -p "$results"
  local status=0
  dotnet test OpenSslTls.sln -c Release --logger "trx;LogFileName=tests.trx" --results-directory "$results" "$@" || status=$?
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
    make -s -C native/bench
    dotnet run --project bench/OpenSslTls.Benchmarks -c Release -- --c-harness native/build/bench/tlsbench "$@"
    ;;
  run)
    # openssltls serve in the foreground; with no options: 127.0.0.1:5061 and a self-signed localhost certificate
    # made on first start in the data directory. Extra arguments go to serve, e.g. ./build.sh run --listen [::1]:5061
    exec dotnet run --project src/OpenSslTls.Server -c Release -- serve "$@"
    ;;
  *)
    echo "usage: ./build.sh {build|test|regen [--check]|bench [--quick]|run}" >&2
    exit 2
    ;;
esac
