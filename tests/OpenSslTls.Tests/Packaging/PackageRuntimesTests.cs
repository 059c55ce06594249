using System.IO.Compression;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Packaging;

/// <summary>
/// The OpenSslTls package carries the C I/O shim for every RID it was built for: linux-x64 always, linux-arm64 when
/// Debian's cross compiler and the arm64 OpenSSL headers were there (./build.sh fetches the headers), each an ELF
/// shared object of its own architecture.
/// </summary>
[Collection(PackagingCollection.Name)]
public sealed class PackageRuntimesTests(PackedFeed feed)
{
    private const ushort MachineX64 = 0x3E;
    private const ushort MachineAarch64 = 0xB7;

    [SkippableFact]
    public void The_library_package_has_the_shim_for_linux_x64_and_linux_arm64()
    {
        Skip.If(PackedFeed.SkipReason is not null, PackedFeed.SkipReason);
        feed.EnsurePacked();
        string package = Assert.Single(
            Directory.GetFiles(feed.Feed, "OpenSslTls.*.nupkg"),
            path => !Path.GetFileName(path).StartsWith("OpenSslTls.Cli.", StringComparison.Ordinal)
                && !Path.GetFileName(path).StartsWith("OpenSslTls.Extensions.Hosting.", StringComparison.Ordinal));
        using ZipArchive archive = ZipFile.OpenRead(package);
        string[] natives = [.. archive.Entries.Select(entry => entry.FullName).Where(name => name.StartsWith("runtimes/", StringComparison.Ordinal))];

        Assert.Equal(MachineX64, ElfMachine(archive, "runtimes/linux-x64/native/libopenssltls_io.so"));
        bool arm64Buildable = File.Exists("/usr/bin/aarch64-linux-gnu-gcc")
            && File.Exists(Path.Combine(RepositoryPaths.Root, "artifacts", "sysroot", "linux-arm64", "usr", "include", "aarch64-linux-gnu", "openssl", "configuration.h"));
        Skip.IfNot(arm64Buildable, "no aarch64-linux-gnu-gcc or no arm64 OpenSSL headers in artifacts/sysroot/linux-arm64: the build made linux-x64 only");
        Assert.Equal(MachineAarch64, ElfMachine(archive, "runtimes/linux-arm64/native/libopenssltls_io.so"));
        Assert.Equal(["runtimes/linux-arm64/native/libopenssltls_io.so", "runtimes/linux-x64/native/libopenssltls_io.so"], natives.Order(StringComparer.Ordinal));
    }

    /// <summary>e_machine of an ELF file in the package (offset 18, little-endian), after checking the ELF magic.</summary>
    private static ushort ElfMachine(ZipArchive archive, string name)
    {
        ZipArchiveEntry entry = archive.GetEntry(name) ?? throw new Xunit.Sdk.XunitException($"{name} is not in the package: {string.Join(", ", archive.Entries.Select(e => e.FullName))}");
        using Stream stream = entry.Open();
        byte[] header = new byte[20];
        stream.ReadExactly(header);
        Assert.Equal("\u007fELF"u8.ToArray(), header[..4]);
        return (ushort)(header[18] | header[19] << 8);
    }
}
