using System.Globalization;
using System.Text.RegularExpressions;

namespace OpenSslTls.Interop.Generator;

/// <summary>
/// Decides what gets bound: applies the binding list and the exclusion rules to the AST, the macro
/// table and the probe results, and maps everything that survives to C#.
/// </summary>
internal sealed partial class Binder(AstModel model, Dictionary<string, MacroDefinition> macros, BindingList bindings, ClangProbes probes)
{
    // Constant types follow the C type like the function mapping does, with one deliberate difference:
    // C long/unsigned long become long/ulong, not nint/nuint. C# folds nint/nuint constants only within
    // 32 bits, so they cannot hold every LP64 long; and the 64-bit flag sets are used with uint64_t
    // parameters (SSL_OP_ALL is 'unsigned long' only because '|' drops the uint64_t typedef that the
    // other SSL_OP_* keep; OPENSSL_INIT_* are 'L' literals passed as uint64_t).
    private static readonly Dictionary<string, string> ConstantTypes = new(StringComparer.Ordinal)
    {
        ["char"] = "sbyte",
        ["signed char"] = "sbyte",
        ["unsigned char"] = "byte",
        ["short"] = "short",
        ["unsigned short"] = "ushort",
        ["int"] = "int",
        ["unsigned int"] = "uint",
        ["long"] = "long",
        ["unsigned long"] = "ulong",
        ["long long"] = "long",
        ["unsigned long long"] = "ulong",
        ["_Bool"] = "byte",
        ["size_t"] = "nuint",
        ["ssize_t"] = "nint",
        ["int32_t"] = "int",
        ["uint32_t"] = "uint",
        ["int64_t"] = "long",
        ["uint64_t"] = "ulong",
    };

    public List<Exclusion> Exclusions { get; } = [];

    public BindingModel Bind()
    {
        var functionCandidates = SelectFunctions();
        var (macroCandidates, enumeratorCandidates) = SelectConstants();
        var layouts = ResolveLayouts();
        var fieldProbes = layouts
            .SelectMany((layout, i) => model.Records[layout.Tag].Fields!.Select((field, j) =>
                ($"{i}_{j}", layout.CSpelling, field.Name)))
            .ToList();

        var shadowed = functionCandidates.Where(f => macros.TryGetValue(f, out var m) && !m.IsFunctionLike).ToHashSet(StringComparer.Ordinal);
        var types = probes.ProbeTypes(functionCandidates, macroCandidates, fieldProbes, shadowed);

        // Pre-pass: map once without enum information only to learn which enum types need probing.
        var collector = new TypeMapper(model, layouts, enumTypes: null);
        foreach (var function in types.Functions.Values)
        {
            TryMapSignature(collector, function, new Dictionary<string, OpaqueStruct>(StringComparer.Ordinal), out _);
        }

        foreach (var field in types.Fields.Values)
        {
            try
            {
                collector.MapTopLevel(field, new Dictionary<string, OpaqueStruct>(StringComparer.Ordinal));
            }
            catch (UnsupportedTypeException)
            {
                // Reported by the real pass.
            }
        }

        var enumSpellings = new SortedSet<string>(collector.EnumSpellings, StringComparer.Ordinal);
        foreach (var name in enumeratorCandidates)
        {
            if (model.EnumConstants[name].EnumSpelling is { } spelling)
            {
                enumSpellings.Add(spelling);
            }
        }

        var integerNames = macroCandidates.Where(m => types.Macros[m] is IntegerMacro).Concat(enumeratorCandidates)
            .Order(StringComparer.Ordinal).ToList();
        var values = probes.ProbeValues(integerNames, enumSpellings.ToList(), layouts.Select(l => l.CSpelling).ToList());

        var enumTypes = values.EnumIntegerTypes.ToDictionary(
            pair => pair.Key,
            pair => TypeMapper.BuiltinCSharpType(pair.Value) ?? throw new GeneratorException($"enum '{pair.Key}' has integer type '{pair.Value}'"),
            StringComparer.Ordinal);
        var mapper = new TypeMapper(model, layouts, enumTypes);
        var opaque = new Dictionary<string, OpaqueStruct>(StringComparer.Ordinal);

        var functions = BindFunctions(functionCandidates, types, mapper, opaque);
        var constants = BindConstants(macroCandidates, enumeratorCandidates, types, values, enumTypes);
        var layoutStructs = BindLayouts(layouts, types, values, mapper, opaque);

        CheckRequired(bindings.Functions, functions.Select(f => f.Name), "function");
        CheckRequired(bindings.Constants, constants.Select(c => c.Name), "constant");
        CheckUniqueMembers(functions, constants);

        return new BindingModel(
            ApiVersion(constants),
            functions,
            constants,
            opaque.Values.Where(o => layoutStructs.All(l => l.Name != o.Name)).OrderBy(o => o.Name, StringComparer.Ordinal).ToList(),
            layoutStructs);
    }

