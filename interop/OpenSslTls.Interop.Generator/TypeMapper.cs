namespace OpenSslTls.Interop.Generator;

/// <summary>A C type with no blittable C# mapping; the declaration using it is excluded with this reason.</summary>
internal sealed class UnsupportedTypeException(string reason) : Exception(reason);

/// <summary>
/// Maps C types to blittable C# types the way ClangSharp does for <c>--config unix-types</c> on LP64
/// (long is nint, unsigned long is nuint), with opaque structs named after the public typedef.
/// </summary>
internal sealed class TypeMapper
{
    private static readonly Dictionary<string, string> BuiltinTypes = new(StringComparer.Ordinal)
    {
        ["void"] = "void",
        ["char"] = "sbyte",
        ["signed char"] = "sbyte",
        ["unsigned char"] = "byte",
        ["short"] = "short",
        ["unsigned short"] = "ushort",
        ["int"] = "int",
        ["unsigned int"] = "uint",
        ["long"] = "nint",
        ["unsigned long"] = "nuint",
        ["long long"] = "long",
        ["unsigned long long"] = "ulong",
        ["float"] = "float",
        ["double"] = "double",

        // bool is not blittable under DisableRuntimeMarshalling's rules for P/Invoke signatures; C's _Bool is one byte.
        ["_Bool"] = "byte",
    };

    // Typedefs whose meaning is a fixed width (or pointer width) regardless of what they resolve to.
    private static readonly Dictionary<string, string> KnownTypedefs = new(StringComparer.Ordinal)
    {
        ["size_t"] = "nuint",
        ["ssize_t"] = "nint",
        ["ptrdiff_t"] = "nint",
        ["intptr_t"] = "nint",
        ["uintptr_t"] = "nuint",
        ["time_t"] = "nint",
        ["int8_t"] = "sbyte",
        ["uint8_t"] = "byte",
        ["int16_t"] = "short",
        ["uint16_t"] = "ushort",
        ["int32_t"] = "int",
        ["uint32_t"] = "uint",
        ["int64_t"] = "long",
        ["uint64_t"] = "ulong",
    };

    private static readonly HashSet<string> VaListNames = new(StringComparer.Ordinal) { "va_list", "__gnuc_va_list", "__builtin_va_list" };

    private readonly AstModel _model;
    private readonly Dictionary<string, LayoutTarget> _layoutsByTag;
    private readonly IReadOnlyDictionary<string, string>? _enumTypes;
    private readonly Dictionary<string, string?> _uniqueTypedefByTag;

    /// <param name="enumTypes">Probed C# integer type per enum spelling; null for the collecting pre-pass.</param>
    public TypeMapper(AstModel model, IEnumerable<LayoutTarget> layouts, IReadOnlyDictionary<string, string>? enumTypes)
    {
        _model = model;
        _layoutsByTag = layouts.ToDictionary(l => l.Tag, StringComparer.Ordinal);
        _enumTypes = enumTypes;
        _uniqueTypedefByTag = UniqueTypedefs(model);
    }

    /// <summary>The C# type of a C builtin type, or null if it has none.</summary>
    public static string? BuiltinCSharpType(string cName) => BuiltinTypes.GetValueOrDefault(cName);

    /// <summary>Enum spellings met while mapping; the pre-pass collects them to probe their integer type.</summary>
    public SortedSet<string> EnumSpellings { get; } = new(StringComparer.Ordinal);

    /// <summary>Maps a parameter, return or field type; <paramref name="opaque"/> receives every opaque struct it needs.</summary>
    public MappedType MapTopLevel(CType type, Dictionary<string, OpaqueStruct> opaque)
    {
        var csharp = Map(type, behindPointer: false, opaque);
        var differs = !string.Equals(Compact(type.Spelling), Compact(csharp), StringComparison.Ordinal);

        // ClangSharp's rule: record the C spelling only where it says something the C# type does not
        // ("SSL_CTX *" vs SSL_CTX* says nothing; "const char *" vs sbyte* does).
        return new MappedType(csharp, differs ? type.Spelling : null);
    }

    private static string Compact(string text) => string.Concat(text.Where(c => !char.IsWhiteSpace(c)));

    private string Map(CType type, bool behindPointer, Dictionary<string, OpaqueStruct> opaque)
    {
        switch (type)
        {
            case CQualifiedType qualified:
                return Map(qualified.Inner, behindPointer, opaque);

            case CTypedefType typedef:
                if (VaListNames.Contains(typedef.Name))
                {
                    throw new UnsupportedTypeException("takes a va_list");
                }

                if (KnownTypedefs.TryGetValue(typedef.Name, out var known))
                {
                    return known;
                }

                switch (CTypeParser.StripSugar(typedef.Underlying))
                {
                    case CRecordType record:
                        return RecordName(record, typedef.Name, behindPointer, opaque);
                    case CEnumType:
                        return EnumType(typedef.Name);
                    default:
                        return Map(typedef.Underlying, behindPointer, opaque);
                }

            case CBuiltinType builtin:
                return BuiltinTypes.TryGetValue(builtin.Name, out var mapped)
                    ? mapped
                    : throw new UnsupportedTypeException($"uses '{builtin.Name}', which has no blittable C# type");

            case CPointerType pointer:
                return CTypeParser.StripSugar(pointer.Pointee) is CFunctionType function
                    ? FunctionPointer(function, opaque)
                    : Map(pointer.Pointee, behindPointer: true, opaque) + "*";

            case CRecordType record:
                return RecordName(record, typedefName: null, behindPointer, opaque);

            case CEnumType:
                return EnumType(type.Spelling);

            case CFunctionType:
                throw new UnsupportedTypeException($"uses the function type '{type.Spelling}' by value");

            case CArrayType:
                throw new UnsupportedTypeException($"uses the array type '{type.Spelling}'");

            default:
                throw new UnsupportedTypeException($"uses '{type.Spelling}' ({((CUnsupportedType)type).Kind})");
        }
    }

