using System.Text.Json;

namespace OpenSslTls.Interop.Generator;

/// <summary>
/// Reads the top-level declarations out of <c>clang -Xclang -ast-dump=json</c>.
/// </summary>
/// <remarks>
/// clang writes a location's <c>file</c> only when it differs from the previously written location
/// (in document order, across every node), so the reader walks all locations in order to know the
/// current file. Declarations produced by macros (DECLARE_ASN1_FUNCTIONS, DECLARE_PEM_rw, ...) are
/// spelled in <c>&lt;scratch space&gt;</c>; their <c>expansionLoc</c> names the header that invoked the macro.
/// </remarks>
internal sealed class AstReader
{
    private readonly AstModel _model = new();
    private readonly Dictionary<string, string> _typedefNameByTagDeclId = new(StringComparer.Ordinal);
    private readonly List<(string Name, string Header, string? EnumName, string EnumDeclId)> _enumerators = [];
    private string? _currentFile;

    public static AstModel Read(byte[] json)
    {
        var reader = new AstReader();
        using var document = JsonDocument.Parse(json, new JsonDocumentOptions { MaxDepth = 4096 });
        foreach (var node in document.RootElement.GetProperty("inner").EnumerateArray())
        {
            reader.VisitTopLevel(node);
        }

        reader.ResolveEnumSpellings();
        return reader._model;
    }

    /// <summary>The OpenSSL header a path belongs to (its file name), or null for any other file.</summary>
    public static string? OpenSslHeaderName(string? path)
    {
        if (path is null || !path.EndsWith(".h", StringComparison.Ordinal))
        {
            return null;
        }

        var directory = Path.GetFileName(Path.GetDirectoryName(path));
        return directory == "openssl" ? Path.GetFileName(path) : null;
    }

    private void VisitTopLevel(JsonElement node)
    {
        string? declarationFile = null;
        foreach (var property in node.EnumerateObject())
        {
            if (property.Name == "loc")
            {
                declarationFile = DeclarationFile(property.Value);
            }
            else
            {
                TrackLocations(property.Value);
            }
        }

        var header = HeaderOf(declarationFile);
        var kind = node.GetProperty("kind").GetString();
        switch (kind)
        {
            case "FunctionDecl" when header is not null:
                AddFunction(node, header);
                break;
            case "TypedefDecl":
                AddTypedef(node, header);
                break;
            case "RecordDecl":
                AddRecord(node, header);
                break;
            case "EnumDecl" when header is not null:
                AddEnum(node, header);
                break;
        }
    }

    private string? HeaderOf(string? file)
    {
        var header = OpenSslHeaderName(file);
        if (header is null)
        {
            return null;
        }

        _model.OpenSslFiles.Add(Path.GetFullPath(file!));
        return header;
    }

    /// <summary>Fails if any OpenSSL header came from outside <paramref name="includeRoot"/> (when one is given).</summary>
    public static void CheckIncludeRoot(IEnumerable<string> openSslFiles, string? includeRoot)
    {
        if (includeRoot is null)
        {
            return;
        }

        var leaked = openSslFiles.Where(f => !f.StartsWith(includeRoot + Path.DirectorySeparatorChar, StringComparison.Ordinal)).ToList();
        if (leaked.Count > 0)
        {
            throw new GeneratorException(
                $"--include-root is {includeRoot}, yet these OpenSSL headers came from elsewhere: {string.Join(", ", leaked)}");
        }
    }

    /// <summary>Updates the current file from a decl's <c>loc</c> and returns the file the decl belongs to.</summary>
    private string? DeclarationFile(JsonElement loc)
    {
        if (loc.TryGetProperty("spellingLoc", out var spelling))
        {
            TrackLocations(spelling);
            if (loc.TryGetProperty("expansionLoc", out var expansion))
            {
                TrackLocations(expansion);
            }

            return _currentFile;
        }

        TrackLocations(loc);
        return _currentFile;
    }

