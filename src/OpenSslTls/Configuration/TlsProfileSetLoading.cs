using Microsoft.Extensions.Logging;
using OpenSslTls.Errors;
using OpenSslTls.OpenSsl;
using OpenSslTls.Profiles;

namespace OpenSslTls.Configuration;

/// <summary>
/// Builds a <see cref="TlsProfileSet"/> from module options: <c>TlsProfileSet.Load(options)</c>. It lives here, not
/// in the profile layer, because reading options and tls.cfg is this layer's job; the set itself only knows
/// definitions (<see cref="TlsProfileSet.Build"/>).
/// </summary>
public static class TlsProfileSetLoading
{
    extension(TlsProfileSet)
    {
        /// <summary>
        /// Builds the profiles <paramref name="options"/> describe: from its <c>config</c> file or directory when set
        /// (profile modparams are then ignored, as Kamailio), else from its <c>Profiles</c> list when not empty (as a
        /// tls.cfg file would give them), else from its profile parameters (one template for both
        /// default profiles). <paramref name="runtime"/> is shared when given (e.g. across reloads, keeping values changed
        /// at run time); otherwise new runtime parameters are made from <paramref name="options"/>.
        /// Throws <see cref="TlsConfigurationException"/> for invalid options or tls.cfg, and
        /// <see cref="TlsProfileSetException"/> when contexts cannot be built. <paramref name="engine"/> is the global
        /// engine (<see cref="TlsModuleOptions.ToEngineOptions"/>) that <c>/engine:</c> private keys need.
        /// <paramref name="clientOnly"/>: the set serves outgoing connections only, so a tls.cfg without
        /// <c>[server:default]</c> gets none (instead of Kamailio's built-in one, which needs <c>cert.pem</c>).
        /// </summary>
        public static TlsProfileSet Load(TlsModuleOptions options, TlsRuntimeParameters? runtime = null, ILogger? logger = null, OpenSslEngine? engine = null, bool clientOnly = false)
        {
            ArgumentNullException.ThrowIfNull(options);
            options.Validate();
            IReadOnlyList<TlsProfileDefinition> definitions;
            if (options.Config is { Length: > 0 } config)
            {
                definitions = TlsConfigReader.Read(config, options.MainConfigDirectory).Profiles;
            }
            else if (options.Profiles.Count > 0)
            {
                definitions = [.. options.Profiles.Select(profile => profile.WithBuiltInDefaults(options.MainConfigDirectory))];
            }
            else
            {
                TlsProfileSettings template = options.ToProfileSettings();
                definitions = [TlsProfileDefinition.ForDefault(TlsRole.Server, template), TlsProfileDefinition.ForDefault(TlsRole.Client, template)];
            }

            return TlsProfileSet.Build(definitions, options.ToTuning(), runtime ?? options.CreateRuntimeParameters(), logger, options.MainConfigDirectory, engine, clientOnly);
        }
    }
}
