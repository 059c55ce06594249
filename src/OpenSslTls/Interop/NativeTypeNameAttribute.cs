using System.Diagnostics;

namespace OpenSslTls.Interop;

/// <summary>Records the C spelling of a type or macro where it differs from the C# one (ClangSharp's convention).</summary>
[AttributeUsage(AttributeTargets.Struct | AttributeTargets.Enum | AttributeTargets.Method | AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter | AttributeTargets.ReturnValue, AllowMultiple = false, Inherited = true)]
[Conditional("DEBUG")]
internal sealed class NativeTypeNameAttribute : Attribute
{
    public NativeTypeNameAttribute(string name) => Name = name;

    public string Name { get; }
}
