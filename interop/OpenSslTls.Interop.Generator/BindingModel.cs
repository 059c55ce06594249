namespace OpenSslTls.Interop.Generator;

/// <summary>Which shared library exports a function or owns a constant.</summary>
internal enum NativeLibrary
{
    Crypto,
    Ssl,
}

/// <summary>A C# type plus the C spelling to record in NativeTypeName (null where they agree).</summary>
internal sealed record MappedType(string CSharp, string? NativeTypeName);

internal sealed record BoundParameter(string Name, MappedType Type);

internal sealed record BoundFunction(string Name, NativeLibrary Library, MappedType Return, IReadOnlyList<BoundParameter> Parameters, bool SuppressGcTransition = false);

internal enum ConstantKind
{
    Integer,
    String,
}

/// <summary>A constant with its value as clang evaluated it.</summary>
/// <param name="CSharpType">int, uint, nint, nuint, long, ulong or string.</param>
/// <param name="NativeTypeName">"#define NAME EXPANSION" for macros, the enum type for enumerators.</param>
/// <param name="PreferHex">The definition is written in hex or with shifts: print the value in hex too.</param>
internal sealed record BoundConstant(
    string Name,
    NativeLibrary Library,
    ConstantKind Kind,
    string CSharpType,
    Int128 IntegerValue,
    string? StringValue,
    string? NativeTypeName,
    bool PreferHex);

/// <summary>A record only ever handled through pointers.</summary>
/// <param name="NativeTypeName">"struct tag" when the C# name (a typedef) differs from the tag.</param>
internal sealed record OpaqueStruct(string Name, string Tag, string? NativeTypeName);

internal sealed record LayoutField(string Name, MappedType Type);

/// <summary>A record bound with its fields because callers allocate it (listed under [layouts]).</summary>
/// <param name="CSpelling">How C code names the type, for the sizeof check (e.g. <c>struct tm</c>).</param>
internal sealed record LayoutStruct(string Name, string Tag, string CSpelling, string? NativeTypeName, IReadOnlyList<LayoutField> Fields, bool NeedsUnsafe);

/// <summary>Everything the emitters write, already sorted.</summary>
internal sealed record BindingModel(
    string ApiVersion,
    IReadOnlyList<BoundFunction> Functions,
    IReadOnlyList<BoundConstant> Constants,
    IReadOnlyList<OpaqueStruct> OpaqueStructs,
    IReadOnlyList<LayoutStruct> LayoutStructs);

/// <summary>Something the binding list asked for that the generator left out, and why.</summary>
internal sealed record Exclusion(string Kind, string Name, string Reason);