    private string FunctionPointer(CFunctionType function, Dictionary<string, OpaqueStruct> opaque)
    {
        if (function.IsVariadic)
        {
            throw new UnsupportedTypeException($"takes a variadic callback '{function.Spelling}'");
        }

        var parts = function.Parameters.Select(p => Map(p, behindPointer: false, opaque)).ToList();
        parts.Add(Map(function.Return, behindPointer: false, opaque));
        return $"delegate* unmanaged[Cdecl]<{string.Join(", ", parts)}>";
    }

    private string RecordName(CRecordType record, string? typedefName, bool behindPointer, Dictionary<string, OpaqueStruct> opaque)
    {
        if (record.Tag == "__va_list_tag")
        {
            throw new UnsupportedTypeException("takes a va_list");
        }

        if (_layoutsByTag.TryGetValue(record.Tag, out var layout))
        {
            return layout.Name;
        }

        var display = typedefName ?? record.Spelling;
        if (!behindPointer)
        {
            throw new UnsupportedTypeException($"passes '{display}' by value (not listed under [layouts])");
        }

        if (record.Tag.Length == 0 && typedefName is null)
        {
            throw new UnsupportedTypeException($"uses the anonymous record '{record.Spelling}'");
        }

        // An anonymous record is only reachable through its typedef, so the typedef tells where it lives.
        string? header;
        if (record.Tag.Length == 0)
        {
            header = _model.Typedefs[typedefName!].Header;
        }
        else if (_model.Records.TryGetValue(record.Tag, out var info))
        {
            header = info.Header;
        }
        else
        {
            throw new UnsupportedTypeException($"uses '{display}', which is never declared at file scope");
        }

        if (header is null)
        {
            // FILE *, struct tm *, struct sockaddr *, ...: types of the C library, not OpenSSL's to bind.
            throw new UnsupportedTypeException($"uses the C library type '{display}'");
        }

        var name = typedefName
            ?? (_uniqueTypedefByTag.TryGetValue(record.Tag, out var unique) && unique is not null ? unique : record.Tag);
        var keyword = record.IsUnion ? "union " : "struct ";
        var candidate = new OpaqueStruct(name, record.Tag, name == record.Tag || record.Tag.Length == 0 ? null : keyword + record.Tag);
        if (opaque.TryGetValue(name, out var existing) && existing != candidate)
        {
            throw new GeneratorException($"C# name '{name}' would stand for both {existing.Tag} and {record.Tag}");
        }

        opaque[name] = candidate;
        return name;
    }

    private string EnumType(string spelling)
    {
        EnumSpellings.Add(spelling);
        if (_enumTypes is null)
        {
            return "int";
        }

        return _enumTypes.TryGetValue(spelling, out var csharp)
            ? csharp
            : throw new GeneratorException($"enum '{spelling}' was not probed");
    }

    /// <summary>For each record tag, the one OpenSSL typedef naming it directly (null when several do).</summary>
    private static Dictionary<string, string?> UniqueTypedefs(AstModel model)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        foreach (var typedef in model.Typedefs.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            if (typedef.Header is null || CTypeParser.StripSugar(typedef.Underlying) is not CRecordType record
                || typedef.Underlying is CTypedefType)
            {
                continue;
            }

            result[record.Tag] = result.ContainsKey(record.Tag) ? null : typedef.Name;
        }

        return result;
    }

    /// <summary>C# size and alignment of a mapped field type, for checking a layout against clang's sizeof.</summary>
    public static (int Size, int Alignment) SizeOf(string csharp, IReadOnlyDictionary<string, (int Size, int Alignment)> layouts)
    {
        if (csharp.EndsWith('*') || csharp.StartsWith("delegate*", StringComparison.Ordinal))
        {
            return (8, 8);
        }

        return csharp switch
        {
            "sbyte" or "byte" => (1, 1),
            "short" or "ushort" => (2, 2),
            "int" or "uint" or "float" => (4, 4),
            "long" or "ulong" or "nint" or "nuint" or "double" => (8, 8),
            _ when layouts.TryGetValue(csharp, out var layout) => layout,
            _ => throw new GeneratorException($"no size known for field type '{csharp}'"),
        };
    }
}

/// <summary>A record from [layouts], resolved to its tag and C# name.</summary>
internal sealed record LayoutTarget(string Name, string Tag, string CSpelling, bool IsUnion);
