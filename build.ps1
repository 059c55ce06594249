#!/usr/bin/env pwsh
# OpenSslTls build driver for PowerShell (Windows, or pwsh elsewhere). The verbs of build.sh, with the same meaning:
#   build | test | test-openssl35 | pack | setup [verb] | regen [--check] | bench [--quick] | bench-sockets | bench-web | cluster-demo | run
#   | fuzz <target> [seconds] | help
# Regeneration drives clang over the OpenSSL headers; on Windows point CLANG at clang.exe and pass
# --include-root to the OpenSSL include directory (see interop/README.md). Verbs built on Linux-only tools (fuzz:
# AFL++; test-openssl35: debootstrap and chroot; setup: apt-get) hand over to build.sh where bash is, and otherwise
# say that they cannot run here.
# No param block: PowerShell's parameter binder would take dotnet's options for its own (-p:VersionSuffix=rc.1 is
# "ambiguous parameter -p"), and even $args splits such an argument at the colon. Started as a program (pwsh
# ./build.ps1 ..., pwsh -File ...), the process's own command line holds the arguments unchanged after the script's
# path; called from inside a PowerShell session, $args is all there is.
$ErrorActionPreference = 'Stop'
$raw = [Environment]::GetCommandLineArgs()
$at = [array]::FindIndex($raw, [Predicate[string]] {
        param($a)
        $a -and $a.EndsWith('.ps1') -and (Test-Path -LiteralPath $a -PathType Leaf) -and ((Resolve-Path -LiteralPath $a).Path -eq $PSCommandPath)
    })
# @(...) around the whole choice: an if that yields one string would otherwise make $all that string, not an array.
$all = @(if ($at -ge 0) { $raw | Select-Object -Skip ($at + 1) } else { $args })
$Verb = if ($all.Count -gt 0) { $all[0] } else { 'build' }
$Rest = [string[]]@($all | Select-Object -Skip 1)
Set-Location $PSScriptRoot
$env:DOTNET_CLI_TELEMETRY_OPTOUT = '1'
$env:DOTNET_NOLOGO = '1'
$env:DOTNET_SKIP_FIRST_TIME_EXPERIENCE = '1'

function Test-Command([string]$Name) { [bool](Get-Command $Name -CommandType Application -ErrorAction SilentlyContinue) }

function Invoke-Checked([string]$File, [string[]]$Arguments) {
    & $File @Arguments
    if ($LASTEXITCODE -ne 0) { throw "$File $($Arguments -join ' ') failed with exit code $LASTEXITCODE" }
}

# build.sh for the verbs made of Linux tools; exits with its status.
function Invoke-BuildSh([string[]]$Arguments) {
    if (-not (Test-Command 'bash')) {
        Write-Error "./build.ps1 $($Arguments[0]) needs Linux tools and bash (it runs ./build.sh $($Arguments -join ' '))"
        exit 2
    }
    & bash ./build.sh @Arguments
    exit $LASTEXITCODE
}

# As build.sh's setup: on a Debian system the packages a verb needs are installed (root) or named; elsewhere nothing.
function Invoke-Setup([string]$ForVerb) {
    if ($IsLinux -and (Test-Command 'bash') -and (Test-Command 'dpkg-query')) {
        & bash ./build.sh setup $ForVerb
        if ($LASTEXITCODE -ne 0) { exit $LASTEXITCODE }
    } elseif (-not (Test-Command 'dotnet')) {
        Write-Error 'the .NET SDK 10 (dotnet) is not on PATH'
        exit 2
    }
}

function Invoke-Regen([string[]]$Arguments) {
    $clang = if ($env:CLANG) { $env:CLANG } else { 'clang' }
    $i = [array]::IndexOf($Arguments, '--clang')
    if ($i -ge 0 -and $i + 1 -lt $Arguments.Count) { $clang = $Arguments[$i + 1] }
    if (-not (Get-Command $clang -ErrorAction SilentlyContinue)) {
        Write-Error "regen: clang not found ('$clang'): install clang (Debian: apt-get install -y clang) or set CLANG"
        exit 2
    }
    Invoke-Checked 'dotnet' (@('run', '--project', 'interop/OpenSslTls.Interop.Generator', '-c', 'Release', '--', '--repo-root', $PSScriptRoot) + $Arguments)
}

