using System.Diagnostics;
using System.Globalization;

namespace OpenSslTls.Benchmarks.Measurement;

/// <summary>Runs the C reference harness (native/bench/tlsbench) and reads its <c>scenario,value,unit</c> lines.</summary>
internal sealed class CHarness(string path, string pkiDirectory)
{
    public string Path => path;

    /// <summary>Runs the given scenarios; returns value by id (idle scenarios also yield <c>id-heap</c>).</summary>
    public Dictionary<string, double> Run(SampleSettings settings, int connections, params string[] scenarios)
    {
        var start = new ProcessStartInfo(path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])[
            "--pki", pkiDirectory,
            "--warmup-ms", Text(settings.WarmupMilliseconds),
            "--sample-ms", Text(settings.SampleMilliseconds),
            "--samples", Text(settings.Samples),
            "--connections", Text(connections),
            .. scenarios])
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {path}");
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Console.Error.Write(errors.Result);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{path} failed with exit code {process.ExitCode}");
        }

        var results = new Dictionary<string, double>();
        foreach (string line in output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            string[] fields = line.Split(',');
            results[fields[0]] = double.Parse(fields[1], CultureInfo.InvariantCulture);
        }

        return results;
    }

    /// <summary>The harness path: explicit, else native/build/bench/tlsbench above the working directory or the assembly.</summary>
    public static string Locate(string? explicitPath)
    {
        if (explicitPath is not null)
        {
            return File.Exists(explicitPath) ? System.IO.Path.GetFullPath(explicitPath) : throw new FileNotFoundException($"C harness '{explicitPath}' not found");
        }

        foreach (string origin in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (DirectoryInfo? directory = new(origin); directory is not null; directory = directory.Parent)
            {
                string candidate = System.IO.Path.Combine(directory.FullName, "native", "build", "bench", "tlsbench");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new FileNotFoundException("C harness native/build/bench/tlsbench not found: run ./build.sh bench (it builds it), or pass --c-harness PATH");
    }

    /// <summary>
    /// The plain memory-BIO program (native/bench/membio.c) built beside the harness at <paramref name="harnessPath"/>
    /// (<c>make -C native/bench</c> builds both).
    /// </summary>
    public static string LocateMemBio(string harnessPath)
    {
        string candidate = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(harnessPath)!, "membio");
        return File.Exists(candidate)
            ? candidate
            : throw new FileNotFoundException($"the memory-BIO C program {candidate} is not beside the C harness: run ./build.sh bench (make -C native/bench builds both)");
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
