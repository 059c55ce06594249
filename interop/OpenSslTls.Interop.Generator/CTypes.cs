using System.Text.Json;

namespace OpenSslTls.Interop.Generator;

/// <summary>
/// A C type as clang's JSON AST describes it. <see cref="Spelling"/> is clang's own printing of the
/// type as written (typedef names kept), which is what NativeTypeName records.
/// </summary>
internal abstract record CType(string Spelling);

internal sealed record CBuiltinType(string Spelling, string Name) : CType(Spelling);

internal sealed record CPointerType(string Spelling, CType Pointee) : CType(Spelling);

/// <summary>const/volatile on top of another type; C# has no equivalent, so mapping looks through it.</summary>
internal sealed record CQualifiedType(string Spelling, CType Inner) : CType(Spelling);

internal sealed record CTypedefType(string Spelling, string Name, CType Underlying) : CType(Spelling);

internal sealed record CRecordType(string Spelling, string Tag, bool IsUnion) : CType(Spelling);

/// <summary>An enum; <see cref="Tag"/> is empty for an anonymous one (then only a typedef names it).</summary>
internal sealed record CEnumType(string Spelling, string Tag) : CType(Spelling);

internal sealed record CFunctionType(string Spelling, CType Return, IReadOnlyList<CType> Parameters, bool IsVariadic, bool HasPrototype)
    : CType(Spelling);

internal sealed record CArrayType(string Spelling, CType Element) : CType(Spelling);

/// <summary>A type the generator has no C# mapping for (vectors, atomics, _BitInt, ...).</summary>
internal sealed record CUnsupportedType(string Spelling, string Kind) : CType(Spelling);

/// <summary>Builds <see cref="CType"/> trees from clang's JSON type nodes.</summary>
internal static class CTypeParser
{
    public static bool IsTypeNode(JsonElement node) =>
        node.ValueKind == JsonValueKind.Object
        && node.TryGetProperty("kind", out var kind)
        && kind.GetString() is { } name
        && name.EndsWith("Type", StringComparison.Ordinal);

    public static CType Parse(JsonElement node)
    {
        var kind = node.GetProperty("kind").GetString() ?? string.Empty;
        var spelling = Spelling(node);
        switch (kind)
        {
            case "BuiltinType":
                return new CBuiltinType(spelling, spelling);

            case "PointerType":
                return new CPointerType(spelling, Parse(FirstTypeChild(node)));

            case "QualType":
                return new CQualifiedType(spelling, Parse(FirstTypeChild(node)));

            case "TypedefType":
                return new CTypedefType(spelling, DeclName(node), Parse(FirstTypeChild(node)));

            case "RecordType":
                return new CRecordType(spelling, DeclName(node), spelling.StartsWith("union ", StringComparison.Ordinal));

            case "EnumType":
                return new CEnumType(spelling, DeclName(node));

            case "FunctionProtoType":
            case "FunctionNoProtoType":
            {
                var children = TypeChildren(node).Select(Parse).ToList();
                var isVariadic = node.TryGetProperty("variadic", out var variadic) && variadic.GetBoolean();
                return new CFunctionType(spelling, children[0], children.Skip(1).ToList(), isVariadic, kind == "FunctionProtoType");
            }

            case "ConstantArrayType":
            case "IncompleteArrayType":
                return new CArrayType(spelling, Parse(FirstTypeChild(node)));

            case "DecayedType":
            {
                // An array or function parameter adjusted to a pointer: what crosses the ABI is the pointer.
                var original = Parse(FirstTypeChild(node));
                return StripSugar(original) switch
                {
                    CArrayType array => new CPointerType(spelling, array.Element),
                    CFunctionType function => new CPointerType(spelling, function),
                    _ => original,
                };
            }

            // Pure sugar: the meaning is the (last) wrapped type, the spelling stays as written.
            case "ElaboratedType":
            case "ParenType":
            case "AttributedType":
            case "MacroQualifiedType":
            case "TypeOfExprType":
            case "TypeOfType":
            case "BTFTagAttributedType":
                return Parse(LastTypeChild(node));

            default:
                return new CUnsupportedType(spelling, kind);
        }
    }

    /// <summary>Removes qualifiers and typedefs, leaving the type the ABI actually sees.</summary>
    public static CType StripSugar(CType type)
    {
        while (true)
        {
            switch (type)
            {
                case CQualifiedType qualified:
                    type = qualified.Inner;
                    break;
                case CTypedefType typedef:
                    type = typedef.Underlying;
                    break;
                default:
                    return type;
            }
        }
    }

    private static string Spelling(JsonElement node) =>
        node.TryGetProperty("type", out var type) && type.TryGetProperty("qualType", out var qualType)
            ? qualType.GetString() ?? string.Empty
            : string.Empty;

    private static string DeclName(JsonElement node) =>
        node.TryGetProperty("decl", out var decl) && decl.TryGetProperty("name", out var name)
            ? name.GetString() ?? string.Empty
            : string.Empty;

    private static IEnumerable<JsonElement> TypeChildren(JsonElement node)
    {
        if (!node.TryGetProperty("inner", out var inner))
        {
            yield break;
        }

        foreach (var child in inner.EnumerateArray())
        {
            // typeof(expr) also carries the expression; only type nodes describe the type.
            if (IsTypeNode(child))
            {
                yield return child;
            }
        }
    }

    private static JsonElement FirstTypeChild(JsonElement node)
    {
        foreach (var child in TypeChildren(node))
        {
            return child;
        }

        throw new GeneratorException($"clang type node '{Spelling(node)}' has no inner type");
    }

    private static JsonElement LastTypeChild(JsonElement node)
    {
        JsonElement? last = null;
        foreach (var child in TypeChildren(node))
        {
            last = child;
        }

        return last ?? throw new GeneratorException($"clang type node '{Spelling(node)}' has no inner type");
    }
}
