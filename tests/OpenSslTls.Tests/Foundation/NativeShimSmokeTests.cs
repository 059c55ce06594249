using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Foundation;

/// <summary>
/// native/io/smoke: a C program that loads a built libopenssltls_io.so, hands it the libssl functions as OpenSslTls
/// does and runs one TLS 1.3 handshake and one 1400-byte message through it. For linux-x64 natively; for the packed
/// linux-arm64 shim cross-compiled and run under qemu-aarch64-static against Debian's arm64 libssl (the only way
/// to run the arm64 build on this machine).
/// </summary>
public sealed class NativeShimSmokeTests : IDisposable
{
    private static readonly TimeSpan s_wait = TimeSpan.FromMinutes(2);
    private readonly string _out = Directory.CreateTempSubdirectory("openssltls-shim-smoke-").FullName;

    private static string Sysroot => Path.Combine(RepositoryPaths.Root, "artifacts", "sysroot", "linux-arm64");

    [SkippableFact]
    public void The_linux_x64_shim_handshakes_and_carries_a_message()
    {
        Skip.IfNot(OperatingSystem.IsLinux() && System.Runtime.InteropServices.RuntimeInformation.OSArchitecture == System.Runtime.InteropServices.Architecture.X64, "linux-x64 only");
        string shim = Path.Combine(RepositoryPaths.Native, "build", "io", "libopenssltls_io.so");
        Skip.IfNot(File.Exists(shim), $"{shim} not built (no gcc)");
        string program = Make([]);
        (int exit, string output, string errors) = ProcessRunner.Run(program, [shim], s_wait);
        Assert.True(exit == 0, output + errors);
        Assert.Matches(@"^shim smoke: x86_64, OpenSSL 3\.\d+\.\d+ .*: TLSv1\.3 .*, 1400 B message in \d+ B of records: ok", output);
    }

    [SkippableFact]
    public void The_linux_arm64_shim_handshakes_under_qemu_against_arm64_libssl()
    {
        string shim = Path.Combine(RepositoryPaths.Native, "build", "io-linux-arm64", "libopenssltls_io.so");
        Skip.IfNot(File.Exists("/usr/bin/aarch64-linux-gnu-gcc"), "no aarch64-linux-gnu-gcc (gcc-aarch64-linux-gnu): the arm64 shim is not built here");
        Skip.IfNot(File.Exists(Path.Combine(Sysroot, "usr", "lib", "aarch64-linux-gnu", "libssl.so.3")), "no arm64 libssl in artifacts/sysroot/linux-arm64 (./build.sh build fetches it)");
        Skip.IfNot(File.Exists("/usr/bin/qemu-aarch64-static"), "no qemu-aarch64-static (qemu-user-static): cannot run arm64 code here");
        Assert.True(File.Exists(shim), $"{shim} was not built although the cross compiler and the arm64 headers are there");

        string program = Make(["CC=aarch64-linux-gnu-gcc", "SYSROOT=" + Sysroot, "MULTIARCH=aarch64-linux-gnu"]);
        (int exit, string output, string errors) = ProcessRunner.Run(
            "/usr/bin/qemu-aarch64-static",
            ["-L", "/usr/aarch64-linux-gnu", "-E", "LD_LIBRARY_PATH=" + Path.Combine(Sysroot, "usr", "lib", "aarch64-linux-gnu"), program, shim],
            s_wait);
        Assert.True(exit == 0, output + errors);
        Assert.Matches(@"^shim smoke: aarch64, OpenSSL 3\.\d+\.\d+ .*: TLSv1\.3 .*, 1400 B message in \d+ B of records: ok", output);
    }

    public void Dispose() => Directory.Delete(_out, recursive: true);

    private string Make(string[] variables)
    {
        (int exit, string output, string errors) = ProcessRunner.Run(
            "make", ["-s", "-C", Path.Combine(RepositoryPaths.Native, "io", "smoke"), "OUT=" + _out, .. variables], s_wait);
        Assert.True(exit == 0, "building the smoke test failed:\n" + output + errors);
        return Path.Combine(_out, "shim_smoke");
    }
}
