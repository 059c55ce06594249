using System.Text;
using OpenSslTls.Errors;
using OpenSslTls.Profiles;

namespace OpenSslTls.Configuration;

/// <summary>
/// Reads Kamailio's tls.cfg (the <c>config</c> parameter) with the exact grammar of spec §3, collecting every error
/// as <c>file:line:column: message</c> into one <see cref="TlsConfigurationException"/>.
/// <para>
/// Deviations from Kamailio, all toward reporting mistakes instead of running with them: all errors of all files
/// are reported (Kamailio stops at the first); a second <c>[server:default]</c> or <c>[client:default]</c> is an
/// error (Kamailio keeps the last one and leaks the first); the last section of a file is checked for duplicates
/// like the others; a port above 65535 is an error (Kamailio wraps it to 16 bits); a quoted value may not span
/// lines except through <c>\</c> continuation. As in Kamailio, a <c>server_name_mode</c> other than 1 or 2 means 0.
/// </para>
/// <para>
/// Directory mode: when the path names a directory, its regular files (not subdirectories; dot-files included, as
/// Kamailio) are read in ordinal name order, each as its own file, so error locations name the real file and
/// line. Kamailio concatenates them in unspecified order into a temporary file in the working directory. Because
/// each file is parsed on its own, a section ends at the end of its file: options at the top of a file, before its
/// first header, are an error rather than a continuation of the previous file's last section. The duplicate and
/// <c>any</c> rules apply across all files.
/// </para>
/// </summary>
public static class TlsConfigReader
{
    /// <summary>
    /// Reads the tls.cfg file or directory <paramref name="path"/>, resolved by Kamailio's rule (<c>/</c> absolute,
    /// <c>.</c> working directory, else <paramref name="mainConfigDirectory"/>, which also anchors every relative
    /// file name inside; null means the working directory).
    /// </summary>
    public static TlsConfigDocument Read(string path, string? mainConfigDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        string resolved = KamailioPath.Resolve(path, mainConfigDirectory);
        List<string> files;
        if (Directory.Exists(resolved))
        {
            var enumeration = new EnumerationOptions { AttributesToSkip = 0, RecurseSubdirectories = false, MatchType = MatchType.Simple };
            files = [.. Directory.EnumerateFiles(resolved, "*", enumeration).Order(StringComparer.Ordinal)];
        }
        else
        {
            files = [resolved];
        }

        List<TlsConfigurationDiagnostic> errors = [];
        List<TlsCfgParser.ParsedProfile> profiles = [];
        foreach (string file in files)
        {
            string text;
            try
            {
                text = File.ReadAllText(file, Encoding.UTF8);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                errors.Add(new TlsConfigurationDiagnostic(file, 0, 0, $"cannot read the TLS configuration file: {e.Message}"));
                continue;
            }

            TlsCfgParser.Parse(text, file, mainConfigDirectory, errors, profiles);
        }

        return Finish(errors, profiles, files);
    }

    /// <summary>Parses tls.cfg text; <paramref name="fileName"/> names it in messages and sources.</summary>
    public static TlsConfigDocument Parse(string text, string fileName, string? mainConfigDirectory = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(fileName);
        List<TlsConfigurationDiagnostic> errors = [];
        List<TlsCfgParser.ParsedProfile> profiles = [];
        TlsCfgParser.Parse(text, fileName, mainConfigDirectory, errors, profiles);
        return Finish(errors, profiles, [fileName]);
    }

    private static TlsConfigDocument Finish(List<TlsConfigurationDiagnostic> errors, List<TlsCfgParser.ParsedProfile> profiles, List<string> files)
    {
        TlsProfileDefinition[] definitions = [.. profiles.Select(profile => profile.Definition)];
        foreach ((int index, string message) in TlsProfileRules.Check(definitions))
        {
            TlsCfgParser.ParsedProfile at = profiles[index];
            errors.Add(new TlsConfigurationDiagnostic(at.File, at.Line, at.Column, message));
        }

        if (errors.Count > 0)
        {
            // Files in reading order, then by place, so rule errors sit among the syntax errors of their file.
            List<TlsConfigurationDiagnostic> ordered = [.. errors
                .Select((error, order) => (error, order))
                .OrderBy(entry => files.IndexOf(entry.error.File))
                .ThenBy(entry => entry.error.Line)
                .ThenBy(entry => entry.error.Column)
                .ThenBy(entry => entry.order)
                .Select(entry => entry.error)];
            throw new TlsConfigurationException(ordered);
        }

        return new TlsConfigDocument(definitions, files);
    }
}
