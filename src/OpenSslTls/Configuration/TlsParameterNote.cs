namespace OpenSslTls.Configuration;

/// <summary>
/// A module parameter that is set but does nothing here, with the reason (<see cref="TlsModuleOptions.IneffectiveParameters"/>):
/// logged by <c>TlsModule.Create</c> and printed by <c>openssltls check</c>, so no parameter is silently ignored.
/// </summary>
/// <param name="Parameter">The Kamailio parameter name, e.g. <c>xavp_cfg</c>.</param>
/// <param name="Value">Its value as configured.</param>
/// <param name="Reason">Why it has no effect, and what to use instead where there is something.</param>
public sealed record TlsParameterNote(string Parameter, string Value, string Reason)
{
    /// <summary><c>parameter=value has no effect here: reason</c>.</summary>
    public override string ToString() => $"{Parameter}={Value} has no effect here: {Reason}";
}
