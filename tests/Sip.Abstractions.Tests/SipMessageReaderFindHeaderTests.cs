using System.Text;

namespace SipTraceContext.Sip.Tests;

/// <summary>The fast single-header lookup on raw bytes (<see cref="SipMessageReader.TryFindHeader(ReadOnlySpan{byte}, ReadOnlySpan{byte}, out SipHeaderField)"/>).</summary>
public sealed class SipMessageReaderFindHeaderTests
{
    private static string? Find(byte[] message, string name) =>
        SipMessageReader.TryFindHeader(message, Encoding.ASCII.GetBytes(name), out SipHeaderField field)
            ? Encoding.UTF8.GetString(field.Value)
            : null;

    private delegate bool Finder(ReadOnlySpan<byte> message, ReadOnlySpan<byte> name, out SipHeaderField field);

    // Every vector width of the lookup, whatever this machine accelerates.
    private static readonly Finder[] Widths =
    [
#if LIBRARY_NETSTANDARD2_0
        // The netstandard2.0 build has one scalar finder and no vector widths.
        Internal.HeaderFieldFinder.TryFind,
#else
        Internal.HeaderFieldFinder.TryFind<Internal.HeaderFieldFinder.Block512>,
        Internal.HeaderFieldFinder.TryFind<Internal.HeaderFieldFinder.Block256>,
        Internal.HeaderFieldFinder.TryFind<Internal.HeaderFieldFinder.Block128>,
#endif
    ];

    private static byte[] Message(string lineEnd, params string[] headers) =>
        SipMessages.Build("INVITE sip:bob@example.com SIP/2.0", headers, "v=0\r\n"u8, lineEnd);

    [Theory]
    [InlineData("Call-ID")]
    [InlineData("call-id")]
    [InlineData("CALL-ID")]
    [InlineData("i")]
    [InlineData("I")]
    public void Long_and_compact_forms_find_each_other_in_any_case(string name)
    {
        Assert.Equal("abc@host", Find(Message("\r\n", "Via: SIP/2.0/UDP h;branch=z9hG4bK1", "i: abc@host"), name));
        Assert.Equal("abc@host", Find(Message("\r\n", "Via: SIP/2.0/UDP h;branch=z9hG4bK1", "Call-Id: abc@host"), name));
    }

    [Fact]
    public void The_first_instance_is_found_and_its_value_is_trimmed()
    {
        byte[] message = Message("\r\n", "Via: first", "Max-Forwards: 70", "v:   second  ");
        Assert.Equal("first", Find(message, "Via"));
        Assert.Equal("70", Find(message, "Max-Forwards"));
    }

    [Fact]
    public void A_header_line_in_the_body_is_not_a_header()
    {
        byte[] message = SipMessages.Build("INVITE sip:bob@example.com SIP/2.0", ["Content-Type: message/sipfrag"], "X-OTel-traceparent: in-the-body\r\n"u8);
        Assert.Null(Find(message, "X-OTel-traceparent"));
    }

    [Fact]
    public void Folded_values_and_whitespace_before_the_colon_are_read_as_the_reader_reads_them()
    {
        byte[] message = Message("\r\n", "Subject : first part", "\t second part", "To: <sip:bob@example.com>");
        Assert.True(SipMessageReader.TryFindHeader(message, "s"u8, out SipHeaderField field));
        Assert.True(field.IsFolded);
        Assert.True(new SipMessageReader(message).TryGetHeader("Subject"u8, out SipHeaderField expected));
        Assert.Equal(expected.Offset, field.Offset);
        Assert.Equal(expected.Length, field.Length);
        Assert.Equal(Encoding.UTF8.GetString(expected.Value), Encoding.UTF8.GetString(field.Value));
    }

    [Fact]
    public void Bare_line_feeds_and_blank_lines_before_the_start_line_are_accepted()
    {
        byte[] message = [.. "\r\n\r\n"u8, .. Message("\n", "Via: SIP/2.0/UDP h", "CSeq: 1 INVITE")];
        Assert.Equal("1 INVITE", Find(message, "CSeq"));
        Assert.Equal("SIP/2.0/UDP h", Find(message, "v"));
    }

    [Fact]
    public void A_name_that_only_starts_like_the_header_does_not_match()
    {
        byte[] message = Message("\r\n", "Via-Extra: no", "Viax: no", "X-OTel-traceparentx: no");
        Assert.Null(Find(message, "Via"));
        Assert.Null(Find(message, "X-OTel-traceparent"));
    }

