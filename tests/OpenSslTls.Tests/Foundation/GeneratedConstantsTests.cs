using System.Globalization;
using System.Reflection;
using OpenSslTls.Interop;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Foundation;

/// <summary>
/// The generated C# constants must equal what the C compiler sees in the installed headers: native/constcheck is
/// compiled with the system compiler, prints every bound constant, and each value is compared. Against the headers of
/// a later OpenSSL 3.x (the OpenSSL 3.5 run) a value may differ only where the library does not use the constant.
/// </summary>
public sealed class GeneratedConstantsTests
{
    [Fact]
    public void Every_generated_constant_equals_the_value_the_C_compiler_sees()
    {
        Dictionary<string, string> native = RunConstCheck();
        Dictionary<string, string> generated = GeneratedConstants();

        Assert.True(generated.Count > 500, $"only {generated.Count} constants were generated");
        var missing = generated.Keys.Where(name => !native.ContainsKey(name)).ToList();
        Assert.True(missing.Count == 0, "not printed by constcheck: " + string.Join(", ", missing.Take(20)));
        var extra = native.Keys.Where(name => !generated.ContainsKey(name)).ToList();
        Assert.True(extra.Count == 0, "printed by constcheck but not generated: " + string.Join(", ", extra.Take(20)));

        var different = generated.Where(entry => native[entry.Key] != entry.Value)
            .Select(entry => entry.Key)
            .ToList();
        string Describe(IEnumerable<string> names) =>
            string.Join("; ", names.Take(20).Select(name => $"{name}: C# {generated[name]} vs C {native[name]}"));
        if (native["OPENSSL_VERSION_MAJOR"] == generated["OPENSSL_VERSION_MAJOR"] &&
            native["OPENSSL_VERSION_MINOR"] == generated["OPENSSL_VERSION_MINOR"])
        {
            // The headers the bindings were generated from: every value is the same.
            Assert.True(different.Count == 0, "values differ: " + Describe(different));
            return;
        }

        // Headers of a later 3.x (the OpenSSL 3.5 run): OpenSSL keeps the ABI within a major, but not every macro or
        // enumerator is part of it (3.2 inserted handshake states and renumbered TLS_ST_*, NIDs and EVP_PKEY_OP_*
        // masks moved). Such a constant must then not be used by the library, whose code runs on both: only the
        // version macros themselves, which name the headers the bindings came from, may differ and be used.
        var used = different
            .Where(name => !name.StartsWith("OPENSSL_VERSION_", StringComparison.Ordinal) && UsedByTheLibrary(name))
            .ToList();
        Assert.True(used.Count == 0,
            $"values differ between the bindings' OpenSSL {generated["OPENSSL_VERSION_MAJOR"]}.{generated["OPENSSL_VERSION_MINOR"]} " +
            $"and the installed {native["OPENSSL_VERSION_MAJOR"]}.{native["OPENSSL_VERSION_MINOR"]} headers, and the library uses them: " +
            Describe(used));
    }

    /// <summary>Whether a source file of the library, outside the generated bindings, names <paramref name="constant"/>.</summary>
    private static bool UsedByTheLibrary(string constant)
    {
        var word = new System.Text.RegularExpressions.Regex($@"\b{constant}\b", System.Text.RegularExpressions.RegexOptions.CultureInvariant);
        return Directory.EnumerateFiles(Path.Combine(RepositoryPaths.Root, "src"), "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}Generated{Path.DirectorySeparatorChar}", StringComparison.Ordinal) &&
                !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Any(file => word.IsMatch(File.ReadAllText(file)));
    }

    [Fact]
    public void Well_known_constants_have_their_documented_values()
    {
        // Values fixed by the TLS RFCs and OpenSSL's stable ABI; a mapping bug would show here first.
        Assert.Equal(0x0303, NativeMethods.Ssl.TLS1_2_VERSION);
        Assert.Equal(0x0304, NativeMethods.Ssl.TLS1_3_VERSION);
        Assert.Equal(2, NativeMethods.Ssl.SSL_ERROR_WANT_READ);
        Assert.Equal(52, NativeMethods.Ssl.SSL_CTRL_SET_MAX_SEND_FRAGMENT);
        Assert.Equal(1UL << 29, (ulong)NativeMethods.Ssl.SSL_OP_NO_TLSv1_3);
    }

    [Fact]
    public unsafe void Bound_struct_sizes_equal_the_C_compilers()
    {
        Dictionary<string, string> sizes = RunConstCheck(includeSizes: true);

        Assert.Equal(sizes["sizeof(OSSL_PARAM)"], sizeof(OSSL_PARAM).ToString(CultureInfo.InvariantCulture));
        Assert.Equal(sizes["sizeof(tm)"], sizeof(tm).ToString(CultureInfo.InvariantCulture));
        Assert.Equal(sizes["sizeof(X509V3_CTX)"], sizeof(X509V3_CTX).ToString(CultureInfo.InvariantCulture));
        Assert.Equal(3, sizes.Keys.Count(name => name.StartsWith("sizeof(", StringComparison.Ordinal)));
    }

    private static Dictionary<string, string> RunConstCheck(bool includeSizes = false)
    {
        string source = Path.Combine(RepositoryPaths.Native, "constcheck", "constcheck.c");
        string output = Path.Combine(Path.GetTempPath(), $"openssltls-constcheck-{Environment.ProcessId}");
        try
        {
            var compile = ProcessRunner.Run("cc", ["-Wall", "-Werror", "-o", output, source, "-lssl", "-lcrypto"]);
            Assert.True(compile.ExitCode == 0, "compiling constcheck.c failed:\n" + compile.StandardError);
            var run = ProcessRunner.Run(output, []);
            Assert.Equal(0, run.ExitCode);
            var values = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (string line in run.StandardOutput.Split('\n', StringSplitOptions.RemoveEmptyEntries))
            {
                if (!includeSizes && line.StartsWith("sizeof(", StringComparison.Ordinal))
                {
                    continue; // struct sizes are checked by Bound_struct_sizes_equal_the_C_compilers
                }

                int equals = line.IndexOf('=', StringComparison.Ordinal);
                Assert.True(equals > 0, $"malformed constcheck line '{line}'");
                values[line[..equals]] = line[(equals + 1)..];
            }

            return values;
        }
        finally
        {
            File.Delete(output);
        }
    }

    private static Dictionary<string, string> GeneratedConstants()
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (Type type in new[] { typeof(NativeMethods.Ssl), typeof(NativeMethods.Crypto) })
        {
            foreach (FieldInfo field in type.GetFields(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static))
            {
                if (field.IsLiteral || (field.IsInitOnly && field.FieldType == typeof(string)))
                {
                    object? value = field.GetValue(null);
                    values[field.Name] = value switch
                    {
                        string text => text,
                        IFormattable number => number.ToString(null, CultureInfo.InvariantCulture),
                        _ => value?.ToString() ?? string.Empty,
                    };
                }
            }
        }

        return values;
    }
}
