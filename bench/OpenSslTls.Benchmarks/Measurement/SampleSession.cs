using System.Diagnostics;
using System.Globalization;

namespace OpenSslTls.Benchmarks.Measurement;

/// <summary>
/// One implementation kept running in its own process in serve mode (the C harness's <c>--serve</c>, or this program's
/// <c>--serve IMPL PKI WARMUP_MS</c>), so the quick suite can take its samples one at a time, interleaved with the other
/// implementations'. Every implementation in a process of its own: nothing one of them leaves behind (garbage, pending
/// finalizers, methods waiting for the JIT, the state of the malloc heap) is charged to another's CPU clock.
/// The protocol, one line each way: <c>setup ID</c> → <c>ok</c>; <c>run MS</c> → <c>OPS_PER_CPU_S OPS_PER_WALL_S
/// [ALLOCATED_BYTES OPERATIONS]</c> (the managed children add the managed bytes the sample allocated); <c>teardown</c>
/// → <c>ok</c> (a managed child first checks the operation still does what was measured); <c>quit</c>.
/// </summary>
internal sealed class SampleSession : IDisposable
{
    private readonly Process _process;
    private readonly string _name;

    private SampleSession(ProcessStartInfo start, string name)
    {
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = false;
        _name = name;
        _process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {start.FileName}");
    }

    public string Name => _name;

    /// <summary>A C reference program in serve mode (<c>tlsbench --serve</c> as "C", <c>membio --serve</c> as "C mem-BIO").</summary>
    public static SampleSession ForCHarness(string path, string pkiDirectory, string name = "C")
    {
        var start = new ProcessStartInfo(path);
        foreach (string argument in (string[])["--pki", pkiDirectory, "--serve"])
        {
            start.ArgumentList.Add(argument);
        }

        return new SampleSession(start, name);
    }

    /// <summary>This program again, as <c>--serve IMPL PKI WARMUP_MS</c>; it warms its code paths up before it answers the first command.</summary>
    public static SampleSession ForManaged(Implementation implementation, string pkiDirectory, int warmUpMilliseconds)
    {
        string host = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        var start = new ProcessStartInfo(host);
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            start.ArgumentList.Add(typeof(SampleSession).Assembly.Location);
        }

        foreach (string argument in (string[])["--serve", implementation.ToString(), pkiDirectory, warmUpMilliseconds.ToString(CultureInfo.InvariantCulture)])
        {
            start.ArgumentList.Add(argument);
        }

        return new SampleSession(start, implementation.ToString());
    }

    public void Setup(Scenario scenario) => Expect($"setup {scenario.Id}", "ok");

    /// <summary>One sample of <paramref name="milliseconds"/> of the child's CPU time.</summary>
    public Sample Run(int milliseconds)
    {
        string[] fields = Ask(string.Create(CultureInfo.InvariantCulture, $"run {milliseconds}")).Split(' ');
        double cpu = double.Parse(fields[0], CultureInfo.InvariantCulture);
        double wall = double.Parse(fields[1], CultureInfo.InvariantCulture);
        return fields.Length >= 4
            ? new Sample(cpu, wall, long.Parse(fields[2], CultureInfo.InvariantCulture), long.Parse(fields[3], CultureInfo.InvariantCulture))
            : new Sample(cpu, wall, null, null);
    }

    public void Teardown() => Expect("teardown", "ok");

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.StandardInput.WriteLine("quit");
            _process.StandardInput.Close();
            _process.WaitForExit();
        }

        _process.Dispose();
    }

    private void Expect(string command, string answer)
    {
        string reply = Ask(command);
        if (reply != answer)
        {
            throw new InvalidOperationException($"{_name} answered '{reply}' to '{command}'");
        }
    }

    private string Ask(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        return _process.StandardOutput.ReadLine()
            ?? throw new InvalidOperationException($"{_name} exited (code {(_process.WaitForExit(1000) ? _process.ExitCode : -1)}) on '{command}'");
    }

    /// <summary>One sample: operations per CPU and per wall second; for managed children, managed bytes allocated and operations done.</summary>
    internal readonly record struct Sample(double PerCpuSecond, double PerWallSecond, long? AllocatedBytes, long? Operations);
}