    [Fact]
    public void A_line_is_found_only_once_the_byte_after_it_has_arrived()
    {
        byte[] whole = Message("\r\n", "Subject: one", "Max-Forwards: 70");
        int lineEnd = Encoding.ASCII.GetString(whole).IndexOf("Max-Forwards", StringComparison.Ordinal);
        Assert.False(SipMessageReader.TryFindHeader(whole.AsSpan(0, lineEnd), "Subject"u8, out _));
        Assert.True(SipMessageReader.TryFindHeader(whole.AsSpan(0, lineEnd + 1), "Subject"u8, out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("INVITE sip:a@b SIP/2.0")]
    [InlineData("\r\n\r\n")]
    [InlineData("INVITE sip:a@b SIP/2.0\r\n\r\nVia: x\r\n\r\n")]
    public void Degenerate_inputs_find_nothing(string text)
    {
        Assert.Null(Find(Encoding.ASCII.GetBytes(text), "Via"));
        Assert.False(SipMessageReader.TryFindHeader(Encoding.ASCII.GetBytes(text), ReadOnlySpan<byte>.Empty, out _));
    }

    [Fact]
    public void Known_header_overload_matches_the_name_overload()
    {
        byte[] message = Message("\r\n", "f: <sip:alice@example.com>;tag=1");
        Assert.True(SipMessageReader.TryFindHeader(message, KnownSipHeader.From, out SipHeaderField field));
        Assert.Equal("<sip:alice@example.com>;tag=1", Encoding.UTF8.GetString(field.Value));
        Assert.False(SipMessageReader.TryFindHeader(message, KnownSipHeader.Unknown, out _));
    }

    [Fact]
    public void Long_headers_near_the_end_of_a_large_message_are_found_across_vector_blocks()
    {
        for (int padding = 0; padding < 140; padding++)
        {
            byte[] message = Message("\r\n", "X-Pad: " + new string('a', padding), "X-OTel-traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
            Assert.Equal("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", Find(message, "x-otel-TRACEPARENT"));
        }
    }

    /// <summary>
    /// The fuzzer's denial-of-service shape: one field folded over thousands of tab-started lines, each
    /// a candidate for <c>Call-ID</c> (a control byte after the line feed, a <c>d</c> seven bytes on).
    /// Every known header, long and compact, at every vector width, finds what the reader finds.
    /// </summary>
    [Fact]
    public void Thousands_of_tab_folded_continuation_lines_are_walked_once_and_the_field_after_them_is_found()
    {
        var text = new StringBuilder("INVITE sip:bob@example.com SIP/2.0\r\nSubject: s");
        for (int i = 0; i < 7000; i++)
        {
            text.Append("\r\n\tabcded");
        }

        text.Append("\r\nCall-ID: c\r\n\r\n");
        byte[] message = Encoding.ASCII.GetBytes(text.ToString());
        var reader = new SipMessageReader(message);
        Assert.Equal(SipParseStatus.Complete, reader.Status);

        Assert.Equal("c", Find(message, "Call-ID"));
        Assert.Equal("c", Find(message, "i"));
        Assert.True(SipMessageReader.TryFindHeader(message, "Subject"u8, out SipHeaderField subject));
        Assert.True(subject.IsFolded);
        Assert.Equal(message.Length - "Call-ID: c\r\n\r\n".Length, subject.Offset + subject.Length);

        foreach (KnownSipHeader header in Enum.GetValues<KnownSipHeader>())
        {
            ReadOnlySpan<byte> longName = SipHeaderNames.GetNameUtf8(header);
            byte compact = SipHeaderNames.GetCompactForm(header);
            foreach (byte[] name in compact == 0 ? [longName.ToArray()] : new[] { longName.ToArray(), [compact] })
            {
                if (name.Length == 0)
                {
                    continue;
                }

                bool expected = reader.TryGetHeader(name, out SipHeaderField byReader);
                foreach (Finder find in Widths)
                {
                    Assert.Equal(expected, find(message, name, out SipHeaderField found));
                    Assert.Equal((byReader.Offset, byReader.Length), (found.Offset, found.Length));
                }
            }
        }
    }

    [Theory]
    [InlineData(" Via")]
    [InlineData("\tVia")]
    [InlineData(" ")]
    public void A_name_starting_with_whitespace_finds_no_continuation_line_as_the_reader_finds_none(string name)
    {
        byte[] message = Message("\r\n", "Subject: a", " Via: x", "\tVia: y", "To: <sip:bob@example.com>");
        Assert.False(new SipMessageReader(message).TryGetHeader(Encoding.ASCII.GetBytes(name), out SipHeaderField _));
        Assert.Null(Find(message, name));
    }
}
