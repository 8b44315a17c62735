using System.Text;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Sip.Tests;

public sealed class SipMessageReaderTests
{
    private static string Str(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private static string? Header(string message, string name)
    {
        var reader = new SipMessageReader(SipMessages.Bytes(message));
        return reader.TryGetHeader(Encoding.ASCII.GetBytes(name), out ReadOnlySpan<byte> value) ? Str(value) : null;
    }

    private static List<string> AllValues(byte[] message, string name)
    {
        var reader = new SipMessageReader(message);
        var values = new List<string>();
        foreach (SipHeaderField field in reader.GetHeaders(Encoding.ASCII.GetBytes(name)))
        {
            var buffer = new byte[field.UnfoldedValueLength];
            Assert.True(field.TryCopyUnfoldedValue(buffer, out int written));
            values.Add(Encoding.UTF8.GetString(buffer, 0, written));
        }

        return values;
    }

    [Fact]
    public void Invite_start_line_headers_and_body_are_read()
    {
        byte[] bytes = SipMessages.Bytes(SipMessages.Invite);
        var reader = new SipMessageReader(bytes);

        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.Equal(SipParseError.None, reader.Error);
        Assert.True(reader.IsRequest);
        Assert.False(reader.IsResponse);
        Assert.Equal("INVITE", Str(reader.Method));
        Assert.Equal("sip:bob@biloxi.example.com", Str(reader.RequestUri));
        Assert.Equal("SIP/2.0", Str(reader.Version));
        Assert.Equal(0, reader.StatusCode);
        Assert.Equal(11, reader.HeaderCount);
        Assert.Equal(SipMessages.SdpBody.Length, reader.ContentLength);
        Assert.Equal(SipMessages.SdpBody, Str(reader.Body));
        Assert.Equal(bytes.Length, reader.MessageLength);
        Assert.Equal(bytes.Length - SipMessages.SdpBody.Length, reader.BodyOffset);
        Assert.Equal(reader.BodyOffset - 2, reader.HeadersEnd);
        Assert.True(reader.TryGetHeader("x-otel-TRACEPARENT"u8, out ReadOnlySpan<byte> tp));
        Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", Str(tp));
    }

    [Fact]
    public void Headers_enumerate_in_order_with_trimmed_values_and_exact_offsets()
    {
        byte[] bytes = SipMessages.Bytes(SipMessages.Invite);
        var reader = new SipMessageReader(bytes);
        var names = new List<string>();
        int expectedOffset = reader.HeadersOffset;
        foreach (SipHeaderField field in reader.Headers)
        {
            names.Add(Str(field.Name));
            Assert.Equal(expectedOffset, field.Offset);
            string line = Str(bytes.AsSpan(field.Offset, field.Length));
            Assert.EndsWith("\r\n", line, StringComparison.Ordinal);
            Assert.Equal($"{Str(field.Name)}: {Str(field.Value)}\r\n", line);
            expectedOffset += field.Length;
        }

        Assert.Equal(reader.HeadersEnd, expectedOffset);
        Assert.Equal(
            ["Via", "Max-Forwards", "To", "From", "Call-ID", "CSeq", "Contact", "Content-Type", "X-OTel-traceparent", "X-OTel-tracestate", "Content-Length"],
            names.Take(11));
    }

    [Fact]
    public void Response_status_line_is_read()
    {
        var reader = new SipMessageReader(SipMessages.Bytes(SipMessages.Ringing));
        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.True(reader.IsResponse);
        Assert.False(reader.IsRequest);
        Assert.Equal(180, reader.StatusCode);
        Assert.Equal("Ringing", Str(reader.ReasonPhrase));
        Assert.True(reader.Method.IsEmpty);
        Assert.True(reader.RequestUri.IsEmpty);
        Assert.Equal(0, reader.Body.Length);
    }

    [Theory]
    [InlineData("SIP/2.0 100 \r\nContent-Length: 0\r\n\r\n", 100, "")]
    [InlineData("SIP/2.0 100\r\nContent-Length: 0\r\n\r\n", 100, "")]
    [InlineData("SIP/2.0 699 Who Knows What This Means\r\nl: 0\r\n\r\n", 699, "Who Knows What This Means")]
    [InlineData("sip/2.0 200 OK\r\n\r\n", 200, "OK")]
    [InlineData("SIP/2.0 503 Service\tUnavailable \u00e9t\u00e9\r\n\r\n", 503, "Service\tUnavailable \u00e9t\u00e9")]
    public void Reason_phrase_may_be_empty_or_unusual(string message, int code, string reason)
    {
        var reader = new SipMessageReader(SipMessages.Bytes(message));
        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.Equal(code, reader.StatusCode);
        Assert.Equal(reason, Str(reader.ReasonPhrase));
    }

    [Fact]
    public void Tortuous_invite_is_complete_and_every_lookup_finds_the_folded_values()
    {
        byte[] bytes = SipMessages.Bytes(SipMessages.TortuousInvite);
        var reader = new SipMessageReader(bytes);

        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.Equal("sip:carol;day=friday@chicago.example.com", Str(reader.RequestUri));
        Assert.Equal(reader.ContentLength, reader.Body.Length);

        // The value on the line after "TO :" is still the To value, with no leading fold.
        Assert.Equal(["sip:carol@chicago.example.com ;   tag    = 8321234356"], AllValues(bytes, "To"));
        Assert.Equal(["sip:carol@chicago.example.com ;   tag    = 8321234356"], AllValues(bytes, "t"));
        Assert.Equal(["\"Dave \\\"the\\\" Builder\" <sip:dave@denver.example.com> ; tag = 98asjd8"], AllValues(bytes, "f"));
        Assert.Equal(["0068"], AllValues(bytes, "max-forwards"));
        Assert.Equal(["0009 INVITE"], AllValues(bytes, "CSeq"));
        Assert.Equal([""], AllValues(bytes, "Subject"));
        Assert.Equal(["newfangled value continued newfangled value"], AllValues(bytes, "newfangledheader"));
        Assert.Equal([";;,,;;,;"], AllValues(bytes, "UnknownHeaderWithUnusualValue"));
        Assert.Equal(["<sip:services.example.com;lr;unknownwith=value;unknown-no-value>"], AllValues(bytes, "Route"));
        Assert.Equal(
            [
                "SIP  /   2.0 /UDP 192.0.2.2;branch=z9hG4bKkdjuw",
                "SIP  / 2.0  / TCP     spindle.example.com   ; branch  =   z9hG4bK9ikj8  , SIP  /    2.0   / UDP  192.168.255.111   ; branch= z9hG4bK30239",
            ],
            AllValues(bytes, "Via"));
        Assert.Equal(AllValues(bytes, "Via"), AllValues(bytes, "V"));
        Assert.Equal(["\"Quoted string \\\"\\\"\" <sip:dave@denver.example.com> ; newparam = newvalue ; secondparam ; q = 0.33"], AllValues(bytes, "Contact"));
    }

    [Fact]
    public void Folded_field_reports_its_raw_value_and_whole_extent()
    {
        byte[] bytes = SipMessages.Bytes(SipMessages.TortuousInvite);
        var reader = new SipMessageReader(bytes);
        Assert.True(reader.TryGetHeader("CSeq"u8, out SipHeaderField cseq));
        Assert.True(cseq.IsFolded);
        Assert.Equal("0009\r\n  INVITE", Str(cseq.Value));
        Assert.Equal("0009 INVITE".Length, cseq.UnfoldedValueLength);
        Assert.Equal("cseq: 0009\r\n  INVITE\r\n", Str(bytes.AsSpan(cseq.Offset, cseq.Length)));
        Assert.False(cseq.TryCopyUnfoldedValue(new byte[5], out int written));
        Assert.Equal(0, written);

        // A fold only between the colon and the value does not make the value folded.
        Assert.True(reader.TryGetHeader("To"u8, out SipHeaderField to));
        Assert.False(to.IsFolded);
        Assert.Equal(KnownSipHeader.To, to.KnownHeader);
    }

    [Fact]
    public void Compact_and_long_forms_find_each_other_in_both_directions()
    {
        Assert.Equal("compact.7fj3@192.0.2.20", Header(SipMessages.CompactRegister, "Call-ID"));
        Assert.Equal("compact.7fj3@192.0.2.20", Header(SipMessages.CompactRegister, "CALL-id"));
        Assert.Equal("compact.7fj3@192.0.2.20", Header(SipMessages.CompactRegister, "I"));
        Assert.Equal("a84b4c76e66710@pc33.atlanta.example.com", Header(SipMessages.Invite, "i"));
        Assert.Equal("path, outbound", Header(SipMessages.CompactRegister, "Supported"));
        Assert.Equal("0", Header(SipMessages.CompactRegister, "content-length"));
        Assert.Null(Header(SipMessages.CompactRegister, "Subject"));
        Assert.Null(Header(SipMessages.CompactRegister, "x"));
    }

    [Theory]
    [MemberData(nameof(SipHeaderNamesTests.IanaCompactForms), MemberType = typeof(SipHeaderNamesTests))]
    public void Every_registered_compact_form_is_found_by_its_long_name_and_back(char letter, string longName)
    {
        // No Content-Length is added (the body runs to the end), so "l" can be tested too, with a number.
        string compactValue = letter == 'l' ? "0" : "compact-value";
        string longValue = letter == 'l' ? "00" : "long-value";
        byte[] compact = SipMessages.Bytes($"OPTIONS sip:a@b SIP/2.0\r\n{letter}: {compactValue}\r\n\r\n");
        byte[] full = SipMessages.Bytes($"OPTIONS sip:a@b SIP/2.0\r\n{longName.ToUpperInvariant()} : {longValue}\r\n\r\n");
        Assert.Equal([compactValue], AllValues(compact, longName));
        Assert.Equal([longValue], AllValues(full, letter.ToString()));
        Assert.Equal([longValue], AllValues(full, char.ToUpperInvariant(letter).ToString()));
    }

    [Fact]
    public void Repeated_headers_are_all_found_in_order_and_comma_lists_stay_one_value()
    {
        byte[] bytes = SipMessages.Bytes(SipMessages.CompactRegister);
        var reader = new SipMessageReader(bytes);
        Assert.Equal(2, reader.CountHeaders("Via"u8));
        Assert.Equal(
            ["SIP/2.0/TCP 192.0.2.20:5060;branch=z9hG4bK-a1", "SIP/2.0/UDP 192.0.2.21;branch=z9hG4bK-b2, SIP/2.0/UDP 192.0.2.22;branch=z9hG4bK-c3"],
            AllValues(bytes, "via"));
        Assert.True(reader.TryGetHeader("Via"u8, out ReadOnlySpan<byte> first));
        Assert.Equal("SIP/2.0/TCP 192.0.2.20:5060;branch=z9hG4bK-a1", Str(first));
        int viaCount = 0;
        foreach (SipHeaderField via in reader.GetHeaders(KnownSipHeader.Via))
        {
            Assert.Equal("v", Str(via.Name));
            viaCount++;
        }

        Assert.Equal(2, viaCount);
    }

    [Fact]
    public void Empty_value_is_present_and_empty()
    {
        var reader = new SipMessageReader(SipMessages.Bytes(SipMessages.CompactRegister));
        Assert.True(reader.TryGetHeader("Expires"u8, out ReadOnlySpan<byte> value));
        Assert.True(value.IsEmpty);
        Assert.True(reader.TryGetHeader(KnownSipHeader.ContentLength, out ReadOnlySpan<byte> length));
        Assert.Equal("0", Str(length));
        Assert.False(reader.TryGetHeader(KnownSipHeader.Unknown, out _));
    }

    [Fact]
    public void Bare_lf_line_ends_are_accepted_everywhere()
    {
        byte[] bytes = SipMessages.Build("INVITE sip:bob@biloxi.example.com SIP/2.0", ["To: Bob <sip:bob@biloxi.example.com>", "Via: SIP/2.0/UDP h", " ;branch=z9hG4bK1"], "body"u8, lineEnd: "\n");
        var reader = new SipMessageReader(bytes);
        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.True(reader.TryGetHeader("t"u8, out ReadOnlySpan<byte> to));
        Assert.Equal("Bob <sip:bob@biloxi.example.com>", Str(to));
        Assert.Equal(["SIP/2.0/UDP h ;branch=z9hG4bK1"], AllValues(bytes, "Via"));
        Assert.Equal(reader.HeadersEnd + 1, reader.BodyOffset);
        Assert.Equal("body", Str(reader.Body));
    }

    [Fact]
    public void Blank_lines_before_the_start_line_are_skipped()
    {
        byte[] bytes = SipMessages.Bytes("\r\n\r\n\n" + SipMessages.Ringing);
        var reader = new SipMessageReader(bytes);
        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.Equal(180, reader.StatusCode);
        Assert.Equal("SIP/2.0 180 Ringing", Str(reader.StartLine));
        Assert.Equal(5 + "SIP/2.0 180 Ringing\r\n".Length, reader.HeadersOffset);
    }

    [Fact]
    public void Two_messages_in_one_buffer_frame_by_content_length()
    {
        // RFC 4475 §3.1.1.13 shape: a request with Content-Length 0 followed by another message.
        byte[] first = SipMessages.Bytes(SipMessages.Ringing);
        byte[] both = [.. first, .. SipMessages.Bytes(SipMessages.Invite)];
        var reader = new SipMessageReader(both);
        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.Equal(first.Length, reader.MessageLength);
        Assert.Equal(0, reader.Body.Length);
        var next = new SipMessageReader(both.AsSpan(reader.MessageLength));
        Assert.Equal("INVITE", Str(next.Method));
        Assert.Equal(SipParseStatus.Complete, next.Status);
    }

    [Fact]
    public void Message_without_content_length_takes_the_rest_as_body()
    {
        byte[] bytes = SipMessages.Bytes("MESSAGE sip:u@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\n\r\nhello\r\nworld");
        var reader = new SipMessageReader(bytes);
        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.False(reader.HasContentLength);
        Assert.Equal(-1, reader.ContentLength);
        Assert.Equal("hello\r\nworld", Str(reader.Body));
        Assert.Equal(bytes.Length, reader.MessageLength);
    }

    [Fact]
    public void Binary_body_with_nul_cr_and_lf_is_framed_by_content_length()
    {
        byte[] body = [0x00, 0x0D, 0x0A, 0x0D, 0x0A, 0xFF, 0x80, (byte)'V', (byte)'i', (byte)'a', (byte)':', 0x00];
        byte[] bytes = SipMessages.Build("MESSAGE sip:u@example.com SIP/2.0", ["Content-Type: application/octet-stream"], body);
        var reader = new SipMessageReader(bytes);
        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.True(reader.Body.SequenceEqual(body));
        Assert.Equal(2, reader.HeaderCount);
        Assert.Equal(0, reader.CountHeaders("via"u8));
        Assert.Equal(1, reader.CountHeaders("c"u8));
    }

    [Fact]
    public void Huge_header_within_the_line_limit_is_read()
    {
        string big = new('a', SipReaderLimits.DefaultMaxLineLength - "Identity: ".Length);
        byte[] bytes = SipMessages.Build("INVITE sip:x@example.com SIP/2.0", ["Identity: " + big], []);
        var reader = new SipMessageReader(bytes);
        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.True(reader.TryGetHeader("y"u8, out ReadOnlySpan<byte> value));
        Assert.Equal(big.Length, value.Length);
    }

    [Fact]
    public void Messages_with_more_headers_than_the_offset_index_read_the_same_past_it()
    {
        // The reader records where the first 32 fields start and walks lines after that; both
        // halves must agree, folded fields included.
        var lines = new List<string>();
        for (int i = 0; i < 45; i++)
        {
            lines.Add(i % 7 == 3 ? $"Via: SIP/2.0/UDP host{i}\r\n ;branch=z9hG4bK{i}" : $"X-H{i}: value {i}");
        }

        byte[] bytes = SipMessages.Build("INVITE sip:a@b SIP/2.0", lines, "xyz"u8);
        var reader = new SipMessageReader(bytes);
        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.Equal(46, reader.HeaderCount);

        int count = 0;
        int expectedOffset = reader.HeadersOffset;
        foreach (SipHeaderField field in reader.Headers)
        {
            Assert.Equal(expectedOffset, field.Offset);
            expectedOffset += field.Length;
            count++;
        }

        Assert.Equal(46, count);
        Assert.Equal(reader.HeadersEnd, expectedOffset);
        Assert.Equal(
            Enumerable.Range(0, 45).Where(i => i % 7 == 3).Select(i => $"SIP/2.0/UDP host{i} ;branch=z9hG4bK{i}"),
            AllValues(bytes, "v"));
        Assert.True(reader.TryGetHeader("x-h44"u8, out ReadOnlySpan<byte> last));
        Assert.Equal("value 44", Str(last));
        Assert.True(reader.TryGetHeader("X-H30"u8, out ReadOnlySpan<byte> at30));
        Assert.Equal("value 30", Str(at30));
        Assert.True(reader.TryGetHeader("X-H32"u8, out ReadOnlySpan<byte> at32));
        Assert.Equal("value 32", Str(at32));
        Assert.Equal("3", Str(reader.TryGetHeader("l"u8, out ReadOnlySpan<byte> cl) ? cl : default));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\r")]
    [InlineData("\r\n\r\n")]
    [InlineData("INV")]
    [InlineData("INVITE sip:bob@example.com SIP/2.0")]
    [InlineData("INVITE sip:bob@example.com SIP/2.0\r")]
    [InlineData("INVITE sip:bob@example.com SIP/2.0\r\n")]
    [InlineData("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n")]
    [InlineData("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r")]
    [InlineData("SIP/2.0 200 OK\r\nContent-Length: 5\r\n\r\nabc")]
    public void Truncated_messages_are_incomplete(string message)
    {
        var reader = new SipMessageReader(SipMessages.Bytes(message));
        Assert.Equal(SipParseStatus.Incomplete, reader.Status);
        Assert.NotEqual(SipParseError.None, reader.Error);
        Assert.Equal(0, reader.MessageLength);
    }

    [Fact]
    public void Incomplete_body_still_exposes_the_headers()
    {
        var reader = new SipMessageReader(SipMessages.Bytes("SIP/2.0 200 OK\r\nContent-Length: 5\r\nTo: <sip:a@b>\r\n\r\nabc"));
        Assert.Equal(SipParseStatus.Incomplete, reader.Status);
        Assert.Equal(SipParseError.IncompleteBody, reader.Error);
        Assert.True(reader.HeadersComplete);
        Assert.True(reader.TryGetHeader("t"u8, out ReadOnlySpan<byte> to));
        Assert.Equal("<sip:a@b>", Str(to));
        Assert.Equal("abc", Str(reader.Body));
    }

    [Theory]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nVia: x\rMax-Forwards: 70\r\n\r\n", SipParseError.BareCarriageReturn)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nVia: x\r\n\rX\r\n\r\n", SipParseError.BareCarriageReturn)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nX-Evil: a\0b\r\n\r\n", SipParseError.InvalidCharacter)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nX-Evil: a\u001bb\r\n\r\n", SipParseError.InvalidCharacter)]
    [InlineData("INVITE sip:a@b\0 SIP/2.0\r\n\r\n", SipParseError.InvalidCharacter)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nNoColonHere\r\n\r\n", SipParseError.MissingColon)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nBad Name: x\r\n\r\n", SipParseError.InvalidHeaderName)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\n: no name\r\n\r\n", SipParseError.InvalidHeaderName)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nTo<x>: y\r\n\r\n", SipParseError.InvalidHeaderName)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\n folded: first\r\n\r\n", SipParseError.ContinuationWithoutHeader)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nContent-Length: -999\r\n\r\n", SipParseError.InvalidContentLength)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nContent-Length: 12a\r\n\r\n", SipParseError.InvalidContentLength)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nl:\r\n\r\n", SipParseError.InvalidContentLength)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nContent-Length: 18446744073709551618\r\n\r\n", SipParseError.InvalidContentLength)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nContent-Length: 2147483648\r\n\r\n", SipParseError.InvalidContentLength)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nContent-Length: 0\r\nl: 0\r\n\r\n", SipParseError.DuplicateContentLength)]
    [InlineData("INVITE sip:a@b SIP/2.0\r\nContent-Length: 3\r\nContent-Length: 0\r\n\r\nabc", SipParseError.DuplicateContentLength)]
    [InlineData("SIP/2.0 4294967301 Better Not Break The Receiver\r\n\r\n", SipParseError.InvalidStatusCode)]
    [InlineData("SIP/2.0 099 Too Low\r\n\r\n", SipParseError.InvalidStatusCode)]
    [InlineData("SIP/2.0 700 Too High\r\n\r\n", SipParseError.InvalidStatusCode)]
    [InlineData("SIP/2.0 20x OK\r\n\r\n", SipParseError.InvalidStatusCode)]
    [InlineData("SIP/2.0  200 OK\r\n\r\n", SipParseError.InvalidStatusCode)]
    [InlineData("SIP/2.0\r\n\r\n", SipParseError.InvalidStartLine)]
    [InlineData("SIP/2 200 OK\r\n\r\n", SipParseError.InvalidVersion)]
    [InlineData("SIP/. 200 OK\r\n\r\n", SipParseError.InvalidVersion)]
    [InlineData("INVITE sip:a@b SIP/2.0x\r\n\r\n", SipParseError.InvalidVersion)]
    [InlineData("INVITE sip:a@b HTTP/1.1\r\n\r\n", SipParseError.InvalidVersion)]
    [InlineData("INVITE sip:a@b SIP/2.0 \r\n\r\n", SipParseError.InvalidVersion)]
    [InlineData("INVITE sip:a@b  SIP/2.0\r\n\r\n", SipParseError.InvalidVersion)]
    [InlineData("INVITE  sip:a@b SIP/2.0\r\n\r\n", SipParseError.InvalidRequestUri)]
    [InlineData("INVITE sip:a@b\r\n\r\n", SipParseError.InvalidStartLine)]
    [InlineData("INVITE\r\n\r\n", SipParseError.InvalidStartLine)]
    [InlineData("IN(VITE sip:a@b SIP/2.0\r\n\r\n", SipParseError.InvalidMethod)]
    [InlineData(" INVITE sip:a@b SIP/2.0\r\n\r\n", SipParseError.InvalidMethod)]
    public void Malformed_messages_report_the_reason(string message, SipParseError error)
    {
        var reader = new SipMessageReader(Encoding.Latin1.GetBytes(message));
        Assert.Equal(SipParseStatus.Malformed, reader.Status);
        Assert.Equal(error, reader.Error);
        Assert.False(reader.IsComplete);
        Assert.Equal(0, reader.HeaderCount);
        Assert.False(reader.TryGetHeader("Via"u8, out ReadOnlySpan<byte> _));
        Assert.False(reader.Headers.MoveNext());
    }

    [Fact]
    public void Error_offset_points_at_the_offending_byte()
    {
        byte[] bytes = Encoding.Latin1.GetBytes("INVITE sip:a@b SIP/2.0\r\nX-Evil: ab\0cd\r\n\r\n");
        var reader = new SipMessageReader(bytes);
        Assert.Equal(Array.IndexOf(bytes, (byte)0), reader.ErrorOffset);
    }

    [Fact]
    public void Whitespace_before_the_colon_is_accepted_as_rfc_3261_hcolon_allows()
    {
        var reader = new SipMessageReader(SipMessages.Bytes("OPTIONS sip:a@b SIP/2.0\r\nMax-Forwards \t : 70\r\n\r\n"));
        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.True(reader.TryGetHeader("max-forwards"u8, out SipHeaderField field));
        Assert.Equal("Max-Forwards", Str(field.Name));
        Assert.Equal("70", Str(field.Value));
    }

    [Fact]
    public void Extension_methods_and_odd_uris_are_accepted()
    {
        var reader = new SipMessageReader(SipMessages.Bytes("!interesting-Method0123456789_*+`.%'~ sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com SIP/2.0\r\nl: 0\r\n\r\n"));
        Assert.Equal(SipParseStatus.Complete, reader.Status);
        Assert.Equal("!interesting-Method0123456789_*+`.%'~", Str(reader.Method));
    }

    [Fact]
    public void Line_longer_than_the_limit_is_refused_even_before_it_ends()
    {
        var limits = new SipReaderLimits { MaxLineLength = 64 };
        byte[] longLine = SipMessages.Bytes("INVITE sip:a@b SIP/2.0\r\nX-Long: " + new string('x', 100));
        var reader = new SipMessageReader(longLine, limits);
        Assert.Equal(SipParseStatus.LimitExceeded, reader.Status);
        Assert.Equal(SipParseError.LineTooLong, reader.Error);

        byte[] complete = SipMessages.Bytes("INVITE sip:a@b SIP/2.0\r\nX-Long: " + new string('x', 100) + "\r\n\r\n");
        Assert.Equal(SipParseError.LineTooLong, new SipMessageReader(complete, limits).Error);
    }

    [Fact]
    public void Too_many_headers_is_a_limit_not_a_hang()
    {
        var lines = Enumerable.Repeat("a: b", 1_000_000);
        byte[] bytes = SipMessages.Build("INVITE sip:a@b SIP/2.0", lines, []);
        var reader = new SipMessageReader(bytes);
        Assert.Equal(SipParseStatus.LimitExceeded, reader.Status);
        Assert.Equal(SipParseError.TooManyHeaders, reader.Error);

        var sectionLimited = new SipMessageReader(bytes, new SipReaderLimits { MaxHeaderCount = int.MaxValue });
        Assert.Equal(SipParseError.HeaderSectionTooLarge, sectionLimited.Error);
    }

    [Fact]
    public void Header_section_limit_applies_to_incomplete_input_too()
    {
        var limits = new SipReaderLimits { MaxHeaderSectionBytes = 100 };
        byte[] bytes = SipMessages.Bytes("INVITE sip:a@b SIP/2.0\r\n" + string.Concat(Enumerable.Repeat("Via: x\r\n", 20)));
        var reader = new SipMessageReader(bytes, limits);
        Assert.Equal(SipParseStatus.LimitExceeded, reader.Status);
        Assert.Equal(SipParseError.HeaderSectionTooLarge, reader.Error);

        byte[] blankLines = SipMessages.Bytes(string.Concat(Enumerable.Repeat("\r\n", 200)));
        Assert.Equal(SipParseError.HeaderSectionTooLarge, new SipMessageReader(blankLines, limits).Error);
    }

    [Fact]
    public void Body_limit_applies_to_content_length_and_to_unframed_bodies()
    {
        var limits = new SipReaderLimits { MaxBodyBytes = 10 };
        var framed = new SipMessageReader(SipMessages.Bytes("SIP/2.0 200 OK\r\nContent-Length: 11\r\n\r\n"), limits);
        Assert.Equal(SipParseStatus.LimitExceeded, framed.Status);
        Assert.Equal(SipParseError.BodyTooLarge, framed.Error);

        var unframed = new SipMessageReader(SipMessages.Bytes("SIP/2.0 200 OK\r\n\r\n0123456789A"), limits);
        Assert.Equal(SipParseError.BodyTooLarge, unframed.Error);

        var atLimit = new SipMessageReader(SipMessages.Bytes("SIP/2.0 200 OK\r\nContent-Length: 0010\r\n\r\n0123456789"), limits);
        Assert.Equal(SipParseStatus.Complete, atLimit.Status);
        Assert.Equal(10, atLimit.ContentLength);
    }

    [Fact]
    public void Default_limits_are_the_named_constants_and_reject_non_positive_values()
    {
        SipReaderLimits limits = default;
        Assert.Equal(SipReaderLimits.Default, limits);
        Assert.Equal(SipReaderLimits.DefaultMaxHeaderSectionBytes, limits.MaxHeaderSectionBytes);
        Assert.Equal(SipReaderLimits.DefaultMaxHeaderCount, limits.MaxHeaderCount);
        Assert.Equal(SipReaderLimits.DefaultMaxLineLength, limits.MaxLineLength);
        Assert.Equal(SipReaderLimits.DefaultMaxBodyBytes, limits.MaxBodyBytes);
        Assert.NotEqual(limits, new SipReaderLimits { MaxHeaderCount = 3 });
        Assert.True(limits == new SipReaderLimits { MaxHeaderCount = SipReaderLimits.DefaultMaxHeaderCount });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SipReaderLimits { MaxLineLength = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new SipReaderLimits { MaxBodyBytes = -1 });
    }

    [Fact]
    public void Default_reader_is_empty_and_safe()
    {
        SipMessageReader reader = default;
        Assert.Equal(SipParseStatus.Incomplete, reader.Status);
        Assert.Equal(SipParseError.IncompleteStartLine, reader.Error);
        Assert.False(reader.HeadersComplete);
        Assert.False(reader.TryGetHeader("Via"u8, out ReadOnlySpan<byte> _));
        Assert.False(reader.Headers.MoveNext());
        Assert.True(reader.StartLine.IsEmpty);
    }

    [Fact]
    public void Reading_looking_up_and_enumerating_allocate_nothing()
    {
        byte[] bytes = SipMessages.Bytes(SipMessages.TortuousInvite);
        int Work()
        {
            Span<byte> unfolded = stackalloc byte[256];
            var reader = new SipMessageReader(bytes);
            int total = reader.TryGetHeader("X-OTel-traceparent"u8, out ReadOnlySpan<byte> v) ? v.Length : 0;
            total += reader.TryGetHeader("v"u8, out SipHeaderField via) && via.TryCopyUnfoldedValue(unfolded, out int n) ? n : 0;
            foreach (SipHeaderField field in reader.Headers)
            {
                total += field.Value.Length + (int)field.KnownHeader;
            }

            return total;
        }

        Work();
        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 100; i++)
            {
                Work();
            }
        });
    }
}