    private List<string> SelectFunctions()
    {
        var candidates = new List<string>();
        foreach (var function in model.Functions.Values.OrderBy(f => f.Name, StringComparer.Ordinal))
        {
            if (!bindings.Functions.IsSelected(function.Name))
            {
                continue;
            }

            if (function.HasBody || function.IsStatic)
            {
                Exclude("function", function.Name, "static inline helper defined in the header, not exported");
            }
            else if (function.IsVariadic)
            {
                Exclude("function", function.Name, "variadic");
            }
            else
            {
                candidates.Add(function.Name);
            }
        }

        return candidates;
    }

    private (List<string> Macros, List<string> Enumerators) SelectConstants()
    {
        var macroCandidates = new List<string>();
        foreach (var macro in macros.Values.OrderBy(m => m.Name, StringComparer.Ordinal))
        {
            if (macro.Header is null || macro.IsFunctionLike || !bindings.Constants.IsSelected(macro.Name))
            {
                continue;
            }

            if (macro.Expansion.Length == 0)
            {
                Exclude("constant", macro.Name, "defined empty (a feature flag or include guard)");
            }
            else
            {
                macroCandidates.Add(macro.Name);
            }
        }

        var enumeratorCandidates = model.EnumConstants.Keys
            .Where(name => !macros.ContainsKey(name) && bindings.Constants.IsSelected(name))
            .Order(StringComparer.Ordinal)
            .ToList();
        return (macroCandidates, enumeratorCandidates);
    }

    private List<LayoutTarget> ResolveLayouts()
    {
        var result = new List<LayoutTarget>();
        foreach (var entry in bindings.Layouts)
        {
            string tag;
            string name;
            if (entry.Pattern.StartsWith("struct ", StringComparison.Ordinal))
            {
                tag = entry.Pattern["struct ".Length..].Trim();
                name = tag;
            }
            else if (model.Typedefs.TryGetValue(entry.Pattern, out var typedef) && CTypeParser.StripSugar(typedef.Underlying) is CRecordType record)
            {
                tag = record.Tag;
                name = entry.Pattern;
            }
            else
            {
                throw new GeneratorException($"bindings.txt:{entry.Line}: [layouts] entry '{entry.Pattern}' is neither 'struct tag' nor a typedef of a struct");
            }

            if (!model.Records.TryGetValue(tag, out var info) || info.Fields is null)
            {
                throw new GeneratorException($"bindings.txt:{entry.Line}: struct {tag} has no definition to take a layout from");
            }

            if (info.IsUnion || info.Fields.Any(f => f.IsBitField || f.Name.Length == 0))
            {
                throw new GeneratorException($"bindings.txt:{entry.Line}: {entry.Pattern} has unions, bit-fields or anonymous members, which are not supported");
            }

            result.Add(new LayoutTarget(name, tag, entry.Pattern, info.IsUnion));
        }

        return result;
    }

    private List<BoundFunction> BindFunctions(List<string> candidates, TypeProbeResults types, TypeMapper mapper, Dictionary<string, OpaqueStruct> opaque)
    {
        var bound = new List<BoundFunction>();
        foreach (var name in candidates)
        {
            var info = model.Functions[name];
            var type = types.Functions[name];
            if (type.IsVariadic)
            {
                Exclude("function", name, "variadic");
                continue;
            }

            var used = new Dictionary<string, OpaqueStruct>(StringComparer.Ordinal);
            if (!TryMapSignature(mapper, type, used, out var mapped))
            {
                Exclude("function", name, mapped.Reason!);
                continue;
            }

            foreach (var (key, value) in used)
            {
                opaque[key] = value;
            }

            var parameters = new List<BoundParameter>();
            for (var i = 0; i < type.Parameters.Count; i++)
            {
                var parameterName = i < info.ParameterNames.Count ? info.ParameterNames[i] : null;
                parameters.Add(new BoundParameter(
                    CSharpNames.Identifier(string.IsNullOrEmpty(parameterName) ? "param" + i.ToString(CultureInfo.InvariantCulture) : parameterName),
                    mapped.Parameters![i]));
            }

            var library = bindings.SslHeaders.Contains(info.Header) ? NativeLibrary.Ssl : NativeLibrary.Crypto;
            bool suppress = bindings.SuppressGcTransition.Exists(entry => entry.Pattern == name);
            bound.Add(new BoundFunction(name, library, mapped.Return!, parameters, suppress));
        }

        var missing = bindings.SuppressGcTransition.Where(entry => !bound.Exists(function => function.Name == entry.Pattern)).ToList();
        if (missing.Count > 0)
        {
            throw new GeneratorException(string.Join("; ", missing.Select(entry => $"line {entry.Line}: [suppress-gc-transition] {entry.Pattern} is not a bound function")));
        }

        return bound;
    }

