using System.Buffers;
using System.Net;
using System.Text;
using OpenSslTls.SipEndpoint.Sip;

namespace OpenSslTls.Tests.SipEndpoint;

/// <summary>Parsing header sections and the stateless replies built from them.</summary>
public class SipResponderTests
{
    private readonly SipResponder _responder = new(new ToTagGenerator(42));

    [Fact]
    public void OPTIONS_gets_200_copying_every_Via_From_To_CallID_and_CSeq()
    {
        string reply = Respond("""
            OPTIONS sip:server@example.com SIP/2.0
            Via: SIP/2.0/TLS proxy.example.com;branch=z9hG4bKtop
            v: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bKsecond, SIP/2.0/TLS 10.0.0.2;branch=z9hG4bKthird
            Max-Forwards: 70
            f: "Alice" <sip:alice@example.com>;tag=abc
            To: <sip:server@example.com>
            i: call-1@example.com
            CSeq: 17 OPTIONS
            Content-Length: 0


            """)!;
        string[] lines = reply.Split("\r\n");
        Assert.Equal("SIP/2.0 200 OK", lines[0]);
        Assert.Equal("Via: SIP/2.0/TLS proxy.example.com;branch=z9hG4bKtop", lines[1]);
        Assert.Equal("Via: SIP/2.0/TLS 10.0.0.1:5061;branch=z9hG4bKsecond, SIP/2.0/TLS 10.0.0.2;branch=z9hG4bKthird", lines[2]);
        Assert.Equal("From: \"Alice\" <sip:alice@example.com>;tag=abc", lines[3]);
        Assert.StartsWith("To: <sip:server@example.com>;tag=", lines[4], StringComparison.Ordinal);
        Assert.Equal("Call-ID: call-1@example.com", lines[5]);
        Assert.Equal("CSeq: 17 OPTIONS", lines[6]);
        Assert.Contains("Allow: OPTIONS, REGISTER", lines);
        Assert.EndsWith("Content-Length: 0\r\n\r\n", reply, StringComparison.Ordinal);
    }

    [Fact]
    public void The_To_tag_is_kept_when_present_and_stable_across_retransmissions()
    {
        const string request = "REGISTER sip:example.com SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:a@example.com>;tag=1\r\nTo: <sip:a@example.com>\r\nCall-ID: c\r\nCSeq: 1 REGISTER\r\nContent-Length: 0\r\n\r\n";
        string first = Respond(request)!;
        Assert.StartsWith("SIP/2.0 200 OK\r\n", first, StringComparison.Ordinal);
        Assert.Equal(first, Respond(request));
        string tagged = Respond(request.Replace("To: <sip:a@example.com>", "To: <sip:a@example.com;tag=uri-param>;tag=dialog", StringComparison.Ordinal))!;
        Assert.Contains("\r\nTo: <sip:a@example.com;tag=uri-param>;tag=dialog\r\n", tagged, StringComparison.Ordinal);
        string uriParameterOnly = Respond(request.Replace("To: <sip:a@example.com>", "To: <sip:a@example.com;tag=uri-param>", StringComparison.Ordinal))!;
        Assert.Matches("\r\nTo: <sip:a@example.com;tag=uri-param>;tag=[0-9a-f]{16}\r\n", uriParameterOnly);
    }

    [Theory]
    [InlineData("INVITE", "SIP/2.0 501 Not Implemented")]
    [InlineData("BYE", "SIP/2.0 501 Not Implemented")]
    [InlineData("MESSAGE", "SIP/2.0 501 Not Implemented")]
    [InlineData("REGISTER", "SIP/2.0 200 OK")]
    [InlineData("OPTIONS", "SIP/2.0 200 OK")]
    public void Methods_other_than_OPTIONS_and_REGISTER_get_501(string method, string statusLine)
    {
        string reply = Respond($"{method} sip:a@b SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: c\r\nCSeq: 1 {method}\r\nContent-Length: 0\r\n\r\n")!;
        Assert.StartsWith(statusLine + "\r\n", reply, StringComparison.Ordinal);
        Assert.Contains($"\r\nCSeq: 1 {method}\r\n", reply, StringComparison.Ordinal);
    }

