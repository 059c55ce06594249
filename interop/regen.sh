#!/usr/bin/env bash
# Regenerates the P/Invoke bindings (src/OpenSslTls/Interop/Generated/*.g.cs) and
# native/constcheck/constants.g.h from the OpenSSL headers, as interop/bindings.txt selects.
#
#   bash interop/regen.sh                                   # system headers (/usr/include/openssl)
#   bash interop/regen.sh --include-root /path/to/usr/include   # another OpenSSL 3.0.x header tree
#   bash interop/regen.sh --check                           # fail if the checked-in output is stale
#   bash interop/regen.sh --out /tmp/gen --report /tmp/gen/excluded.txt
#
# Needs clang (set CLANG=/path/to/clang to pick one) and the .NET SDK. See interop/README.md.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# The tools first, so a missing one is one line naming the Debian package rather than the generator's stack trace.
clang="${CLANG:-clang}"
headers=/usr/include
args=("$@")
for ((i = 0; i < ${#args[@]}; i++)); do
  case "${args[$i]}" in
    --clang) clang="${args[$((i + 1))]:-}" ;;
    --include-root) headers="${args[$((i + 1))]:-}" ;;
  esac
done
missing=()
command -v "$clang" >/dev/null 2>&1 || missing+=(clang)
[ -f "$headers/openssl/ssl.h" ] || missing+=(libssl-dev)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "regen: needs ${missing[*]} (clang: '$clang', OpenSSL headers: $headers/openssl/ssl.h)." >&2
  echo "regen: install with: apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 2
fi
command -v dotnet >/dev/null 2>&1 || { echo "regen: needs the .NET SDK 10 (dotnet) on PATH" >&2; exit 2; }

exec dotnet run --project interop/OpenSslTls.Interop.Generator -c Release -- --repo-root "$repo_root" "$@"
