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

exec dotnet run --project interop/OpenSslTls.Interop.Generator -c Release -- --repo-root "$repo_root" "$@"