    [Fact]
    public void ACK_and_responses_get_no_reply()
    {
        Assert.Null(Respond("ACK sip:a@b SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>;tag=2\r\nCall-ID: c\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"));
        Assert.Null(Respond("SIP/2.0 200 OK\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>;tag=2\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n"));
    }

    [Theory]
    [InlineData("Call-ID: c\r\n", "SIP/2.0 400 Missing Call-ID Header")]
    [InlineData("CSeq: 1 OPTIONS\r\n", "SIP/2.0 400 Missing CSeq Header")]
    [InlineData("CSeq: 1 OPTIONS", "SIP/2.0 400 Bad CSeq")]
    public void Requests_missing_what_a_reply_needs_get_400(string remove, string statusLine)
    {
        string request = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n";
        string changed = remove.EndsWith('\n') ? request.Replace(remove, string.Empty, StringComparison.Ordinal) : request.Replace(remove, "CSeq: 1 REGISTER", StringComparison.Ordinal);
        Assert.StartsWith(statusLine + "\r\n", Respond(changed), StringComparison.Ordinal);
    }

    [Fact]
    public void Another_SIP_version_gets_505()
    {
        Assert.StartsWith("SIP/2.0 505 Version Not Supported\r\n", Respond("OPTIONS sip:a@b SIP/3.0\r\nVia: SIP/3.0/TLS h\r\nCall-ID: c\r\nContent-Length: 0\r\n\r\n"), StringComparison.Ordinal);
    }

