using OpenSslTls.Profiles;

namespace OpenSslTls.Configuration;

/// <summary>A read tls.cfg file (or directory of files): its profiles in file order, and the files read.</summary>
public sealed class TlsConfigDocument
{
    /// <summary>Creates a document.</summary>
    public TlsConfigDocument(IReadOnlyList<TlsProfileDefinition> profiles, IReadOnlyList<string> files)
    {
        ArgumentNullException.ThrowIfNull(profiles);
        ArgumentNullException.ThrowIfNull(files);
        Profiles = profiles;
        Files = files;
    }

    /// <summary>
    /// The sections in the order they appear (files in ordinal name order in directory mode). Missing
    /// <c>[server:default]</c>/<c>[client:default]</c> sections are not added here; <see cref="TlsProfileSet"/> adds them.
    /// </summary>
    public IReadOnlyList<TlsProfileDefinition> Profiles { get; }

    /// <summary>The files read, in reading order.</summary>
    public IReadOnlyList<string> Files { get; }
}
