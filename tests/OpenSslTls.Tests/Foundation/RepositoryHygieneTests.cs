using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Foundation;

/// <summary>
/// What a merge can leave behind unnoticed by the compiler: conflict markers in documentation, scripts and baselines
/// (a session's merge once committed three into docs/benchmarks.md, where no build looks).
/// </summary>
public sealed class RepositoryHygieneTests
{
    private static readonly string[] s_textFiles = ["*.md", "*.cs", "*.sh", "*.ps1", "*.txt", "*.csproj", "*.props", "*.json", "*.c", "*.h", "*.yml", "run"];

    [Fact]
    public void No_file_holds_a_merge_conflict_marker()
    {
        string root = RepositoryPaths.Root;
        var found = new List<string>();
        foreach (string pattern in s_textFiles)
        {
            foreach (string file in Directory.EnumerateFiles(root, pattern, SearchOption.AllDirectories))
            {
                string relative = Path.GetRelativePath(root, file);
                if (relative.Split(Path.DirectorySeparatorChar).Any(part => part is "bin" or "obj" or "artifacts" or ".git" or "node_modules"))
                {
                    continue;
                }

                int line = 0;
                foreach (string text in File.ReadLines(file))
                {
                    line++;
                    if (text.StartsWith("<<<<<<< ", StringComparison.Ordinal) || text.StartsWith(">>>>>>> ", StringComparison.Ordinal))
                    {
                        found.Add($"{relative}:{line}: {text}");
                    }
                }
            }
        }

        Assert.True(found.Count == 0, "merge conflict markers:\n" + string.Join('\n', found));
    }
}
