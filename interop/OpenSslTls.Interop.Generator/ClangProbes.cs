using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OpenSslTls.Interop.Generator;

/// <summary>What clang made of one candidate macro used as an expression.</summary>
internal abstract record MacroProbeResult;

/// <param name="Spelling">The deduced type as written (typedef kept, e.g. <c>uint64_t</c>).</param>
/// <param name="Canonical">The same type with typedefs resolved (e.g. <c>unsigned long</c>).</param>
internal sealed record IntegerMacro(string Spelling, string Canonical) : MacroProbeResult;

internal sealed record StringMacro(string Value) : MacroProbeResult;

internal sealed record FunctionAliasMacro(string Target) : MacroProbeResult;

internal sealed record NonConstantMacro(string Reason) : MacroProbeResult;

/// <summary>Results of the first probe pass: types of functions, macros and layout fields.</summary>
internal sealed record TypeProbeResults(
    Dictionary<string, CFunctionType> Functions,
    Dictionary<string, MacroProbeResult> Macros,
    Dictionary<string, CType> Fields);

/// <summary>Results of the second probe pass: integer values, enum integer types and record sizes.</summary>
internal sealed record ValueProbeResults(
    Dictionary<string, Int128> Values,
    Dictionary<string, string> EnumIntegerTypes,
    Dictionary<string, long> Sizes);

/// <summary>
/// Asks clang about declarations by appending small declarations to the umbrella header and reading
/// back only those (<c>-ast-dump-filter</c>): <c>typedef __typeof__(f)</c> gives a function's full type
/// tree, <c>static const __auto_type p = (M);</c> gives a macro's type (or shows it is a string, an
/// alias of a function, or not an expression at all), and <c>enum { v = (M) };</c> makes clang fold
/// the value into a ConstantExpr (C mode accepts 64-bit enumerator values as an extension).
/// </summary>
internal sealed class ClangProbes(ClangRunner clang, string umbrellaHeader, string workDirectory, bool verbose)
{
    private const string Prefix = "OsslGenProbe_";

    private static readonly HashSet<string> IntegerTypes = new(StringComparer.Ordinal)
    {
        "char", "signed char", "unsigned char", "short", "unsigned short", "int", "unsigned int",
        "long", "unsigned long", "long long", "unsigned long long", "_Bool",
    };

    /// <param name="shadowingMacros">Function names that are also object-like macros; probed with the macro suspended.</param>
    /// <param name="fields">Key, type expression (e.g. <c>struct tm</c>) and field name of each layout field.</param>
    public TypeProbeResults ProbeTypes(
        IReadOnlyList<string> functions,
        IReadOnlyList<string> macros,
        IReadOnlyList<(string Key, string Record, string Field)> fields,
        IReadOnlySet<string> shadowingMacros)
    {
        var source = new StringBuilder();
        foreach (var function in functions)
        {
            if (shadowingMacros.Contains(function))
            {
                source.Append(CultureInfo.InvariantCulture, $"#pragma push_macro(\"{function}\")\n#undef {function}\n");
                source.Append(CultureInfo.InvariantCulture, $"typedef __typeof__({function}) {Prefix}Fn_{function};\n");
                source.Append(CultureInfo.InvariantCulture, $"#pragma pop_macro(\"{function}\")\n");
            }
            else
            {
                source.Append(CultureInfo.InvariantCulture, $"typedef __typeof__({function}) {Prefix}Fn_{function};\n");
            }
        }

        foreach (var macro in macros)
        {
            source.Append(CultureInfo.InvariantCulture, $"static const __auto_type {Prefix}Type_{macro} = ({macro});\n");
        }

        foreach (var (key, record, field) in fields)
        {
            source.Append(CultureInfo.InvariantCulture, $"typedef __typeof__((({record} *)0)->{field}) {Prefix}Field_{key};\n");
        }

        var declarations = RunProbe("types", source.ToString());

        var functionTypes = new Dictionary<string, CFunctionType>(StringComparer.Ordinal);
        foreach (var function in functions)
        {
            if (declarations.TryGetValue(Prefix + "Fn_" + function, out var typedef)
                && CTypeParser.Parse(typedef.GetProperty("inner")[0]) is CFunctionType type)
            {
                functionTypes[function] = type;
            }
            else
            {
                throw new GeneratorException($"clang could not tell the type of function {function}");
            }
        }

        var macroResults = new Dictionary<string, MacroProbeResult>(StringComparer.Ordinal);
        foreach (var macro in macros)
        {
            macroResults[macro] = declarations.TryGetValue(Prefix + "Type_" + macro, out var variable)
                ? ClassifyMacro(variable)
                : new NonConstantMacro("does not compile as an expression");
        }

        var fieldTypes = new Dictionary<string, CType>(StringComparer.Ordinal);
        foreach (var (key, record, field) in fields)
        {
            fieldTypes[key] = declarations.TryGetValue(Prefix + "Field_" + key, out var typedef)
                ? CTypeParser.Parse(typedef.GetProperty("inner")[0])
                : throw new GeneratorException($"clang could not tell the type of {record}.{field}");
        }

        return new TypeProbeResults(functionTypes, macroResults, fieldTypes);
    }

