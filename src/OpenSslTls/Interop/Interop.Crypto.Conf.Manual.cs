using System.Runtime.InteropServices;

namespace OpenSslTls.Interop;

// conf.h declares CONF_VALUE as an anonymous struct typedef, which the generator's [layouts] cannot take a layout
// from; the struct is written here (its functions, NCONF_*, are generated).
internal static unsafe partial class NativeMethods
{
    /// <summary>conf.h's <c>CONF_VALUE</c> (a public struct): one <c>name = value</c> line of a section.</summary>
    [NativeTypeName("CONF_VALUE")]
    [StructLayout(LayoutKind.Sequential)]
    internal struct ConfValue
    {
        internal sbyte* Section;
        internal sbyte* Name;
        internal sbyte* Value;
    }
}
