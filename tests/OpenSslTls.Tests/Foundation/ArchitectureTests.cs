using System.Reflection;
using System.Text.RegularExpressions;
using NetArchTest.Rules;
using OpenSslTls.Connections;
using OpenSslTls.Tests.Support;

namespace OpenSslTls.Tests.Foundation;

/// <summary>
/// The library's layers (docs/architecture.md), enforced: namespaces follow folders, a layer references only the layers
/// below it (checked in the compiled IL, method bodies included), and unsafe code, pointers and native calls stay in
/// the interop layer, which has no public types.
/// </summary>
public sealed partial class ArchitectureTests
{
    /// <summary>Lowest first. Each may depend only on those before it.</summary>
    private static readonly string[] Layers =
    [
        "OpenSslTls.Errors",
        "OpenSslTls.Interop",
        "OpenSslTls.OpenSsl",
        "OpenSslTls.Certificates",
        "OpenSslTls.Profiles",
        "OpenSslTls.Connections",
        "OpenSslTls.Configuration",
        "OpenSslTls.Module",
    ];

    private static readonly Assembly Library = typeof(TlsConnection).Assembly;

    private static string SourceRoot => Path.Combine(RepositoryPaths.Root, "src", "OpenSslTls");

    public static TheoryData<string> LayerNames() => [.. Layers];

    [Theory]
    [MemberData(nameof(LayerNames))]
    public void A_layer_depends_only_on_the_layers_below_it(string layer)
    {
        string[] higher = Layers.SkipWhile(name => name != layer).Skip(1).ToArray();
        if (higher.Length == 0)
        {
            return;
        }

        TestResult result = Types.InAssembly(Library)
            .That().ResideInNamespace(layer)
            .ShouldNot().HaveDependencyOnAny(higher)
            .GetResult();
        Assert.True(result.IsSuccessful, $"{layer} references a higher layer ({string.Join(", ", higher)}) from: "
            + string.Join(", ", result.FailingTypeNames ?? []));
    }

    [Fact]
    public void Every_type_of_the_library_is_in_a_layer()
    {
        var outside = Library.GetTypes()
            .Where(type => !IsCompilerGenerated(type) && type.Namespace is not null)
            .Where(type => !Layers.Contains(type.Namespace))
            .Select(type => type.FullName)
            .ToList();
        Assert.True(outside.Count == 0, "types outside the layers: " + string.Join(", ", outside));
    }

    [Fact]
    public void The_interop_layer_has_no_public_types()
    {
        var exposed = Library.GetExportedTypes().Where(type => type.Namespace == "OpenSslTls.Interop").Select(type => type.FullName).ToList();
        Assert.True(exposed.Count == 0, "public interop types: " + string.Join(", ", exposed));
    }

    [Fact]
    public void Pointers_and_native_calls_stay_in_the_interop_layer()
    {
        const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
        var found = new List<string>();
        foreach (Type type in Library.GetTypes().Where(type => type.Namespace != "OpenSslTls.Interop"))
        {
            foreach (FieldInfo field in type.GetFields(All).Where(field => IsNative(field.FieldType)))
            {
                found.Add($"{type.FullName}.{field.Name}");
            }

            foreach (MethodInfo method in type.GetMethods(All))
            {
                if (IsNative(method.ReturnType) || method.GetParameters().Any(parameter => IsNative(parameter.ParameterType))
                    || method.Attributes.HasFlag(MethodAttributes.PinvokeImpl))
                {
                    found.Add($"{type.FullName}.{method.Name}");
                }
            }
        }

        Assert.True(found.Count == 0, "pointer-typed members or P/Invokes outside OpenSslTls.Interop: " + string.Join(", ", found));
    }

    [Fact]
    public void No_source_file_outside_the_interop_folder_is_unsafe()
    {
        var files = SourceFiles()
            .Where(file => !IsUnder(file, "Interop"))
            .Where(file => UnsafeKeyword().IsMatch(WithoutCommentsAndStrings(File.ReadAllText(file))))
            .Select(Relative)
            .ToList();
        Assert.True(files.Count == 0, "unsafe code outside src/OpenSslTls/Interop: " + string.Join(", ", files));
    }

    [Fact]
    public void Namespaces_follow_folders()
    {
        var wrong = new List<string>();
        foreach (string file in SourceFiles())
        {
            string relative = Path.GetRelativePath(SourceRoot, file);
            string[] folders = Path.GetDirectoryName(relative)!.Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries);
            if (folders.Length == 0)
            {
                continue; // GlobalUsings.cs: no namespace
            }

            // The generated bindings are partial classes of the interop layer's NativeMethods: same namespace, own folder.
            string expected = "OpenSslTls." + (folders is ["Interop", "Generated"] ? "Interop" : string.Join('.', folders));
            Match declared = NamespaceDeclaration().Match(File.ReadAllText(file));
            if (!declared.Success || declared.Groups[1].Value != expected)
            {
                wrong.Add($"{Path.GetRelativePath(SourceRoot, file)}: {(declared.Success ? declared.Groups[1].Value : "no namespace")}, expected {expected}");
            }
        }

        Assert.True(wrong.Count == 0, string.Join("; ", wrong));
    }

    [Fact]
    public void Each_source_file_declares_at_most_one_public_type()
    {
        var crowded = SourceFiles()
            .Where(file => PublicTopLevelType().Matches(File.ReadAllText(file)).Count > 1)
            .Select(Relative)
            .ToList();
        Assert.True(crowded.Count == 0, "files with more than one public type: " + string.Join(", ", crowded));
    }

    private static bool IsNative(Type type)
    {
        while (type.HasElementType)
        {
            if (type.IsPointer)
            {
                return true;
            }

            type = type.GetElementType()!;
        }

        return type.IsPointer || type.IsFunctionPointer || type.IsUnmanagedFunctionPointer;
    }

    private static bool IsCompilerGenerated(Type type) =>
        type.Name.Contains('<', StringComparison.Ordinal) || type.FullName?.Contains("<", StringComparison.Ordinal) == true
        || type.Namespace is null || type.Namespace.StartsWith("System", StringComparison.Ordinal) || type.Namespace.StartsWith("Microsoft", StringComparison.Ordinal);

    private static IEnumerable<string> SourceFiles() =>
        Directory.EnumerateFiles(SourceRoot, "*.cs", SearchOption.AllDirectories)
            .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !file.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal));

    private static bool IsUnder(string file, string folder) =>
        Path.GetRelativePath(SourceRoot, file).StartsWith(folder + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    private static string Relative(string file) => Path.GetRelativePath(RepositoryPaths.Root, file);

    /// <summary>Source text with comments and string literals blanked, so "unsafe" in prose does not count.</summary>
    private static string WithoutCommentsAndStrings(string source) => CommentOrString().Replace(source, " ");

    [GeneratedRegex(@"//[^\n]*|/\*.*?\*/|@""(?:""""|[^""])*""|""(?:\\.|[^""\\\n])*""", RegexOptions.Singleline)]
    private static partial Regex CommentOrString();

    [GeneratedRegex(@"\bunsafe\b")]
    private static partial Regex UnsafeKeyword();

    [GeneratedRegex(@"^namespace ([\w.]+);", RegexOptions.Multiline)]
    private static partial Regex NamespaceDeclaration();

    [GeneratedRegex(@"^public (?:(?:sealed|static|abstract|readonly|partial|record|ref)\s+)*(?:class|struct|enum|interface|record|delegate)\b", RegexOptions.Multiline)]
    private static partial Regex PublicTopLevelType();
}