    /// <param name="integers">Integer macros and enumerators whose values are wanted.</param>
    /// <param name="enumSpellings">Enum types (as spelled) whose integer type is wanted.</param>
    /// <param name="records">Record spellings whose sizeof is wanted.</param>
    public ValueProbeResults ProbeValues(IReadOnlyList<string> integers, IReadOnlyList<string> enumSpellings, IReadOnlyList<string> records)
    {
        var source = new StringBuilder();
        foreach (var name in integers)
        {
            source.Append(CultureInfo.InvariantCulture, $"enum {{ {Prefix}Value_{name} = ({name}) }};\n");
        }

        for (var i = 0; i < enumSpellings.Count; i++)
        {
            // Adding 0 applies the usual arithmetic conversions, so __auto_type yields the enum's
            // compatible integer type (unsigned int unless an enumerator is negative).
            source.Append(CultureInfo.InvariantCulture, $"static const __auto_type {Prefix}Enum_{i} = ({enumSpellings[i]})0 + 0;\n");
        }

        for (var i = 0; i < records.Count; i++)
        {
            source.Append(CultureInfo.InvariantCulture, $"enum {{ {Prefix}Size_{i} = sizeof({records[i]}) }};\n");
        }

        var declarations = RunProbe("values", source.ToString());

        var values = new Dictionary<string, Int128>(StringComparer.Ordinal);
        foreach (var name in integers)
        {
            if (declarations.TryGetValue(Prefix + "Value_" + name, out var enumerator) && FoldedValue(enumerator) is { } value)
            {
                values[name] = value;
            }
        }

        var enumTypes = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < enumSpellings.Count; i++)
        {
            if (!declarations.TryGetValue(Prefix + "Enum_" + i.ToString(CultureInfo.InvariantCulture), out var variable))
            {
                throw new GeneratorException($"clang could not tell the integer type of '{enumSpellings[i]}'");
            }

            enumTypes[enumSpellings[i]] = WithoutConst(TypeOf(variable).Canonical);
        }

        var sizes = new Dictionary<string, long>(StringComparer.Ordinal);
        for (var i = 0; i < records.Count; i++)
        {
            if (!declarations.TryGetValue(Prefix + "Size_" + i.ToString(CultureInfo.InvariantCulture), out var enumerator)
                || FoldedValue(enumerator) is not { } size)
            {
                throw new GeneratorException($"clang could not tell sizeof({records[i]})");
            }

            sizes[records[i]] = (long)size;
        }

