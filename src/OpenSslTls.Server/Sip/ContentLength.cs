namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>The result of looking for Content-Length: its status and, when present, its value (saturated at <see cref="long.MaxValue"/>).</summary>
internal readonly record struct ContentLength(ContentLengthStatus Status, long Value);