    private static bool TryMapSignature(TypeMapper mapper, CFunctionType type, Dictionary<string, OpaqueStruct> opaque, out MappedSignature signature)
    {
        try
        {
            var returnType = mapper.MapTopLevel(type.Return, opaque);
            var parameters = type.Parameters.Select(p => mapper.MapTopLevel(p, opaque)).ToList();
            signature = new MappedSignature(returnType, parameters, null);
            return true;
        }
        catch (UnsupportedTypeException e)
        {
            signature = new MappedSignature(null, null, e.Message);
            return false;
        }
    }

    private List<BoundConstant> BindConstants(List<string> macroNames, List<string> enumeratorNames, TypeProbeResults types, ValueProbeResults values, Dictionary<string, string> enumTypes)
    {
        var bound = new List<BoundConstant>();
        foreach (var name in macroNames)
        {
            var macro = macros[name];
            var library = bindings.SslHeaders.Contains(macro.Header!) ? NativeLibrary.Ssl : NativeLibrary.Crypto;
            var nativeTypeName = $"#define {name} {macro.Expansion}";
            switch (types.Macros[name])
            {
                case StringMacro text:
                    bound.Add(new BoundConstant(name, library, ConstantKind.String, "string", 0, text.Value, nativeTypeName, PreferHex: false));
                    break;

                case IntegerMacro integer when values.Values.TryGetValue(name, out var value):
                    var csharpType = ConstantTypes.TryGetValue(integer.Spelling, out var fromTypedef)
                        ? fromTypedef
                        : ConstantTypes.TryGetValue(integer.Canonical, out var fromBuiltin)
                            ? fromBuiltin
                            : throw new GeneratorException($"constant {name} has unexpected type '{integer.Canonical}'");
                    bound.Add(new BoundConstant(name, library, ConstantKind.Integer, FitConstType(csharpType, value), value, null, nativeTypeName, IsHexLike(name, [])));
                    break;

                case IntegerMacro:
                    Exclude("constant", name, "not an integer constant expression");
                    break;

                case FunctionAliasMacro alias:
                    Exclude("constant", name, $"alias of the function {alias.Target}");
                    break;

                case NonConstantMacro nonConstant:
                    Exclude("constant", name, nonConstant.Reason);
                    break;
            }
        }

        foreach (var name in enumeratorNames)
        {
            var enumerator = model.EnumConstants[name];
            if (!values.Values.TryGetValue(name, out var value))
            {
                throw new GeneratorException($"clang could not evaluate the enumerator {name}");
            }

            var library = bindings.SslHeaders.Contains(enumerator.Header) ? NativeLibrary.Ssl : NativeLibrary.Crypto;
            var csharpType = enumerator.EnumSpelling is { } spelling ? enumTypes[spelling] : "int";
            bound.Add(new BoundConstant(name, library, ConstantKind.Integer, FitConstType(csharpType, value), value, null, enumerator.EnumSpelling, PreferHex: false));
        }

        return bound.OrderBy(c => c.Name, StringComparer.Ordinal).ToList();
    }

    /// <summary>
    /// C# only folds nint/nuint constants within the 32-bit range; a size_t/ssize_t constant beyond it
    /// is emitted as ulong/long (same size on LP64) instead of a declaration that would not compile.
    /// </summary>
    private static string FitConstType(string csharpType, Int128 value) => csharpType switch
    {
        "nint" when value < int.MinValue || value > int.MaxValue => "long",
        "nuint" when value > uint.MaxValue => "ulong",
        _ => csharpType,
    };

