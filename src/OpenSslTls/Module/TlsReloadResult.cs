namespace OpenSslTls.Module;

/// <summary>The outcome of <see cref="TlsModule.Reload()"/>: on failure every error, and the running set untouched.</summary>
/// <param name="Succeeded">Whether the new set replaced the old one.</param>
/// <param name="Generation">The current generation after the call.</param>
/// <param name="Errors">Every problem found (file:line: message, or profile: parameter: message); empty on success.</param>
public sealed record TlsReloadResult(bool Succeeded, long Generation, IReadOnlyList<string> Errors);
