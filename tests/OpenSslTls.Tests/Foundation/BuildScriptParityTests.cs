using System.Diagnostics;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Foundation;

/// <summary>
/// build.ps1 offers every verb of build.sh with the same meaning (issue 16). There is no pwsh on the machines this runs
/// on, so tools/pwsh-host (Microsoft.PowerShell.SDK, not shipped) runs the script. Both scripts run from a scratch copy
/// of the checkout's scripts with <c>dotnet</c>, <c>make</c> and <c>taskset</c> replaced by stubs that log their
/// command lines: for every verb the two must run the same commands in the same order and exit alike.
/// </summary>
public sealed class BuildScriptParityTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromMinutes(4);
    private static readonly Lazy<(string? Host, string? Problem)> s_pwshHost = new(BuildPwshHost, LazyThreadSafetyMode.ExecutionAndPublication);
    private readonly string _root = Directory.CreateTempSubdirectory("openssltls-build-scripts-").FullName;

    public BuildScriptParityTests()
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        // The scripts and what they call by path; a stand-in arm64 sysroot so build.sh does not fetch one here.
        foreach (string file in (string[])["build.sh", "build.ps1", "interop/regen.sh", ".ci/trixie.sh"])
        {
            string target = Path.Combine(_root, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(Path.Combine(RepositoryPaths.Root, file), target);
        }

        string configuration = Path.Combine(_root, "artifacts", "sysroot", "linux-arm64", "usr", "include", "aarch64-linux-gnu", "openssl", "configuration.h");
        Directory.CreateDirectory(Path.GetDirectoryName(configuration)!);
        File.WriteAllText(configuration, string.Empty);
        string stubs = Directory.CreateDirectory(Path.Combine(_root, "stubs")).FullName;
        foreach (string tool in (string[])["dotnet", "make"])
        {
            Stub(stubs, tool, $"echo \"{tool} $*\" >> \"$STUB_LOG\"");
        }

        Stub(stubs, "taskset", "echo \"taskset $1 $2\" >> \"$STUB_LOG\"; shift 2; exec \"$@\"");
        if (ToolsPresent)
        {
            Run("git", ["init", "-q", "."], new Dictionary<string, string>());
        }
    }

    /// <summary>
    /// git and clang on PATH: a machine set up for <c>./build.sh test</c>. Elsewhere (the OpenSSL 3.5 root has
    /// neither) build.sh's prerequisite check would try to install packages, which is not this test's business.
    /// </summary>
    private static bool ToolsPresent => OnPath("git") && OnPath("clang") && OnPath("bash");

    public static TheoryData<string> Verbs => new()
    {
        "build",
        "build -p:X=1",
        "test",
        "pack",
        "regen",
        "regen --check",
        "bench --quick --only record",
        "bench-sockets --seconds 1",
        "bench-web --tiny",
        "run --listen 127.0.0.1:0",
        "setup run",
        "fuzz",
        "no-such-verb",
        "help",
    };

    [SkippableTheory]
    [MemberData(nameof(Verbs))]
    public void Build_ps1_runs_what_build_sh_runs_for(string commandLine)
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "build.sh is the Linux driver");
        Skip.IfNot(ToolsPresent, "needs git, clang and bash (the tools ./build.sh test needs); not a build machine");
        (string? host, string? problem) = s_pwshHost.Value;
        Skip.If(host is null, problem);
        string[] args = commandLine.Split(' ');
        (int shExit, string shCommands, string shOutput) = RunScript("bash", ["build.sh", .. args]);
        (int psExit, string psCommands, string psOutput) = RunScript(host!, ["build.ps1", .. args]);

        Assert.True(shExit == psExit, $"exit codes differ: build.sh {shExit}, build.ps1 {psExit}\nbuild.sh:\n{shOutput}\nbuild.ps1:\n{psOutput}");
        Assert.True(shCommands == psCommands, $"commands differ\nbuild.sh:\n{shCommands}\nbuild.ps1:\n{psCommands}\noutput of build.ps1:\n{psOutput}");
        // Verbs that run something must have run it (else "both ran nothing" would pass). The one exception: the
        // regeneration check, which both scripts skip, saying so, where the installed headers are not OpenSSL 3.0's.
        bool regenSkipped = commandLine == "regen --check"
            && shOutput.Contains("regeneration check skipped", StringComparison.Ordinal)
            && psOutput.Contains("regeneration check skipped", StringComparison.Ordinal);
        if (!commandLine.StartsWith("setup", StringComparison.Ordinal) && commandLine is not ("fuzz" or "no-such-verb" or "help") && !regenSkipped)
        {
            Assert.False(string.IsNullOrEmpty(shCommands), $"build.sh {commandLine} ran no stubbed command:\n{shOutput}");
        }

        if (commandLine == "help")
        {
            Assert.Equal(0, shExit);
            Assert.Equal(UsageVerbs(shOutput), UsageVerbs(psOutput));
            Assert.Contains("pack", UsageVerbs(psOutput));
            Assert.Contains("fuzz <target> [seconds]", UsageVerbs(psOutput));
        }
        else if (commandLine == "no-such-verb")
        {
            Assert.Equal(2, shExit);
        }
        else if (commandLine.StartsWith("build", StringComparison.Ordinal))
        {
            Assert.Equal($"dotnet build OpenSslTls.sln -c Release{commandLine["build".Length..]}\n", psCommands);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>The verbs of a usage line: <c>usage: ./build.x {a|b [c]|…}</c>.</summary>
    private static string[] UsageVerbs(string usage)
    {
        string line = usage.Split('\n').First(l => l.Contains("usage: ", StringComparison.Ordinal));
        return [.. line[(line.IndexOf('{', StringComparison.Ordinal) + 1)..line.LastIndexOf('}')].Split('|')];
    }

    private (int Exit, string Commands, string Output) RunScript(string file, string[] args)
    {
        string log = Path.Combine(_root, "commands.log");
        File.Delete(log);
        var environment = new Dictionary<string, string>
        {
            ["STUB_LOG"] = log,
            ["PATH"] = Path.Combine(_root, "stubs") + ":" + Environment.GetEnvironmentVariable("PATH"),
            ["OPENSSLTLS_OPENSSL35"] = "0",
        };
        (int exit, string output) = Run(file, args, environment);
        return (exit, File.Exists(log) ? File.ReadAllText(log).Replace(_root, "ROOT", StringComparison.Ordinal) : string.Empty, output);
    }

    private (int Exit, string Output) Run(string file, IEnumerable<string> args, Dictionary<string, string> environment)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = _root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment)
        {
            start.Environment[name] = value;
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        Task<string> errors = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(s_wait))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish");
        }

        return (process.ExitCode, output.Result + errors.Result);
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Any(directory => directory.Length > 0 && File.Exists(Path.Combine(directory, tool)));

    private static void Stub(string directory, string name, string body)
    {
        string path = Path.Combine(directory, name);
        File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>Builds tools/pwsh-host once per run; null with the reason when it cannot (no SDK package, no restore).</summary>
    private static (string? Host, string? Problem) BuildPwshHost()
    {
        string dotnet = Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } path ? path : "dotnet";
        string project = Path.Combine(RepositoryPaths.Root, "tools", "pwsh-host");
        (int exit, string output, string errors) = ProcessRunner.Run(dotnet, ["build", project, "-c", "Release", "-nologo", "-v", "quiet"], s_wait);
        string host = Path.Combine(project, "bin", "Release", "net10.0", "PwshHost");
        return exit == 0 && File.Exists(host)
            ? (host, null)
            : (null, $"tools/pwsh-host could not be built (Microsoft.PowerShell.SDK 7.6.9 must restore):\n{output}{errors}");
    }
}
