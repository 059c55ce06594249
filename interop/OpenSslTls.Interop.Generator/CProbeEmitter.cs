using System.Text;

namespace OpenSslTls.Interop.Generator;

/// <summary>
/// Writes <c>native/constcheck/constants.g.h</c>: one <c>CONST(NAME)</c> per bound constant and one
/// <c>STRUCT_SIZE(CSharpName, C type)</c> per layout struct. The hand-written constcheck.c defines both
/// macros, so the C compiler, not the generator, produces the values the C# constants are checked against.
/// </summary>
internal static class CProbeEmitter
{
    public const string HeaderPath = "native/constcheck/constants.g.h";

    public static string Emit(BindingModel model)
    {
        var builder = new StringBuilder("/*\n");
        foreach (var line in CSharpEmitter.Banner(model))
        {
            builder.Append(" * ").Append(line).Append('\n');
        }

        builder.Append(" *\n * One line per bound constant and struct, for constcheck.c to print.\n */\n\n");
        foreach (var constant in model.Constants)
        {
            builder.Append("CONST(").Append(constant.Name).Append(")\n");
        }

        if (model.LayoutStructs.Count > 0)
        {
            builder.Append('\n');
        }

        foreach (var layout in model.LayoutStructs)
        {
            builder.Append("STRUCT_SIZE(").Append(layout.Name).Append(", ").Append(layout.CSpelling).Append(")\n");
        }

        return builder.ToString();
    }
}
