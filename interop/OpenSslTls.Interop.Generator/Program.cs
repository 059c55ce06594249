using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace OpenSslTls.Interop.Generator;

/// <summary>Command line: see <see cref="Usage"/> and interop/README.md.</summary>
internal static class Program
{
    private const string Usage = """
        usage: OpenSslTls.Interop.Generator [options]
          --repo-root DIR     repository root (default: nearest parent holding interop/bindings.txt)
          --include-root DIR  take the OpenSSL headers from DIR/openssl and DIR/x86_64-linux-gnu/openssl
                              instead of the system ones
          --clang PATH        clang executable (default: $CLANG or clang)
          --out DIR           write the outputs under DIR (same relative paths) instead of the repository
          --check             write nothing; exit 1 if any output differs from what is on disk
          --report FILE       write every name the binding list selected but the generator left out, with why
          --keep-temp         keep the probe translation units and clang's diagnostics
        """;

    private static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false);

    public static int Main(string[] args)
    {
        try
        {
            return Run(Options.Parse(args));
        }
        catch (GeneratorException e)
        {
            Console.Error.WriteLine("error: " + e.Message);
            return 1;
        }
    }

    private static int Run(Options options)
    {
        if (options.Help)
        {
            Console.WriteLine(Usage);
            return 0;
        }

        var stopwatch = Stopwatch.StartNew();
        var repoRoot = options.RepoRoot ?? FindRepoRoot();
        var bindingsPath = Path.Combine(repoRoot, "interop", "bindings.txt");
        var umbrella = Path.Combine(repoRoot, "interop", "generation", "openssl.h");
        var bindings = BindingList.Load(bindingsPath);
        var clang = new ClangRunner(options.Clang, options.IncludeRoot);

        var workDirectory = Directory.CreateTempSubdirectory("openssl-interop-").FullName;
        try
        {
            var preprocessedFiles = new SortedSet<string>(StringComparer.Ordinal);
            var macros = MacroReader.Read(
                Encoding.UTF8.GetString(clang.RunChecked(["-E", "-dD"], umbrella, "the macro pass").StandardOutput),
                preprocessedFiles);
            var ast = AstReader.Read(
                clang.RunChecked(["-fsyntax-only", "-Xclang", "-ast-dump=json"], umbrella, "the AST pass").StandardOutput);
            if (preprocessedFiles.Count == 0 || ast.OpenSslFiles.Count == 0)
            {
                throw new GeneratorException("the umbrella header pulled in no OpenSSL header");
            }

            // -I puts the alternative root ahead of /usr/include; make sure nothing slipped past it.
            AstReader.CheckIncludeRoot(preprocessedFiles.Concat(ast.OpenSslFiles), options.IncludeRoot);

            var binder = new Binder(ast, macros, bindings, new ClangProbes(clang, umbrella, workDirectory, options.KeepTemp));
            var model = binder.Bind();

            var outputs = CSharpEmitter.Emit(model);
            outputs[CProbeEmitter.HeaderPath] = CProbeEmitter.Emit(model);
            var changed = WriteOutputs(options.OutputRoot ?? repoRoot, outputs, options.Check);

            if (options.ReportPath is { } reportPath)
            {
                File.WriteAllText(reportPath, Report(model, binder.Exclusions), Utf8);
            }

            Console.Error.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"OpenSSL {model.ApiVersion}: {model.Functions.Count} functions ({model.Functions.Count(f => f.Library == NativeLibrary.Ssl)} libssl), " +
                $"{model.Constants.Count} constants, {model.OpaqueStructs.Count} opaque types, {model.LayoutStructs.Count} layout structs; " +
                $"{binder.Exclusions.Count} selected names left out; {changed.Count} file(s) {(options.Check ? "out of date" : "updated")}; " +
                $"{stopwatch.Elapsed.TotalSeconds:F1} s"));
            foreach (var path in changed)
            {
                Console.Error.WriteLine((options.Check ? "  differs: " : "  wrote: ") + path);
            }

            return options.Check && changed.Count > 0 ? 1 : 0;
        }
        finally
        {
            if (options.KeepTemp)
            {
                Console.Error.WriteLine("probe files kept in " + workDirectory);
            }
            else
            {
                Directory.Delete(workDirectory, recursive: true);
            }
        }
    }

    /// <summary>Writes (or, with --check, compares) every output; removes stale generated files.</summary>
    private static List<string> WriteOutputs(string root, Dictionary<string, string> outputs, bool check)
    {
        var changed = new List<string>();
        foreach (var (relativePath, content) in outputs.OrderBy(o => o.Key, StringComparer.Ordinal))
        {
            var path = Path.Combine(root, relativePath);
            var bytes = Utf8.GetBytes(content);
            if (File.Exists(path) && File.ReadAllBytes(path).AsSpan().SequenceEqual(bytes))
            {
                continue;
            }

            changed.Add(relativePath);
            if (!check)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(path)!);
                File.WriteAllBytes(path, bytes);
            }
        }

        // The Generated folder belongs to the generator: a *.g.cs it no longer produces must go.
        var generated = Path.Combine(root, CSharpEmitter.GeneratedDirectory);
        if (Directory.Exists(generated))
        {
            foreach (var path in Directory.GetFiles(generated, "*.g.cs").Order(StringComparer.Ordinal))
            {
                var relativePath = CSharpEmitter.GeneratedDirectory + "/" + Path.GetFileName(path);
                if (!outputs.ContainsKey(relativePath))
                {
                    changed.Add(relativePath + " (stale)");
                    if (!check)
                    {
                        File.Delete(path);
                    }
                }
            }
        }

        return changed;
    }

    private static string Report(BindingModel model, List<Exclusion> exclusions)
    {
        var builder = new StringBuilder();
        builder.Append(CultureInfo.InvariantCulture, $"bound: {model.Functions.Count} functions, {model.Constants.Count} constants, ");
        builder.Append(CultureInfo.InvariantCulture, $"{model.OpaqueStructs.Count} opaque types, {model.LayoutStructs.Count} layout structs\n\n");
        foreach (var exclusion in exclusions.OrderBy(e => e.Kind, StringComparer.Ordinal).ThenBy(e => e.Name, StringComparer.Ordinal))
        {
            builder.Append(CultureInfo.InvariantCulture, $"{exclusion.Kind} {exclusion.Name}: {exclusion.Reason}\n");
        }

        return builder.ToString();
    }

    private static string FindRepoRoot()
    {
        for (var directory = new DirectoryInfo(Environment.CurrentDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "interop", "bindings.txt")))
            {
                return directory.FullName;
            }
        }

        throw new GeneratorException("no interop/bindings.txt above the current directory; pass --repo-root");
    }

    private sealed record Options(
        string? RepoRoot,
        string? IncludeRoot,
        string Clang,
        string? OutputRoot,
        bool Check,
        string? ReportPath,
        bool KeepTemp,
        bool Help)
    {
        public static Options Parse(string[] args)
        {
            var options = new Options(null, null, Environment.GetEnvironmentVariable("CLANG") is { Length: > 0 } clang ? clang : "clang", null, false, null, false, false);
            for (var i = 0; i < args.Length; i++)
            {
                string Value() => i + 1 < args.Length ? args[++i] : throw new GeneratorException($"{args[i]} needs a value");
                options = args[i] switch
                {
                    "--repo-root" => options with { RepoRoot = Path.GetFullPath(Value()) },
                    "--include-root" => options with { IncludeRoot = Path.TrimEndingDirectorySeparator(Path.GetFullPath(Value())) },
                    "--clang" => options with { Clang = Value() },
                    "--out" => options with { OutputRoot = Path.GetFullPath(Value()) },
                    "--check" => options with { Check = true },
                    "--report" => options with { ReportPath = Path.GetFullPath(Value()) },
                    "--keep-temp" => options with { KeepTemp = true },
                    "--help" or "-h" => options with { Help = true },
                    _ => throw new GeneratorException($"unknown argument '{args[i]}'\n{Usage}"),
                };
            }

            if (options.IncludeRoot is { } root && !File.Exists(Path.Combine(root, "openssl", "ssl.h")))
            {
                throw new GeneratorException($"--include-root {root}: no openssl/ssl.h there");
            }

            return options;
        }
    }
}