    private List<LayoutStruct> BindLayouts(List<LayoutTarget> layouts, TypeProbeResults types, ValueProbeResults values, TypeMapper mapper, Dictionary<string, OpaqueStruct> opaque)
    {
        var result = new List<LayoutStruct>();
        var sizes = new Dictionary<string, (int Size, int Alignment)>(StringComparer.Ordinal);
        for (var i = 0; i < layouts.Count; i++)
        {
            var layout = layouts[i];
            var fields = new List<LayoutField>();
            int offset = 0, alignment = 1;
            var declared = model.Records[layout.Tag].Fields!;
            for (var j = 0; j < declared.Count; j++)
            {
                var type = types.Fields[$"{i}_{j}"];
                MappedType mapped;
                try
                {
                    mapped = mapper.MapTopLevel(type, opaque);
                }
                catch (UnsupportedTypeException e)
                {
                    throw new GeneratorException($"layout {layout.CSpelling}: field {declared[j].Name} {e.Message}");
                }

                var (size, align) = TypeMapper.SizeOf(mapped.CSharp, sizes);
                offset = ((offset + align - 1) / align * align) + size;
                alignment = Math.Max(alignment, align);
                fields.Add(new LayoutField(CSharpNames.Identifier(declared[j].Name), mapped));
            }

            var total = (offset + alignment - 1) / alignment * alignment;
            if (total != values.Sizes[layout.CSpelling])
            {
                throw new GeneratorException($"layout {layout.CSpelling}: C# sequential size {total} differs from clang's sizeof {values.Sizes[layout.CSpelling]}");
            }

            sizes[layout.Name] = (total, alignment);
            var needsUnsafe = fields.Any(f => f.Type.CSharp.Contains('*', StringComparison.Ordinal));
            var keyword = layout.IsUnion ? "union " : "struct ";
            result.Add(new LayoutStruct(layout.Name, layout.Tag, layout.CSpelling, layout.Name == layout.Tag ? null : keyword + layout.Tag, fields, needsUnsafe));
        }

        return result.OrderBy(l => l.Name, StringComparer.Ordinal).ToList();
    }

    private void CheckRequired(BindingSection section, IEnumerable<string> boundNames, string kind)
    {
        var bound = boundNames.ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();
        foreach (var pattern in section.Includes)
        {
            if (pattern.IsExact && !bound.Contains(pattern.Pattern))
            {
                var reason = Exclusions.FirstOrDefault(e => e.Name == pattern.Pattern)?.Reason
                    ?? (section.Used.Contains(pattern) ? "excluded in bindings.txt" : "not declared in the headers (a function-like macro?)");
                problems.Add($"line {pattern.Line}: required {kind} {pattern.Pattern} is not bound: {reason}");
            }
        }

        foreach (var pattern in section.Includes.Concat(section.Excludes))
        {
            if (!pattern.IsExact && !section.Used.Contains(pattern))
            {
                problems.Add($"line {pattern.Line}: {kind} pattern '{pattern.Pattern}' matches nothing");
            }
        }

        foreach (var pattern in section.Excludes)
        {
            if (pattern.IsExact && !section.Used.Contains(pattern))
            {
                problems.Add($"line {pattern.Line}: stale exclusion of {kind} {pattern.Pattern}: nothing selected it");
            }
        }

        if (problems.Count > 0)
        {
            throw new GeneratorException("bindings.txt does not match the headers:\n  " + string.Join("\n  ", problems));
        }
    }

    private static void CheckUniqueMembers(List<BoundFunction> functions, List<BoundConstant> constants)
    {
        var clashes = functions.Select(f => (f.Library, f.Name)).Concat(constants.Select(c => (c.Library, c.Name)))
            .GroupBy(member => member)
            .Where(group => group.Count() > 1)
            .Select(group => group.Key.Name)
            .ToList();
        if (clashes.Count > 0)
        {
            throw new GeneratorException("names bound twice in one class: " + string.Join(", ", clashes));
        }
    }

    private static string ApiVersion(List<BoundConstant> constants)
    {
        var major = constants.FirstOrDefault(c => c.Name == "OPENSSL_VERSION_MAJOR")
            ?? throw new GeneratorException("OPENSSL_VERSION_MAJOR must be bound (the file header names the API version)");
        var minor = constants.FirstOrDefault(c => c.Name == "OPENSSL_VERSION_MINOR")
            ?? throw new GeneratorException("OPENSSL_VERSION_MINOR must be bound (the file header names the API version)");
        return string.Create(CultureInfo.InvariantCulture, $"{major.IntegerValue}.{minor.IntegerValue}");
    }

    /// <summary>
    /// Whether a macro is written in hex or with shifts, directly or through the macros it uses
    /// (SSL_OP_ALL is a '|' of SSL_OP_BIT(n) flags): such values read better in hex.
    /// </summary>
    private bool IsHexLike(string name, HashSet<string> visiting)
    {
        if (!macros.TryGetValue(name, out var macro) || !visiting.Add(name))
        {
            return false;
        }

        return HexLike().IsMatch(macro.Expansion)
            || Identifier().Matches(macro.Expansion).Any(m => IsHexLike(m.Value, visiting));
    }

    private void Exclude(string kind, string name, string reason) => Exclusions.Add(new Exclusion(kind, name, reason));

    [GeneratedRegex(@"\b0[xX][0-9A-Fa-f]|<<")]
    private static partial Regex HexLike();

    [GeneratedRegex(@"\b[A-Za-z_][A-Za-z0-9_]*\b")]
    private static partial Regex Identifier();

    private sealed record MappedSignature(MappedType? Return, List<MappedType>? Parameters, string? Reason);
}
