#!/usr/bin/env pwsh
# OpenSslTls build driver for PowerShell (Windows, or pwsh elsewhere). Same verbs as build.sh:
#   build | test | regen [--check] | bench [--quick] | bench-sockets | run
# Regeneration drives clang over the OpenSSL headers; on Windows point CLANG at clang.exe and pass
# --include-root to the OpenSSL include directory (see interop/README.md).
param(
    [Parameter(Position = 0)][string]$Verb = 'build',
    [Parameter(Position = 1, ValueFromRemainingArguments = $true)][string[]]$Rest = @()
)
$ErrorActionPreference = 'Stop'
Set-Location $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'

function Invoke-Checked([string]$File, [string[]]$Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

function Invoke-Regen([string[]]$Arguments) {
    Invoke-Checked 'dotnet' (@('run', '--project', 'interop/OpenSslTls.Interop.Generator', '-c', 'Release', '--') + $Arguments)
}

function Invoke-RegenCheck {
    Invoke-Regen @()
    $changed = git status --porcelain -- src/OpenSslTls/Interop/Generated native/constcheck
    if ($changed) { throw "regenerating the bindings changed committed files:`n$changed" }
    Write-Output 'bindings: regeneration is byte-identical'
}

function Invoke-Tests([string[]]$Arguments) {
    $results = 'artifacts/test-results'
    if (Test-Path $results) { Remove-Item -Recurse -Force $results }
    # The whole solution first: dotnet test alone builds only the test projects and what they reference.
    & dotnet build OpenSslTls.sln -c Release -nologo -v quiet
    $status = $LASTEXITCODE
    & dotnet test OpenSslTls.sln -c Release --no-build --logger 'trx;LogFileName=tests.trx' --results-directory $results @Arguments
    if ($LASTEXITCODE -ne 0) { $status = $LASTEXITCODE }
    # The connection tests once more on the managed BIO, the fallback where the C I/O shim (native/io) is absent.
    $env:OPENSSLTLS_IO_SHIM = 'off'
    try {
        & dotnet test tests/OpenSslTls.Tests -c Release --no-build --filter 'FullyQualifiedName~.Connections.' --logger 'trx;LogFileName=managed-bio.trx' --results-directory $results
        if ($LASTEXITCODE -ne 0) { $status = $LASTEXITCODE }
    } finally {
        Remove-Item Env:OPENSSLTLS_IO_SHIM
    }
    $passed = 0; $failed = 0; $skipped = 0
    foreach ($trx in Get-ChildItem $results -Filter *.trx -ErrorAction SilentlyContinue) {
        $counters = ([xml](Get-Content $trx.FullName)).TestRun.ResultSummary.Counters
        $passed += [int]$counters.passed
        $failed += [int]$counters.failed
        $skipped += [int]$counters.total - [int]$counters.executed
    }
    if ($status -ne 0 -and $failed -eq 0) { $failed = 1 }
    Write-Output "$passed passed, $failed failed, $skipped skipped"
    exit $status
}

switch ($Verb) {
    'build' { Invoke-Checked 'dotnet' (@('build', 'OpenSslTls.sln', '-c', 'Release') + $Rest) }
    'test' { Invoke-RegenCheck; Invoke-Tests $Rest }
    'regen' { if ($Rest -contains '--check') { Invoke-RegenCheck } else { Invoke-Regen $Rest } }
    'bench' { Invoke-Checked 'dotnet' (@('run', '--project', 'bench/OpenSslTls.Benchmarks', '-c', 'Release', '--') + $Rest) }
    # serve vs the same SIP loop on SslStream over loopback (Linux only: the runner reads /proc); see docs/benchmarks.md.
    'bench-sockets' { Invoke-Checked 'dotnet' (@('run', '--project', 'bench/OpenSslTls.SocketBench', '-c', 'Release', '--') + $Rest) }
    'run' {
        # openssltls serve in the foreground (127.0.0.1:5061, self-signed localhost certificate unless options say otherwise).
        & dotnet run --project src/OpenSslTls.Server -c Release -- serve @Rest
        exit $LASTEXITCODE
    }
    default { Write-Error 'usage: ./build.ps1 {build|test|regen [--check]|bench [--quick]|bench-sockets|run}'; exit 2 }
}
