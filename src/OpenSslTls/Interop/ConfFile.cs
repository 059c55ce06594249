using static OpenSslTls.Interop.NativeMethods;
using OpenSslTls.Errors;

namespace OpenSslTls.Interop;

/// <summary>
/// A configuration file read with OpenSSL's own parser (<c>NCONF_load</c>: includes, <c>$var</c> and
/// <c>$ENV::var</c> expansion as in <c>openssl.cnf</c>). Lookups copy the strings out, so nothing read outlives the
/// file's <c>CONF</c>, which <see cref="Dispose"/> frees. Loading applies nothing and loads no configuration module.
/// </summary>
internal sealed unsafe class ConfFile : IDisposable
{
    private CONF* _conf;

    private ConfFile(CONF* conf) => _conf = conf;

    /// <summary>
    /// Loads <paramref name="path"/>; on failure returns null, with the line of a syntax error (0 when the failure is
    /// not a syntax error) and what OpenSSL reported (its parser errors name the line and never quote values).
    /// </summary>
    internal static ConfFile? TryLoad(string path, out long errorLine, out OpenSslException? error)
    {
        errorLine = 0;
        error = null;
        ErrorQueue.Clear();

        // NCONF_new returns a new, empty configuration; NCONF_free (Dispose) releases it and every string and section
        // stack read from it.
        CONF* conf = Crypto.NCONF_new(null);
        if (conf == null)
        {
            error = ErrorQueue.Drain("NCONF_new");
            return null;
        }

        nint line = 0;
        fixed (byte* file = Utf8Z.From(path))
        {
            if (Crypto.NCONF_load(conf, (sbyte*)file, &line) != 1)
            {
                error = ErrorQueue.Drain("NCONF_load");
                errorLine = line;
                Crypto.NCONF_free(conf);
                return null;
            }
        }

        return new ConfFile(conf);
    }

    /// <summary>The value of <paramref name="name"/> in <paramref name="group"/> (null: the top level), or null without queuing an error.</summary>
    internal string? GetString(string? group, string name)
    {
        ObjectDisposedException.ThrowIf(_conf == null, this);
        fixed (byte* groupText = group is null ? null : Utf8Z.From(group))
        fixed (byte* nameText = Utf8Z.From(name))
        {
            Crypto.ERR_set_mark();
            sbyte* value = Crypto.NCONF_get_string(_conf, (sbyte*)groupText, (sbyte*)nameText);
            Crypto.ERR_pop_to_mark();
            return Utf8Z.ToString(value);
        }
    }

    /// <summary>The lines of a section in file order, or null when the file has no such section.</summary>
    internal List<KeyValuePair<string, string>>? GetSection(string section)
    {
        ObjectDisposedException.ThrowIf(_conf == null, this);
        fixed (byte* sectionText = Utf8Z.From(section))
        {
            Crypto.ERR_set_mark();
            // Borrowed: the stack belongs to the configuration.
            var values = (OPENSSL_STACK*)Crypto.NCONF_get_section(_conf, (sbyte*)sectionText);
            Crypto.ERR_pop_to_mark();
            if (values == null)
            {
                return null;
            }

            var lines = new List<KeyValuePair<string, string>>();
            int count = Crypto.OPENSSL_sk_num(values);
            for (int i = 0; i < count; i++)
            {
                var line = (ConfValue*)Crypto.OPENSSL_sk_value(values, i);
                if (line != null && line->Name != null)
                {
                    lines.Add(new(Utf8Z.ToString(line->Name)!, Utf8Z.ToString(line->Value) ?? string.Empty));
                }
            }

            return lines;
        }
    }

    /// <summary>Frees the configuration (<c>NCONF_free</c>) and clears the error queue of lookups.</summary>
    public void Dispose()
    {
        if (_conf != null)
        {
            Crypto.NCONF_free(_conf);
            _conf = null;
        }

        ErrorQueue.Clear();
    }
}
