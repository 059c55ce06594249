namespace OpenSslTls.Tests.Support;

/// <summary>Locates the repository (the folder holding OpenSslTls.sln) and the shared fixtures beside it.</summary>
public static class RepositoryPaths
{
    private static readonly Lazy<string> RootPath = new(FindRoot);

    public static string Root => RootPath.Value;

    public static string Native => Path.Combine(Root, "native");

    /// <summary>The shared Kamailio fixtures (../shared/fixtures), or null when this checkout has none.</summary>
    public static string? SharedFixtures
    {
        get
        {
            string path = Path.GetFullPath(Path.Combine(Root, "..", "shared", "fixtures"));
            return Directory.Exists(path) ? path : null;
        }
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "OpenSslTls.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no OpenSslTls.sln above {AppContext.BaseDirectory}");
    }
}