function Invoke-RegenCheck {
    # As build.sh: the bindings are pinned to the OpenSSL 3.0 headers; newer system headers skip the check.
    $opensslv = '/usr/include/openssl/opensslv.h'
    if (Test-Path $opensslv) {
        $text = Get-Content -Raw $opensslv
        $major = if ($text -match '#\s*define OPENSSL_VERSION_MAJOR\s+(\d+)') { $Matches[1] } else { '' }
        $minor = if ($text -match '#\s*define OPENSSL_VERSION_MINOR\s+(\d+)') { $Matches[1] } else { '' }
        if ($major -and "$major.$minor" -ne '3.0') {
            Write-Warning "bindings: the installed headers are OpenSSL $major.$minor, the bindings are generated from 3.0: regeneration check skipped"
            return
        }
    }
    Invoke-Regen @()
    $changed = git status --porcelain -- src/OpenSslTls/Interop/Generated native/constcheck
    if ($changed) { throw "regenerating the bindings changed committed files:`n$changed" }
    Write-Output 'bindings: regeneration is byte-identical'
}

# One run's counters into the totals, printed with a label; a missing trx of a failed run counts as one failure.
function Add-Run([hashtable]$Totals, [string]$Label, [string]$Trx, [int]$RunStatus) {
    $p = 0; $f = 0; $n = 0
    if (Test-Path $Trx) {
        $counters = ([xml](Get-Content -Raw $Trx)).TestRun.ResultSummary.Counters
        $p = [int]$counters.passed; $f = [int]$counters.failed; $n = [int]$counters.total - [int]$counters.executed
    } elseif ($RunStatus -ne 0) {
        $f = 1
    }
    Write-Output "  ${Label}: $p passed, $f failed, $n skipped"
    $Totals.passed += $p; $Totals.failed += $f; $Totals.skipped += $n
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
    $hostStatus = $status
    # The OpenSSL 3.5 run (Debian 13 root), as in build.sh: Linux, root, debootstrap, not switched off.
    $run35 = $false
    if ($IsLinux -and $env:OPENSSLTLS_OPENSSL35 -ne '0' -and (Test-Command 'debootstrap') -and ((& id -u) -eq '0')) {
        & bash .ci/trixie.sh can-run
        $run35 = $LASTEXITCODE -eq 0
    }
    $status35 = 0
    if ($run35) {
        $watch = [System.Diagnostics.Stopwatch]::StartNew()
        & bash .ci/trixie.sh test @Arguments
        $status35 = $LASTEXITCODE
        [Console]::Error.WriteLine("OpenSSL 3.5 run: $([int]$watch.Elapsed.TotalSeconds) s")
        if ($status35 -ne 0) { $status = $status35 }
    }
    $totals = @{ passed = 0; failed = 0; skipped = 0 }
    Add-Run $totals 'host' "$results/tests.trx" $hostStatus
    Add-Run $totals 'host, managed BIO (connection tests)' "$results/managed-bio.trx" $hostStatus
    if ($run35) { Add-Run $totals 'Debian 13 root, OpenSSL 3.5' "$results/openssl35/openssl35.trx" $status35 }
    if ($status -ne 0 -and $totals.failed -eq 0) { $totals.failed = 1 }
    Write-Output "$($totals.passed) passed, $($totals.failed) failed, $($totals.skipped) skipped"
    exit $status
}

function Invoke-Bench([string[]]$Arguments) {
    # As build.sh: the C reference harness first (make, gcc -O2), then the suite, every process pinned to one CPU
    # (OPENSSLTLS_BENCH_CPU, default 0; "none" to not pin) with taskset where it exists (docs/benchmarks.md).
    Invoke-Setup 'bench'
    if (-not (Test-Command 'make')) {
        Write-Error 'bench: make and gcc are needed for the C harness (native/bench); Debian: apt-get install -y make gcc libssl-dev'
        exit 2
    }
    Invoke-Checked 'make' @('-s', '-C', 'native/bench')
    Invoke-Checked 'dotnet' @('build', 'bench/OpenSslTls.Benchmarks', '-c', 'Release', '-v', 'quiet', '-nologo')
    $command = @('dotnet', 'run', '--no-build', '--project', 'bench/OpenSslTls.Benchmarks', '-c', 'Release', '--',
        '--c-harness', 'native/build/bench/tlsbench') + $Arguments
    $cpu = if ($env:OPENSSLTLS_BENCH_CPU) { $env:OPENSSLTLS_BENCH_CPU } else { '0' }
    if ($cpu -ne 'none' -and (Test-Command 'taskset')) { $command = @('taskset', '-c', $cpu) + $command }
    & $command[0] @($command | Select-Object -Skip 1)
    exit $LASTEXITCODE
}

