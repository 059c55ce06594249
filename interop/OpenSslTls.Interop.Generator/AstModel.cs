namespace OpenSslTls.Interop.Generator;

/// <summary>A function prototype found in the headers (first declaration wins).</summary>
/// <param name="Header">File name of the declaring OpenSSL header, e.g. <c>ssl.h</c>.</param>
/// <param name="ParameterNames">Names as declared; null where the prototype leaves a parameter unnamed.</param>
/// <param name="HasBody">A definition (static inline helper): nothing is exported under this name.</param>
internal sealed record FunctionInfo(
    string Name,
    string Header,
    IReadOnlyList<string?> ParameterNames,
    bool IsVariadic,
    bool HasBody,
    bool IsStatic);

/// <summary>A typedef declared in an OpenSSL or system header.</summary>
internal sealed record TypedefInfo(string Name, string? Header, CType Underlying);

/// <summary>A struct or union tag; <see cref="Fields"/> is null while only forward-declared.</summary>
internal sealed record RecordInfo(string Tag, bool IsUnion, string? Header, IReadOnlyList<FieldInfo>? Fields);

internal sealed record FieldInfo(string Name, bool IsBitField);

/// <summary>An enumerator; <see cref="EnumSpelling"/> names its enum type (null for an anonymous, untypedef'd enum).</summary>
internal sealed record EnumConstantInfo(string Name, string Header, string? EnumSpelling);

/// <summary>What the full AST pass learned about the declarations the umbrella header pulls in.</summary>
/// <remarks>Header is null for declarations outside the OpenSSL include directories (libc and friends).</remarks>
internal sealed class AstModel
{
    public Dictionary<string, FunctionInfo> Functions { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, TypedefInfo> Typedefs { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, RecordInfo> Records { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, EnumConstantInfo> EnumConstants { get; } = new(StringComparer.Ordinal);

    /// <summary>Every distinct OpenSSL header file path the AST mentioned (to verify the include root).</summary>
    public SortedSet<string> OpenSslFiles { get; } = new(StringComparer.Ordinal);
}
