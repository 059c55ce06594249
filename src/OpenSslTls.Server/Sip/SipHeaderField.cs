namespace OpenSslTls.SipEndpoint.Sip;

/// <summary>One header field: its name as the canonical long form (compact forms expanded) and its unfolded, trimmed value.</summary>
internal sealed record SipHeaderField(string Name, string Value);