    private void TrackLocations(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                if (element.TryGetProperty("offset", out _) && element.TryGetProperty("file", out var file))
                {
                    _currentFile = file.GetString();
                }

                foreach (var property in element.EnumerateObject())
                {
                    // includedFrom names the includer, not the location's own file.
                    if (property.Name != "includedFrom" && property.Value.ValueKind is JsonValueKind.Object or JsonValueKind.Array)
                    {
                        TrackLocations(property.Value);
                    }
                }

                break;

            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                {
                    TrackLocations(item);
                }

                break;
        }
    }

    private void AddFunction(JsonElement node, string header)
    {
        var name = node.GetProperty("name").GetString()!;
        var parameterNames = new List<string?>();
        var hasBody = false;
        if (node.TryGetProperty("inner", out var inner))
        {
            foreach (var child in inner.EnumerateArray())
            {
                switch (child.GetProperty("kind").GetString())
                {
                    case "ParmVarDecl":
                        parameterNames.Add(child.TryGetProperty("name", out var parameterName) ? parameterName.GetString() : null);
                        break;
                    case "CompoundStmt":
                        hasBody = true;
                        break;
                }
            }
        }

        var isVariadic = node.TryGetProperty("variadic", out var variadic) && variadic.GetBoolean();
        var isStatic = node.TryGetProperty("storageClass", out var storage) && storage.GetString() == "static";
        var info = new FunctionInfo(name, header, parameterNames, isVariadic, hasBody, isStatic);
        if (_model.Functions.TryGetValue(name, out var previous))
        {
            // Keep the first prototype, but remember if any redeclaration turns out to be a definition.
            if (hasBody && !previous.HasBody)
            {
                _model.Functions[name] = previous with { HasBody = true };
            }

            return;
        }

        _model.Functions.Add(name, info);
    }

    private void AddTypedef(JsonElement node, string? header)
    {
        if (node.TryGetProperty("isImplicit", out var isImplicit) && isImplicit.GetBoolean())
        {
            return;
        }

        var name = node.GetProperty("name").GetString()!;
        var typeNode = node.GetProperty("inner")[0];
        if (typeNode.TryGetProperty("ownedTagDecl", out var owned) && owned.TryGetProperty("id", out var ownedId))
        {
            _typedefNameByTagDeclId.TryAdd(ownedId.GetString()!, name);
        }

        _model.Typedefs.TryAdd(name, new TypedefInfo(name, header, CTypeParser.Parse(typeNode)));
    }

    private void AddRecord(JsonElement node, string? header)
    {
        if (!node.TryGetProperty("name", out var nameElement) || nameElement.GetString() is not { Length: > 0 } tag)
        {
            return;
        }

        var isUnion = node.TryGetProperty("tagUsed", out var tagUsed) && tagUsed.GetString() == "union";
        List<FieldInfo>? fields = null;
        if (node.TryGetProperty("completeDefinition", out var complete) && complete.GetBoolean())
        {
            fields = [];
            if (node.TryGetProperty("inner", out var inner))
            {
                foreach (var child in inner.EnumerateArray())
                {
                    if (child.GetProperty("kind").GetString() == "FieldDecl")
                    {
                        var fieldName = child.TryGetProperty("name", out var n) ? n.GetString() ?? string.Empty : string.Empty;
                        var isBitField = child.TryGetProperty("isBitfield", out var bitField) && bitField.GetBoolean();
                        fields.Add(new FieldInfo(fieldName, isBitField));
                    }
                }
            }
        }

        if (_model.Records.TryGetValue(tag, out var previous))
        {
            if (previous.Fields is null && fields is not null)
            {
                _model.Records[tag] = previous with { Fields = fields };
            }

            return;
        }

        _model.Records.Add(tag, new RecordInfo(tag, isUnion, header, fields));
    }

    private void AddEnum(JsonElement node, string header)
    {
        var enumName = node.TryGetProperty("name", out var n) ? n.GetString() : null;
        var id = node.GetProperty("id").GetString()!;
        if (!node.TryGetProperty("inner", out var inner))
        {
            return;
        }

        foreach (var child in inner.EnumerateArray())
        {
            if (child.GetProperty("kind").GetString() == "EnumConstantDecl")
            {
                _enumerators.Add((child.GetProperty("name").GetString()!, header, enumName, id));
            }
        }
    }

    private void ResolveEnumSpellings()
    {
        foreach (var (name, header, enumName, enumDeclId) in _enumerators)
        {
            // Prefer the typedef name (what the API spells), then "enum tag"; an anonymous, untypedef'd
            // enum gives plain int constants.
            var spelling = _typedefNameByTagDeclId.TryGetValue(enumDeclId, out var typedefName)
                ? typedefName
                : enumName is { Length: > 0 } ? "enum " + enumName : null;
            _model.EnumConstants.TryAdd(name, new EnumConstantInfo(name, header, spelling));
        }
    }
}
