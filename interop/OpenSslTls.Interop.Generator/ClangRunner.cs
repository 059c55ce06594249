using System.Diagnostics;
using System.Text;

namespace OpenSslTls.Interop.Generator;

/// <summary>Output of one clang invocation.</summary>
internal sealed record ClangResult(byte[] StandardOutput, string StandardError, int ExitCode);

/// <summary>
/// Runs clang over a C translation unit with the settings every pass shares, so the AST pass, the
/// macro pass and the probe passes all see exactly the same headers and the same ABI.
/// </summary>
internal sealed class ClangRunner
{
    // The bindings describe LP64 Linux (long and pointers are 64-bit); pin the target so a different
    // default triple cannot silently change what "long" means.
    private const string Target = "x86_64-pc-linux-gnu";

    // Debian keeps opensslconf.h/configuration.h in the multiarch directory, next to (not inside) include/.
    private const string MultiarchDirectory = "x86_64-linux-gnu";

    private readonly string _clang;
    private readonly List<string> _commonArguments;

    public ClangRunner(string clang, string? includeRoot)
    {
        _clang = clang;
        _commonArguments = ["-x", "c", "-std=gnu17", "--target=" + Target, "-ferror-limit=0", "-w"];
        if (includeRoot is not null)
        {
            // -I directories are searched before the system ones, so <openssl/...> resolves inside the
            // alternative root; AstReader additionally checks every OpenSSL file really came from there.
            _commonArguments.Add("-I");
            _commonArguments.Add(includeRoot);
            _commonArguments.Add("-I");
            _commonArguments.Add(Path.Combine(includeRoot, MultiarchDirectory));
        }
    }

    /// <summary>Runs clang with the shared arguments, <paramref name="arguments"/> and the input file.</summary>
    public ClangResult Run(IEnumerable<string> arguments, string inputFile)
    {
        var startInfo = new ProcessStartInfo(_clang)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in _commonArguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        foreach (var argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        startInfo.ArgumentList.Add(inputFile);

        using var process = Process.Start(startInfo)
            ?? throw new GeneratorException($"could not start '{_clang}'");

        // Drain stderr on another task: a full stderr pipe would otherwise block clang while we read stdout.
        var stderrTask = process.StandardError.ReadToEndAsync();
        using var stdout = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(stdout);
        process.WaitForExit();
        return new ClangResult(stdout.ToArray(), stderrTask.GetAwaiter().GetResult(), process.ExitCode);
    }

    /// <summary>Like <see cref="Run"/>, but a non-zero exit code is fatal.</summary>
    public ClangResult RunChecked(IEnumerable<string> arguments, string inputFile, string what)
    {
        var result = Run(arguments, inputFile);
        if (result.ExitCode != 0)
        {
            var errors = new StringBuilder();
            foreach (var line in result.StandardError.Split('\n').Take(40))
            {
                errors.Append("\n  ").Append(line);
            }

            throw new GeneratorException($"clang failed during {what} (exit {result.ExitCode}):{errors}");
        }

        return result;
    }
}

/// <summary>An error that stops generation; Program prints its message without a stack trace.</summary>
internal sealed class GeneratorException(string message) : Exception(message);
