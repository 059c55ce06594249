using OpenSslTls.Errors;

namespace OpenSslTls.SipEndpoint.Cli;

/// <summary>
/// Short, one-line forms of configuration failures for the console: what failed and OpenSSL's root reason, without
/// OpenSSL's library names, function names and source <c>file:line</c> (those go to the debug log). The same failure
/// in several profiles (a module-level certificate is used by <c>server:default</c> and <c>client:default</c>) is one line.
/// </summary>
internal static class ErrorText
{
    /// <summary>One line per distinct failure of <paramref name="failure"/>, in build order.</summary>
    public static IReadOnlyList<string> Lines(TlsProfileSetException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        if (failure.Failures.Count == 0)
        {
            return [failure.Message];
        }

        var groups = new List<(string Body, List<string> Profiles)>();
        foreach (TlsProfileException profile in failure.Failures)
        {
            string body = WithoutProfile(profile);
            int index = groups.FindIndex(group => group.Body == body);
            if (index < 0)
            {
                groups.Add((body, [profile.Profile]));
            }
            else
            {
                groups[index].Profiles.Add(profile.Profile);
            }
        }

        return [.. groups.Select(group => group.Profiles.All(label => label.Length == 0)
            ? group.Body
            : $"{(group.Profiles.Count == 1 ? "profile" : "profiles")} {string.Join(", ", group.Profiles)}: {group.Body}")];
    }

    /// <summary>The operation that failed and OpenSSL's root reason, e.g. <c>cannot load X: no start line</c>.</summary>
    public static string Short(OpenSslException failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure.Errors.Count == 0 ? failure.Message : $"{failure.Operation}: {Reason(failure.Errors)}";
    }

    /// <summary>The short form of any failure: <see cref="Short(OpenSslException)"/> for OpenSSL's, else the message.</summary>
    public static string Short(Exception failure)
    {
        ArgumentNullException.ThrowIfNull(failure);
        return failure switch
        {
            OpenSslException openSsl => Short(openSsl),
            TlsProfileSetException set => string.Join("; ", Lines(set)),
            TlsProfileException profile => profile.Profile.Length == 0 ? WithoutProfile(profile) : $"profile {profile.Profile}: {WithoutProfile(profile)}",
            _ => failure.Message,
        };
    }

    /// <summary>The oldest queued error is the root cause; its data is kept unless it is a system call's echo.</summary>
    internal static string Reason(IReadOnlyList<OpenSslError> errors)
    {
        OpenSslError root = errors[0];
        return !root.IsSystemError && !string.IsNullOrEmpty(root.Data) ? $"{root.Reason} ({root.Data})" : root.Reason;
    }

    /// <summary>"parameter: problem: reason" — the profile's message without its label prefix and OpenSSL's full queue.</summary>
    private static string WithoutProfile(TlsProfileException failure)
    {
        string message = failure.Message;
        if (failure.Errors.Count > 0)
        {
            string queue = ": " + string.Join("; ", failure.Errors);
            if (message.EndsWith(queue, StringComparison.Ordinal))
            {
                message = message[..^queue.Length] + ": " + Reason(failure.Errors);
            }
        }

        string prefix = $"profile {failure.Profile}: ";
        return failure.Profile.Length > 0 && message.StartsWith(prefix, StringComparison.Ordinal) ? message[prefix.Length..] : message;
    }
}