$Usage = 'usage: ./build.ps1 {build|test|test-openssl35|pack|setup [verb]|regen [--check]|bench [--quick]|bench-sockets|bench-web|cluster-demo|run|fuzz <target> [seconds]|help}'

switch ($Verb) {
    'build' { Invoke-Checked 'dotnet' (@('build', 'OpenSslTls.sln', '-c', 'Release') + $Rest) }
    'test' { Invoke-Setup 'test'; Invoke-RegenCheck; Invoke-Tests $Rest }
    'test-openssl35' { Invoke-BuildSh (@('test-openssl35') + $Rest) }
    'setup' { Invoke-BuildSh (@('setup') + $Rest) }
    'regen' { if ($Rest -contains '--check') { Invoke-RegenCheck } else { Invoke-Regen $Rest } }
    'bench' { Invoke-Bench $Rest }
    # serve vs the same SIP loop on SslStream over loopback (Linux only: the runner reads /proc); see docs/benchmarks.md.
    'bench-sockets' { Invoke-Checked 'dotnet' (@('run', '--project', 'bench/OpenSslTls.SocketBench', '-c', 'Release', '--') + $Rest) }
    # Kestrel with UseOpenSslTls() vs UseHttps() under h2load and openssl s_time (Linux: /proc, taskset); see docs/benchmarks.md.
    'bench-web' { Invoke-Setup 'bench-web'; Invoke-Checked 'dotnet' (@('run', '--project', 'bench/OpenSslTls.WebBench', '-c', 'Release', '--') + $Rest) }
    # redis-server and three serve nodes, resumption across them (a bash script); see docs/cluster.md.
    'cluster-demo' { Invoke-BuildSh (@('cluster-demo') + $Rest) }
    'run' {
        # openssltls serve in the foreground (127.0.0.1:5061, self-signed localhost certificate unless options say otherwise).
        Invoke-Setup 'run'
        & dotnet run --project src/OpenSslTls.Server -c Release -- serve @Rest
        exit $LASTEXITCODE
    }
    # SharpFuzz + AFL++ (Linux): ./build.ps1 fuzz {tlscfg|modparam|record|sip|x509} [seconds]; see docs/reliability.md.
    'fuzz' { Invoke-BuildSh (@('fuzz') + $Rest) }
    'pack' {
        # Every package into artifacts/packages/ (OpenSslTls with the shim under runtimes/<rid>/native/, the
        # OpenSslTls.Cli tool), as build.sh pack; on Linux with bash, build.sh first fetches the arm64 OpenSSL headers.
        if ($IsLinux -and (Test-Command 'bash')) { Invoke-BuildSh (@('pack') + $Rest) }
        if (Test-Path artifacts/packages) { Remove-Item -Recurse -Force artifacts/packages }
        foreach ($project in @('src/OpenSslTls/OpenSslTls.csproj', 'src/OpenSslTls.Cluster.Redis/OpenSslTls.Cluster.Redis.csproj', 'src/OpenSslTls.Extensions.Hosting/OpenSslTls.Extensions.Hosting.csproj', 'src/OpenSslTls.AspNetCore/OpenSslTls.AspNetCore.csproj', 'src/OpenSslTls.Server/OpenSslTls.Server.csproj')) {
            Invoke-Checked 'dotnet' (@('pack', $project, '-c', 'Release', '-nologo', '-v', 'quiet', '-o', 'artifacts/packages') + $Rest)
        }
        Get-ChildItem -Name artifacts/packages
    }
    'help' { Write-Output $Usage }
    default {
        [Console]::Error.WriteLine($Usage)
        exit 2
    }
}