        return new ValueProbeResults(values, enumTypes, sizes);
    }

    /// <summary>Writes the probe TU, runs clang on it and returns the probe declarations by name.</summary>
    private Dictionary<string, JsonElement> RunProbe(string name, string probes)
    {
        var path = Path.Combine(workDirectory, $"probe-{name}.c");
        var text = $"#include \"{umbrellaHeader}\"\n{probes}";
        File.WriteAllText(path, text, new UTF8Encoding(false));

        // Errors are expected here (a macro that is a type name or a statement, a string in an enum):
        // each probe stands alone, and a probe clang rejects simply does not yield a usable result.
        var result = clang.Run(["-fsyntax-only", "-Xclang", "-ast-dump=json", "-Xclang", "-ast-dump-filter=" + Prefix], path);
        if (verbose)
        {
            File.WriteAllText(Path.Combine(workDirectory, $"probe-{name}.stderr"), result.StandardError);
        }

        if (result.StandardOutput.Length == 0)
        {
            throw new GeneratorException($"clang produced no AST for the {name} probe:\n{result.StandardError}");
        }

        var declarations = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var reader = new Utf8JsonReader(result.StandardOutput, new JsonReaderOptions { AllowMultipleValues = true, MaxDepth = 4096 });
        while (reader.Read())
        {
            // With a filter clang prints each matching declaration as its own JSON document.
            using var document = JsonDocument.ParseValue(ref reader);
            var root = document.RootElement.Clone();
            if (root.TryGetProperty("name", out var declName) && declName.GetString() is { } probeName
                && probeName.StartsWith(Prefix, StringComparison.Ordinal))
            {
                declarations.TryAdd(probeName, root);
            }
        }

        return declarations;
    }

    private static MacroProbeResult ClassifyMacro(JsonElement variable)
    {
        if (variable.TryGetProperty("isInvalid", out var invalid) && invalid.GetBoolean())
        {
            return new NonConstantMacro("does not compile as an expression");
        }

        if (!variable.TryGetProperty("inner", out var inner) || inner.GetArrayLength() == 0)
        {
            return new NonConstantMacro("has no initializer");
        }

        var expression = StripWrappers(inner[0]);
        var kind = expression.GetProperty("kind").GetString();
        if (ContainsKind(inner[0], "RecoveryExpr"))
        {
            return new NonConstantMacro("does not compile as an expression");
        }

        if (kind == "DeclRefExpr" && expression.TryGetProperty("referencedDecl", out var referenced)
            && referenced.GetProperty("kind").GetString() == "FunctionDecl")
        {
            return new FunctionAliasMacro(referenced.GetProperty("name").GetString()!);
        }

        if (kind == "StringLiteral")
        {
            var literal = expression.GetProperty("value").GetString()!;
            return literal.StartsWith('"')
                ? new StringMacro(UnescapeCString(literal))
                : new NonConstantMacro($"is a wide or UTF string literal ({literal})");
        }

        var (spelling, canonical) = TypeOf(variable);
        spelling = WithoutConst(spelling);
        canonical = WithoutConst(canonical);
        return IntegerTypes.Contains(canonical)
            ? new IntegerMacro(spelling, canonical)
            : new NonConstantMacro($"is not an integer or string constant (type '{spelling}')");
    }

    private static (string Spelling, string Canonical) TypeOf(JsonElement declaration)
    {
        var type = declaration.GetProperty("type");
        var spelling = type.GetProperty("qualType").GetString()!;
        var canonical = type.TryGetProperty("desugaredQualType", out var desugared) ? desugared.GetString()! : spelling;
        return (spelling, canonical);
    }

    private static string WithoutConst(string type) => type.StartsWith("const ", StringComparison.Ordinal) ? type["const ".Length..] : type;

    private static JsonElement StripWrappers(JsonElement expression)
    {
        while (expression.GetProperty("kind").GetString() is "ParenExpr" or "ImplicitCastExpr" or "ConstantExpr"
               && expression.TryGetProperty("inner", out var inner) && inner.GetArrayLength() == 1)
        {
            expression = inner[0];
        }

        return expression;
    }

    private static bool ContainsKind(JsonElement node, string kind)
    {
        if (node.TryGetProperty("kind", out var k) && k.GetString() == kind)
        {
            return true;
        }

        return node.TryGetProperty("inner", out var inner) && inner.EnumerateArray().Any(child => ContainsKind(child, kind));
    }

    /// <summary>The value clang folded into the first ConstantExpr under an enumerator, if it could.</summary>
    private static Int128? FoldedValue(JsonElement node)
    {
        if (node.TryGetProperty("kind", out var kind) && kind.GetString() == "ConstantExpr"
            && node.TryGetProperty("value", out var value))
        {
            return Int128.Parse(value.GetString()!, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
        }

        if (node.TryGetProperty("inner", out var inner))
        {
            foreach (var child in inner.EnumerateArray())
            {
                if (FoldedValue(child) is { } folded)
                {
                    return folded;
                }
            }
        }

        return null;
    }

    /// <summary>Decodes the C escapes clang uses when it prints a string literal.</summary>
    private static string UnescapeCString(string literal)
    {
        var text = literal[1..^1];
        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\\')
            {
                if (c > 0x7F)
                {
                    throw new GeneratorException($"non-ASCII string constant {literal}");
                }

                bytes.Add((byte)c);
                continue;
            }

            var e = text[++i];
            switch (e)
            {
                case 'n': bytes.Add((byte)'\n'); break;
                case 't': bytes.Add((byte)'\t'); break;
                case 'r': bytes.Add((byte)'\r'); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'v': bytes.Add(11); break;
                case 'x':
                {
                    var start = i + 1;
                    while (i + 1 < text.Length && char.IsAsciiHexDigit(text[i + 1]))
                    {
                        i++;
                    }

                    bytes.Add(byte.Parse(text[start..(i + 1)], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
                    break;
                }

                case >= '0' and <= '7':
                {
                    var value = 0;
                    var digits = 0;
                    i--;
                    while (digits < 3 && i + 1 < text.Length && text[i + 1] is >= '0' and <= '7')
                    {
                        value = (value * 8) + (text[++i] - '0');
                        digits++;
                    }

                    bytes.Add((byte)value);
                    break;
                }

                default:
                    bytes.Add((byte)e); // \\ \" \' \?
                    break;
            }
        }

        if (bytes.Any(b => b > 0x7F))
        {
            throw new GeneratorException($"non-ASCII string constant {literal}");
        }

        return Encoding.ASCII.GetString(bytes.ToArray());
    }
}