    [Fact]
    public void A_start_line_that_is_neither_request_nor_status_is_unparsable()
    {
        Assert.Null(SipMessageHead.TryParse("HELLO\r\nl: 0\r\n\r\n"u8, out string? problem));
        Assert.Contains("HELLO", problem, StringComparison.Ordinal);
        Assert.Null(SipMessageHead.TryParse("OPTIONS sip:a SIP/2.0\r\nno colon here\r\n\r\n"u8, out problem));
        Assert.Contains("malformed header line", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Folded_header_values_are_unfolded()
    {
        SipMessageHead head = SipMessageHead.TryParse("OPTIONS sip:a SIP/2.0\r\nSubject: one\r\n  two\r\n\tthree\r\nl: 0\r\n\r\n"u8, out _)!;
        Assert.Equal("one two three", head.First("Subject"));
        Assert.Equal("0", head.First(SipHeaderNames.ContentLength));
    }

    [Fact]
    public void A_bare_LF_ends_a_header_line_so_no_reply_carries_it()
    {
        // Fuzz finding (FuzzFindings/sip): the framer's Content-Length scan ends lines at LF, the parser only at CRLF, so
        // "Call-ID: c\nl: 5" was one Call-ID value, copied into the reply, where a peer read "l: 5" as our Content-Length.
        SipMessageHead head = SipMessageHead.TryParse("OPTIONS sip:a SIP/2.0\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nCall-ID: c\nl: 5\r\n\r\n"u8, out _)!;
        Assert.Equal("OPTIONS", head.Method);
        Assert.Equal("SIP/2.0", head.Version);
        Assert.Equal("c", head.First(SipHeaderNames.CallId));
        Assert.Equal("5", head.First(SipHeaderNames.ContentLength));
        string reply = ReplyText(head)!;
        Assert.DoesNotContain('\n', reply.Replace("\r\n", string.Empty, StringComparison.Ordinal));
        Assert.Contains("\r\nCall-ID: c\r\n", reply, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("OPTIONS sip:a SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nCall-ID: c\rl: 5\r\n\r\n", "0x0D", "Call-ID")]
    [InlineData("OPTIONS sip:a SIP/2.0\r\nSubject: a\u0000b\r\n\r\n", "0x00", "Subject")]
    [InlineData("OPTIONS sip:a SIP/2.0\r\nSubject: a\u001bb\r\n\r\n", "0x1B", "Subject")]
    [InlineData("OPTIONS sip:a\rx SIP/2.0\r\nl: 0\r\n\r\n", "0x0D", "start line")]
    public void A_control_character_inside_a_line_makes_the_message_unparsable_so_no_reply_carries_it(string message, string code, string where)
    {
        // The bare-LF finding's twin: a bare CR in Call-ID would be copied into the reply, and a peer that ends lines at
        // CR would read "l: 5" as our Content-Length. Control characters other than HTAB have no place in SIP lines.
        Assert.Null(SipMessageHead.TryParse(Encoding.UTF8.GetBytes(message), out string? problem));
        Assert.Contains(code, problem, StringComparison.Ordinal);
        Assert.Contains(where, problem, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Subject: a\r\n b\r\n\tc", "a b c")]
    [InlineData("Subject:\r\n  b", "b")]
    [InlineData("Subject: a\r\n   \r\n b", "a b")]
    [InlineData("Subject: a  \r\n \t b  \r\n", "a b")]
    public void Folded_values_are_unfolded_to_single_spaces(string header, string value)
    {
        SipMessageHead head = SipMessageHead.TryParse(Encoding.ASCII.GetBytes($"OPTIONS sip:a SIP/2.0\r\n{header}\r\nl: 0\r\n\r\n"), out string? problem)!;
        Assert.Null(problem);
        Assert.Equal(value, head.First("Subject"));
        Assert.Equal("0", head.First(SipHeaderNames.ContentLength));
    }

    [Fact]
    public void A_64_KiB_header_of_continuation_lines_unfolds_whole_when_the_cap_allows_and_is_refused_by_name_when_not()
    {
        string folds = string.Concat(Enumerable.Repeat(" b\n", 21_800));
        byte[] section = Encoding.ASCII.GetBytes($"OPTIONS sip:a SIP/2.0\r\nSubject: a\n{folds}l: 0\r\n\r\n");
        SipMessageHead head = SipMessageHead.TryParse(section, out string? problem, new SipFramingLimits { MaxContinuationLines = int.MaxValue })!;
        Assert.Null(problem);
        Assert.Equal(1 + (2 * 21_800), head.First("Subject")!.Length);

        Assert.Null(SipMessageHead.TryParse(section, out problem));
        Assert.Contains($"more than {SipFramingLimits.DefaultMaxContinuationLines} continuation lines (MaxContinuationLines)", problem, StringComparison.Ordinal);
        Assert.Contains("Subject", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void More_header_fields_than_the_cap_make_the_message_unparsable_naming_the_limit()
    {
        var limits = new SipFramingLimits { MaxHeaderFields = 3 };
        Assert.NotNull(SipMessageHead.TryParse("OPTIONS sip:a SIP/2.0\r\na: 1\r\nb: 2\r\nl: 0\r\n\r\n"u8, out _, limits));
        Assert.Null(SipMessageHead.TryParse("OPTIONS sip:a SIP/2.0\r\na: 1\r\nb: 2\r\nc: 3\r\nl: 0\r\n\r\n"u8, out string? problem, limits));
        Assert.Equal("more than 3 header fields (MaxHeaderFields)", problem);
    }

    [Fact]
    public void A_tab_inside_a_header_value_is_kept()
    {
        SipMessageHead head = SipMessageHead.TryParse("OPTIONS sip:a SIP/2.0\r\nSubject: a\tb\r\nl: 0\r\n\r\n"u8, out string? problem)!;
        Assert.Null(problem);
        Assert.Equal("a\tb", head.First("Subject"));
    }

    [Fact]
    public void An_unframable_request_gets_400_or_413_from_its_header_section()
    {
        const string header = "OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\n\r\n";
        byte[] bytes = Encoding.ASCII.GetBytes(header);
        string? missing = LastWordText(new SipFrame(SipFrameKind.Invalid, bytes, bytes.Length, SipFramingError.MissingContentLength));
        Assert.StartsWith("SIP/2.0 400 Missing Content-Length\r\nVia: SIP/2.0/TLS h;branch=z9hG4bK1\r\n", missing, StringComparison.Ordinal);
        string? large = LastWordText(new SipFrame(SipFrameKind.Invalid, bytes, bytes.Length, SipFramingError.BodyTooLarge));
        Assert.StartsWith("SIP/2.0 413 Request Entity Too Large\r\n", large, StringComparison.Ordinal);
        Assert.Null(LastWordText(new SipFrame(SipFrameKind.Invalid, ReadOnlyMemory<byte>.Empty, 0, SipFramingError.HeaderTooLarge)));
    }

    [Theory]
    [InlineData("SIP/2.0/TLS 192.0.2.7:5061;branch=z9hG4bK1", "SIP/2.0/TLS 192.0.2.7:5061;branch=z9hG4bK1")]
    [InlineData("SIP/2.0/TLS 192.0.2.8;branch=z9hG4bK1", "SIP/2.0/TLS 192.0.2.8;branch=z9hG4bK1;received=192.0.2.7")]
    [InlineData("SIP/2.0/TLS client.example.com;branch=z9hG4bK1", "SIP/2.0/TLS client.example.com;branch=z9hG4bK1;received=192.0.2.7")]
    [InlineData("SIP/2.0/TLS 192.0.2.7:5061;rport;branch=z9hG4bK1", "SIP/2.0/TLS 192.0.2.7:5061;rport=40000;branch=z9hG4bK1;received=192.0.2.7")]
    [InlineData("SIP/2.0/TLS 192.0.2.7;rport=1;branch=z9hG4bK1", "SIP/2.0/TLS 192.0.2.7;rport=1;branch=z9hG4bK1")]
    [InlineData("SIP/2.0/TLS h;branch=z9hG4bK1;received=1.2.3.4", "SIP/2.0/TLS h;branch=z9hG4bK1;received=1.2.3.4")]
    [InlineData("SIP/2.0/TLS h;branch=z9hG4bK1 , SIP/2.0/TLS p;branch=z9hG4bK0", "SIP/2.0/TLS h;branch=z9hG4bK1;received=192.0.2.7, SIP/2.0/TLS p;branch=z9hG4bK0")]
    [InlineData("SIP/2.0/TLS [2001:db8::7]:5061;rport", "SIP/2.0/TLS [2001:db8::7]:5061;rport=40000;received=192.0.2.7")]
    public void The_top_Via_gets_received_and_rport_from_the_source_address(string via, string expected)
    {
        Assert.Equal(expected, ViaSourceParameters.Apply(via, new IPEndPoint(IPAddress.Parse("192.0.2.7"), 40000)));
    }

    [Fact]
    public void Only_the_top_Via_header_is_changed_in_a_reply()
    {
        byte[] request = Encoding.ASCII.GetBytes("OPTIONS sip:a@b SIP/2.0\r\nVia: SIP/2.0/TLS c.example;rport;branch=z9hG4bK2\r\nVia: SIP/2.0/TLS p.example;rport;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: c\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n");
        string reply = ReplyText(SipMessageHead.TryParse(request, out _)!, new IPEndPoint(IPAddress.Loopback, 5070))!;
        Assert.Contains("\r\nVia: SIP/2.0/TLS c.example;rport=5070;branch=z9hG4bK2;received=127.0.0.1\r\nVia: SIP/2.0/TLS p.example;rport;branch=z9hG4bK1\r\n", reply, StringComparison.Ordinal);
    }

    private string? Respond(string request)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(request.ReplaceLineEndings("\r\n"));
        SipMessageHead? head = SipMessageHead.TryParse(bytes, out string? problem);
        Assert.True(head is not null, problem);
        return ReplyText(head);
    }

    /// <summary>The reply the responder writes, as text; null when it writes none (and then it must write nothing).</summary>
    private string? ReplyText(SipMessageHead head, IPEndPoint? source = null)
    {
        var output = new ArrayBufferWriter<byte>();
        bool replied = _responder.Respond(head, output, source);
        Assert.Equal(replied, output.WrittenCount > 0);
        return replied ? Encoding.UTF8.GetString(output.WrittenSpan) : null;
    }

    private string? LastWordText(SipFrame invalid)
    {
        var output = new ArrayBufferWriter<byte>();
        bool replied = _responder.RespondToUnframable(invalid, output);
        Assert.Equal(replied, output.WrittenCount > 0);
        return replied ? Encoding.UTF8.GetString(output.WrittenSpan) : null;
    }
}
