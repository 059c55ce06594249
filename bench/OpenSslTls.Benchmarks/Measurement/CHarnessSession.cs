using System.Diagnostics;
using System.Globalization;

namespace OpenSslTls.Benchmarks.Measurement;

/// <summary>
/// The C harness kept running in <c>--serve</c> mode, so the quick suite can take its samples one at a time,
/// interleaved with the managed implementations' samples.
/// </summary>
internal sealed class CHarnessSession : IDisposable
{
    private readonly Process _process;

    public CHarnessSession(string path, string pkiDirectory)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
        };
        foreach (string argument in (string[])["--pki", pkiDirectory, "--serve"])
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {path}");
    }

    public void Setup(Scenario scenario) => Expect($"setup {scenario.Id}", "ok");

    /// <summary>One sample of <paramref name="milliseconds"/> of CPU time: operations per CPU second and per wall second.</summary>
    public (double PerCpuSecond, double PerWallSecond) Run(int milliseconds)
    {
        string[] fields = Ask(string.Create(CultureInfo.InvariantCulture, $"run {milliseconds}")).Split(' ');
        return (double.Parse(fields[0], CultureInfo.InvariantCulture), double.Parse(fields[1], CultureInfo.InvariantCulture));
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
            throw new InvalidOperationException($"C harness answered '{reply}' to '{command}'");
        }
    }

    private string Ask(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
        return _process.StandardOutput.ReadLine()
            ?? throw new InvalidOperationException($"the C harness exited (code {(_process.WaitForExit(1000) ? _process.ExitCode : -1)}) on '{command}'");
    }
}
