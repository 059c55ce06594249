using System.Globalization;
using System.Reflection;
using OpenSslTls.Interop;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Foundation;

/// <summary>
/// The generated C# constants must equal what the C compiler sees in the installed headers: native/constcheck is
/// compiled with the system compiler, prints every bound constant, and each value is compared.
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
            .Select(entry => $"{entry.Key}: C# {entry.Value} vs C {native[entry.Key]}")
            .ToList();
        Assert.True(different.Count == 0, "values differ: " + string.Join("; ", different.Take(20)));
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
