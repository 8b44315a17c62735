using System.Diagnostics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Propagation.Internal;
using SipTraceContext.Sip;

namespace SipTraceContext.Propagation.Tests;

/// <summary>
/// The raw propagator against <see cref="SipMessageReader"/> on the same bytes (SPEC §7): for messages
/// with leading blank lines, every mix of line endings per line, folding and whitespace-only
/// continuation lines, bare CR, NUL and other controls, more trace lines than the scanner keeps, body
/// text that looks like headers and every kind of Content-Length, the scanner's view (start line,
/// header section, trace header lines, body) is the reader's, or the raw API refuses the message.
/// </summary>
/// <remarks>
/// The scan-level properties run 35,000 messages on each vector width (105,000 a run); the API-level
/// ones compare what extract, inject and strip produce with what the reader reads in their input and output.
/// </remarks>
public sealed class ReaderAgreementProperties
{
    private const string Tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    private const string OtherTp = "00-deaddeaddeaddeaddeaddeaddeaddead-badc0ffee0ddf00d-01";
    private const int ScanCases = 35_000;

    private static readonly TraceHeaderSet s_headers = new(new SipPropagationOptions());
    private static readonly SipRawPropagator s_propagator = new();

    private static Gen<string> TraceLines =>
        from prefix in Gen.Elements("X-OTel-", "P-OTel-", "x-otel-", "p-OTEL-", "OTel-", "X-", "", "Y-")
        from fieldName in Gen.Elements("traceparent", "TraceParent", "tracestate", "Tracestate", "baggage")
        from colon in Gen.Elements(":", ":", " :", "\t:")
        from value in Gen.Elements(" " + Tp, " " + Tp, " " + OtherTp, " 00-bad", " a=1", " b=2,c=3", "", " " + Tp + " ", "\t" + Tp)
        select prefix + fieldName + colon + value;

    private static Gen<string> OtherLines =>
        Gen.Elements(
            "Via: SIP/2.0/UDP a.example.com;branch=z9hG4bK1",
            "Subject: trace me",
            "Call-ID: c1@example.com",
            "To: <sip:tate@example.com>",
            "Max-Forwards: 70",
            "v: SIP/2.0/UDP b.example.com;branch=z9hG4bK2",
            "X-Pad: " + new string('a', 70),
            "Accept-Contact: *;+sip.instance",
            "e: tar",
            "X-A:1");

    // What the reader rejects, or what reads differently by another convention.
    private static Gen<string> HostileLines =>
        Gen.Elements(
            "Bad Name: x",
            ": no name",
            "NoColon",
            "X-Nul: a\0b",
            "X-Ctl: a\u0001b",
            "X-Del: a\u007fb",
            "P-OTel-Traceparent\0: " + Tp,
            "X-Cr: a\rP-OTel-Traceparent: " + OtherTp,
            "Content-Length: 1x",
            "content-LENGTH\t: 0",
            "L : 3",
            "Content-Length :",
            " P-OTel-Traceparent: " + OtherTp);

    private static Gen<string> Continuations => Gen.Elements(" continued", "\t", " ", "\t ", " \t", "  more text");

    private static Gen<string> StartLines(bool hostile) =>
        hostile
            ? Gen.Elements("X", "A b", "INVITE  sip:b@x SIP/2.0", "traceparent: v", "SIP/2.0 700 Bad", "INVITE sip:b@x SIP/2", " INVITE sip:b@x SIP/2.0")
            : Gen.Elements("INVITE sip:bob@example.com SIP/2.0", "BYE sip:b@x SIP/2.0", "SIP/2.0 200 OK", "SIP/2.0 180", "INVITE sip:X-OTel-traceparent@example.com SIP/2.0");

    private sealed record Line(string Text, string Continuation, string Terminator, string ContinuationTerminator);

    private sealed record Shape(byte[] Message);

    private static Gen<string> Terminators(bool mixed, string usual) =>
        mixed ? Gen.Elements("\r\n", "\r\n", "\n", "\n", "\r") : Gen.Constant(usual);

    private static Gen<Shape> Messages =>
        from mixed in Gen.Elements(false, false, true)
        from hostile in Gen.Elements(false, false, false, true)
        from usual in Gen.Elements("\r\n", "\r\n", "\n")
        from leading in Gen.Elements("", "", "", "\r\n", "\r\n\r\n", "\n", "\n\r\n", hostile ? "\r" : "")
        from startLine in StartLines(hostile && mixed)
        from startTerminator in Gen.Constant(usual)
        from count in Gen.Choose(0, 22)
        from lines in Gen.ArrayOf(
            from text in Gen.Frequency(
                (6, TraceLines),
                (4, OtherLines),
                (hostile ? 2 : 0, HostileLines))
            from folded in Gen.Elements(false, false, false, false, true)
            from continuation in folded ? Continuations : Gen.Constant("")
            from terminator in Terminators(mixed, usual)
            from continuationTerminator in Terminators(mixed, usual)
            select new Line(text, continuation, terminator, continuationTerminator),
            count)
        from emptyLine in Terminators(mixed, usual)
        from body in Gen.Elements("", "", "v=0\r\n", "X-OTel-traceparent: " + OtherTp + "\r\n", "P-OTel-Traceparent: x\r\n\r\nINVITE sip:x SIP/2.0\r\n")
        from contentLength in Gen.Elements("none", "exact", "exact", "compact", "more", "less", "twice")
        from cut in Gen.Elements(0, 0, 0, 0, 0, 1, 2, 7)
        select Build(leading, startLine + startTerminator, lines, emptyLine, body, contentLength, cut);

    private static Shape Build(string leading, string startLine, Line[] lines, string emptyLine, string body, string contentLength, int cut)
    {
        var text = new StringBuilder(leading).Append(startLine);
        foreach (Line line in lines)
        {
            text.Append(line.Text).Append(line.Terminator);
            if (line.Continuation.Length > 0)
            {
                text.Append(line.Continuation).Append(line.ContinuationTerminator);
            }
        }

        string terminator = lines.Length > 0 ? lines[^1].Terminator : emptyLine;
        int length = Encoding.UTF8.GetByteCount(body);
        switch (contentLength)
        {
            case "exact": text.Append("Content-Length: ").Append(length).Append(terminator); break;
            case "compact": text.Append("l:").Append(length).Append(terminator); break;
            case "more": text.Append("Content-Length: ").Append(length + 5).Append(terminator); break;
            case "less" when length > 0: text.Append("Content-Length: ").Append(length - 1).Append(terminator); break;
            case "twice": text.Append("Content-Length: ").Append(length).Append(terminator).Append("l: ").Append(length).Append(terminator); break;
        }

        text.Append(emptyLine).Append(body);
        byte[] message = Encoding.UTF8.GetBytes(text.ToString());
        return new Shape(message.AsSpan(0, Math.Max(0, message.Length - cut)).ToArray());
    }

    [Property(MaxTest = ScanCases)]
    public Property The_raw_scan_frames_every_message_as_the_reader_does_or_refuses_it() =>
        Prop.ForAll(Messages.ToArbitrary(), s => ScanAgrees(s.Message));

    [Property(MaxTest = 10_000)]
    public Property Extract_reads_what_the_reader_reads_or_nothing() =>
        Prop.ForAll(Messages.ToArbitrary(), s => ExtractAgrees(s.Message));

    [Property(MaxTest = 10_000)]
    public Property Inject_writes_a_message_the_reader_reads_with_only_the_new_trace_headers() =>
        Prop.ForAll(Messages.ToArbitrary(), s => InjectAgrees(s.Message));

    [Property(MaxTest = 10_000)]
    public Property Strip_leaves_no_trace_header_the_reader_can_see() =>
        Prop.ForAll(Messages.ToArbitrary(), s => StripAgrees(s.Message));

    [Property(MaxTest = 20_000)]
    public Property A_read_message_is_scanned_as_the_reader_read_it_or_refused() =>
        Prop.ForAll(Messages.ToArbitrary(), s => ReadScanAgrees(s.Message));

    [Property(MaxTest = 10_000)]
    public Property Extract_from_a_reader_reads_what_the_reader_reads_or_nothing() =>
        Prop.ForAll(Messages.ToArbitrary(), s =>
        {
            var reader = new SipMessageReader(s.Message);
            bool ok = s_propagator.TryExtract(in reader, out ActivityContext context);
            bool raw = s_propagator.TryExtract(s.Message, out ActivityContext fromBytes);
            if (ExpectedFraming(s.Message) != MessageFraming.Refused && (ok != raw || context != fromBytes || context.TraceState != fromBytes.TraceState))
            {
                throw new InvalidOperationException($"reader extract {ok}, byte extract {raw}: {Printable(s.Message)}");
            }

            if (!ok)
            {
                return true;
            }

            bool expectedOk = s_propagator.TryExtract(Canonical(reader), out ActivityContext expected);
            return expectedOk && context == expected && context.TraceState == expected.TraceState
                ? true
                : throw new InvalidOperationException($"reader extract differs from the reader's reading: {Printable(s.Message)}");
        });

    // The fuzzing campaign's examples, one by one.
    [Fact]
    public void Leading_blank_lines_are_skipped_as_the_reader_skips_them()
    {
        byte[] message = Ascii($"\r\n\r\nBYE sip:b@x SIP/2.0\r\nP-OTel-Traceparent: {OtherTp}\r\n\r\n");
        Assert.True(s_propagator.TryExtract(message, out ActivityContext extracted));
        Assert.Equal("deaddeaddeaddeaddeaddeaddeaddead", extracted.TraceId.ToHexString());

        byte[] stripped = new byte[message.Length];
        Assert.True(s_propagator.TryStrip(message, SipTraceHeaderScope.All, stripped, out int length));
        var reader = new SipMessageReader(stripped.AsSpan(0, length));
        Assert.True(reader.IsComplete);
        Assert.Equal(0, reader.CountHeaders("P-OTel-Traceparent"u8));

        byte[] injected = new byte[message.Length + s_propagator.MaxAddedBytes];
        Assert.True(s_propagator.TryInject(message, Context(), injected, out length));
        Assert.True(InjectAgrees(message));
        reader = new SipMessageReader(injected.AsSpan(0, length));
        Assert.True(reader.IsComplete);
        Assert.Equal("BYE"u8.ToArray(), reader.Method.ToArray());
        Assert.Equal(0, reader.CountHeaders("P-OTel-Traceparent"u8));
        Assert.Equal(1, reader.CountHeaders("X-OTel-traceparent"u8));
    }

    [Fact]
    public void A_bare_lf_header_section_end_inside_a_crlf_message_is_refused_not_read_from_the_body()
    {
        // For the reader: one "l: 79" header and a 79-byte body that holds the trace header.
        byte[] message = Ascii($"BYE sip:b@x SIP/2.0\r\nl: 79\n\nX-OTel-traceparent: {OtherTp}\r\n\r\n");
        Assert.Equal(79, new SipMessageReader(message).ContentLength);
        Assert.False(s_propagator.TryExtract(message, out ActivityContext _));
        Assert.False(s_propagator.TryInject(message, Context(), new byte[message.Length + s_propagator.MaxAddedBytes], out _));
        Assert.False(s_propagator.TryStrip(message, SipTraceHeaderScope.All, new byte[message.Length], out _));
    }

    [Fact]
    public void An_lf_start_line_with_crlf_headers_is_refused()
    {
        byte[] message = Ascii($"BYE sip:b@x SIP/2.0\nP-OTel-Traceparent: {OtherTp}\r\n\r\n");
        Assert.True(new SipMessageReader(message).IsComplete);
        Assert.False(s_propagator.TryExtract(message, out ActivityContext _));
        Assert.False(s_propagator.TryStrip(message, SipTraceHeaderScope.All, new byte[message.Length], out _));
    }

    [Fact]
    public void A_whitespace_only_continuation_line_after_a_traceparent_keeps_it_valid()
    {
        byte[] message = Ascii($"BYE sip:b@x SIP/2.0\r\nX-OTel-traceparent: {Tp}\r\n\t\r\nP-OTel-Traceparent: {OtherTp}\r\n\r\n");
        var reader = new SipMessageReader(message);
        Assert.True(reader.TryGetHeader("X-OTel-traceparent"u8, out ReadOnlySpan<byte> value));
        Assert.Equal(Tp, Encoding.ASCII.GetString(value));

        // The primary style's traceparent wins, as it does for the reader's carrier.
        Assert.True(s_propagator.TryExtract(message, out ActivityContext extracted));
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", extracted.TraceId.ToHexString());
        Assert.True(ExtractAgrees(message));
    }

    [Fact]
    public void A_bare_cr_before_a_trace_header_is_refused_by_every_raw_api()
    {
        byte[] message = Ascii($"BYE sip:b@x SIP/2.0\r\nSubject: a\rP-OTel-Traceparent: {OtherTp}\r\n\r\n");
        Assert.Equal(SipParseStatus.Malformed, new SipMessageReader(message).Status);
        Assert.False(s_propagator.TryExtract(message, out ActivityContext _));
        Assert.False(s_propagator.TryInject(message, Context(), new byte[message.Length + s_propagator.MaxAddedBytes], out _));
        Assert.False(s_propagator.TryStrip(message, SipTraceHeaderScope.All, new byte[message.Length], out _));
    }

    [Theory]
    [InlineData("BYE sip:b@x SIP/2.0\r\nX-Nul: a\0b\r\nP-OTel-Traceparent: " + OtherTp + "\r\n\r\n")]
    [InlineData("X\r\nP-OTel-Traceparent: " + OtherTp + "\r\n\r\n")]
    [InlineData("BYE sip:b@x SIP/2.0\r\n P-OTel-Traceparent: " + OtherTp + "\r\n\r\n")]
    [InlineData("BYE sip:b@x SIP/2.0\r\nBad Name: x\r\nP-OTel-Traceparent: " + OtherTp + "\r\n\r\n")]
    [InlineData("BYE sip:b@x SIP/2.0\r\nContent-Length: 0\r\nl: 0\r\nP-OTel-Traceparent: " + OtherTp + "\r\n\r\n")]
    public void What_the_reader_rejects_every_raw_api_refuses(string text)
    {
        byte[] message = Ascii(text);
        Assert.NotEqual(SipParseStatus.Complete, new SipMessageReader(message).Status);
        Assert.False(s_propagator.TryExtract(message, out ActivityContext _));
        Assert.False(s_propagator.TryInject(message, Context(), new byte[message.Length + s_propagator.MaxAddedBytes], out _));
        Assert.False(s_propagator.TryStrip(message, SipTraceHeaderScope.All, new byte[message.Length], out _));
    }

    [Fact]
    public void Bytes_after_the_content_length_body_are_never_rewritten()
    {
        // A datagram with a second message after the first one's body: forwarded over a stream, the
        // second message would keep its trace header after a "successful" strip.
        byte[] message = Ascii($"BYE sip:b@x SIP/2.0\r\nContent-Length: 0\r\n\r\nBYE sip:b@x SIP/2.0\r\nP-OTel-Traceparent: {OtherTp}\r\n\r\n");
        Assert.True(new SipMessageReader(message).MessageLength < message.Length);
        Assert.False(s_propagator.TryStrip(message, SipTraceHeaderScope.All, new byte[message.Length], out _));
        Assert.False(s_propagator.TryInject(message, Context(), new byte[message.Length + s_propagator.MaxAddedBytes], out _));
        Assert.False(s_propagator.TryExtract(message, out ActivityContext _));
    }

    [Fact]
    public void Seventeen_trace_headers_are_refused_by_strip_and_inject()
    {
        var text = new StringBuilder("INVITE sip:b@x SIP/2.0\r\n");
        for (int i = 0; i < 17; i++)
        {
            text.Append("P-OTel-Traceparent: ").Append(OtherTp).Append("\r\n");
        }

        byte[] message = Ascii(text.Append("\r\n").ToString());
        Assert.True(new SipMessageReader(message).IsComplete);
        Assert.False(s_propagator.TryStrip(message, SipTraceHeaderScope.All, new byte[message.Length], out _));
        Assert.False(s_propagator.TryInject(message, Context(), new byte[message.Length + s_propagator.MaxAddedBytes], out _));
    }

    // The reader's limits, where a message the reader refuses must be refused by every raw API.
    [Theory]
    [InlineData("line", 8 * 1024)]
    [InlineData("line", (8 * 1024) + 1)]
    [InlineData("start line", 8 * 1024)]
    [InlineData("start line", (8 * 1024) + 1)]
    [InlineData("headers", 512)]
    [InlineData("headers", 513)]
    [InlineData("folded headers", 512)]
    [InlineData("folded headers", 513)]
    [InlineData("section", 64 * 1024)]
    [InlineData("names", 0)]
    public void Limits_and_block_edges_are_framed_as_the_reader_frames_them(string shape, int size)
    {
        foreach (string ending in new[] { "\r\n", "\n" })
        {
            var text = new StringBuilder();
            switch (shape)
            {
                case "line":
                    // The line's content is size bytes long.
                    text.Append("BYE sip:b@x SIP/2.0").Append(ending).Append("X-Long: ").Append('a', size - 8).Append(ending);
                    break;
                case "start line":
                    text.Append("BYE sip:").Append('b', size - 16).Append(" SIP/2.0").Append(ending);
                    break;
                case "headers":
                case "folded headers":
                    text.Append("BYE sip:b@x SIP/2.0").Append(ending);
                    // size header lines with the trace header after them.
                    for (int i = 1; i < size; i++)
                    {
                        text.Append("X-H").Append(i).Append(": v").Append(ending);
                        if (shape == "folded headers")
                        {
                            text.Append(" more").Append(ending);
                        }
                    }

                    break;
                case "section":
                    // Lines of 100 bytes up to the section's limit, give or take a line.
                    text.Append("BYE sip:b@x SIP/2.0").Append(ending);
                    while (text.Length < size - 100)
                    {
                        text.Append("X-Pad: ").Append('p', 100 - 7 - ending.Length).Append(ending);
                    }

                    text.Append("X-Pad: ").Append('p', Math.Max(0, size - text.Length - 7 - (2 * ending.Length))).Append(ending);
                    break;
                case "names":
                    // Names of every length up to 80 (Content-Length's 14 among them, in other cases), at
                    // every offset in a block, some with whitespace before the colon.
                    text.Append("BYE sip:b@x SIP/2.0").Append(ending);
                    for (int length = 1; length <= 80; length++)
                    {
                        string name = length == 14 ? "Accept-Contact" : new string('n', length);
                        text.Append(name).Append(length % 3 == 0 ? " :" : ":").Append(' ', length % 5).Append('v').Append(ending);
                    }

                    text.Append("content-LENGTH\t: 0").Append(ending);
                    break;
            }

            text.Append("X-OTel-traceparent: ").Append(Tp).Append(ending).Append(ending);
            byte[] message = Ascii(text.ToString());
            byte[] cut = message.AsSpan(0, message.Length - 1).ToArray();
            Assert.True(ScanAgrees(message));
            Assert.True(ScanAgrees(cut));
        }
    }

    private static byte[] Ascii(string text) => Encoding.ASCII.GetBytes(text);

    private static ActivityContext Context() =>
        new(ActivityTraceId.CreateFromString("4bf92f3577b34da6a3ce929d0e0e4736"), ActivitySpanId.CreateFromString("00f067aa0ba902b7"), ActivityTraceFlags.Recorded, "rojo=00f067aa0ba902b7");

    /// <summary>What the raw APIs must say of a message, from the reader's reading of it.</summary>
    private static MessageFraming ExpectedFraming(byte[] message)
    {
        var reader = new SipMessageReader(message);
        if (!reader.HeadersComplete || reader.Status is SipParseStatus.Malformed or SipParseStatus.LimitExceeded)
        {
            return MessageFraming.Refused;
        }

        // Refused on purpose, although the reader reads them: a mix of line endings, and more trace
        // header lines than the raw APIs keep.
        if (!LineEndingsAgree(message, reader) || ReaderTraceLines(reader).Count > TraceHeaderFinder.MaxTraceHeaders)
        {
            return MessageFraming.Refused;
        }

        return reader.IsComplete && reader.MessageLength == message.Length ? MessageFraming.WholeMessage : MessageFraming.HeaderSection;
    }

    private static bool LineEndingsAgree(byte[] message, SipMessageReader reader)
    {
        // Blank lines before the start line hold no start line.
        int start = message.AsSpan().IndexOf(reader.StartLine);
        int startLineEnd = Array.IndexOf(message, (byte)'\n', start);
        bool crlf = message[startLineEnd - 1] == '\r';
        for (int i = start; i < reader.BodyOffset; i++)
        {
            if (message[i] == '\n' && (message[i - 1] == '\r') != crlf)
            {
                return false;
            }
        }

        return true;
    }

    private static List<(int Offset, TraceField Field, int Prefix)> ReaderTraceLines(SipMessageReader reader)
    {
        var found = new List<(int, TraceField, int)>();
        foreach (SipHeaderField field in reader.Headers)
        {
            string name = Encoding.ASCII.GetString(field.Name).ToLowerInvariant();
            for (int p = 0; p < s_headers.ExtractPrefixesLower.Length; p++)
            {
                string prefix = Encoding.ASCII.GetString(s_headers.ExtractPrefixesLower[p]);
                if (name == prefix + "traceparent" || name == prefix + "tracestate")
                {
                    found.Add((field.Offset, name.EndsWith("parent", StringComparison.Ordinal) ? TraceField.TraceParent : TraceField.TraceState, p));
                    break;
                }
            }
        }

        return found;
    }

    private static bool ScanAgrees(byte[] message)
    {
        var lines = new TraceHeaderLine[TraceHeaderFinder.MaxTraceHeaders];
        MessageFraming framing = TraceHeaderFinder.ScanRaw(message, s_headers.ExtractPrefixesLower, lines, out int count, out int headersEnd, out _);
        MessageFraming expected = ExpectedFraming(message);
        if (framing != expected)
        {
            throw new InvalidOperationException($"framing {framing}, expected {expected}: {Printable(message)}");
        }

        if (framing == MessageFraming.Refused)
        {
            return true;
        }

        var reader = new SipMessageReader(message);
        return headersEnd == reader.HeadersEnd && SameLines(ReaderTraceLines(reader), lines, count)
            ? true
            : throw new InvalidOperationException($"different lines: {Printable(message)}");
    }

    private static bool ReadScanAgrees(byte[] message)
    {
        var reader = new SipMessageReader(message);
        var lines = new TraceHeaderLine[TraceHeaderFinder.MaxTraceHeaders];
        MessageFraming framing = TraceHeaderFinder.Frame(in reader);
        if (framing == MessageFraming.Refused)
        {
            // Refused only where the reader rejects the message, and then the raw APIs refuse it too.
            return ExpectedFraming(message) == MessageFraming.Refused ? true : throw new InvalidOperationException($"read message refused: {Printable(message)}");
        }

        List<(int Offset, TraceField Field, int Prefix)> expectedLines = ReaderTraceLines(reader);
        bool found = TraceHeaderFinder.TryFind(in reader, s_headers.ExtractPrefixesLower, lines, out int count);
        MessageFraming expected = reader.IsComplete && reader.MessageLength == message.Length ? MessageFraming.WholeMessage : MessageFraming.HeaderSection;
        bool same = framing == expected
            && found == (expectedLines.Count <= TraceHeaderFinder.MaxTraceHeaders)
            && (!found || SameLines(expectedLines, lines, count));
        return same ? true : throw new InvalidOperationException($"read message found differently from the reader: {Printable(message)}");
    }

    private static bool SameLines(List<(int Offset, TraceField Field, int Prefix)> expected, TraceHeaderLine[] lines, int count) =>
        count == expected.Count
        && expected.Select((l, i) => l.Offset == lines[i].LineStart && l.Field == lines[i].Field && l.Prefix == lines[i].PrefixIndex).All(x => x);

    /// <summary>The message as the reader reads it, written out plainly: CRLF, one line a field, unfolded.</summary>
    private static byte[] Canonical(SipMessageReader reader)
    {
        var bytes = new List<byte>();
        bytes.AddRange(reader.StartLine.ToArray());
        bytes.AddRange("\r\n"u8.ToArray());
        foreach (SipHeaderField field in reader.Headers)
        {
            byte[] value = new byte[field.UnfoldedValueLength];
            field.TryCopyUnfoldedValue(value, out _);
            bytes.AddRange(field.Name.ToArray());
            bytes.AddRange(": "u8.ToArray());
            bytes.AddRange(value);
            bytes.AddRange("\r\n"u8.ToArray());
        }

        bytes.AddRange("\r\n"u8.ToArray());
        bytes.AddRange(reader.Body.ToArray());
        return [.. bytes];
    }

    private static bool ExtractAgrees(byte[] message)
    {
        bool ok = s_propagator.TryExtract(message, out ActivityContext context);
        bool tpOk = s_propagator.TryExtract(message, out TraceParent traceParent);
        MessageFraming framing = ExpectedFraming(message);
        if (framing == MessageFraming.Refused)
        {
            return !ok && !tpOk;
        }

        byte[] canonical = Canonical(new SipMessageReader(message));
        bool expectedOk = s_propagator.TryExtract(canonical, out ActivityContext expected);
        s_propagator.TryExtract(canonical, out TraceParent expectedTraceParent);
        return ok == expectedOk && tpOk == expectedOk && context == expected && context.TraceState == expected.TraceState
            && traceParent == expectedTraceParent
            ? true
            : throw new InvalidOperationException($"extract {ok}/{context.TraceId}, canonical {expectedOk}/{expected.TraceId}: {Printable(message)}");
    }

    private static bool InjectAgrees(byte[] message)
    {
        ActivityContext context = Context();
        byte[] output = new byte[message.Length + s_propagator.MaxAddedBytes];
        bool ok = s_propagator.TryInject(message, context, output, out int length);
        if (ExpectedFraming(message) != MessageFraming.WholeMessage)
        {
            return !ok ? true : throw new InvalidOperationException($"inject accepted: {Printable(message)}");
        }

        if (!ok)
        {
            throw new InvalidOperationException($"inject refused: {Printable(message)}");
        }

        var before = new SipMessageReader(message);
        var after = new SipMessageReader(output.AsSpan(0, length));
        var kept = Fields(before).Where(f => !IsTraceName(f.Name, baggage: false)).ToList();
        var written = Fields(after).ToList();
        var expectedNew = new List<(string, string)> { ("X-OTel-traceparent", $"00-{context.TraceId.ToHexString()}-{context.SpanId.ToHexString()}-01") };
        if (!string.IsNullOrEmpty(context.TraceState))
        {
            expectedNew.Add(("X-OTel-tracestate", context.TraceState));
        }

        return after.IsComplete && after.MessageLength == length
            && after.StartLine.SequenceEqual(before.StartLine)
            && after.Body.SequenceEqual(before.Body)
            && written.Where(f => !IsTraceName(f.Name, baggage: false)).SequenceEqual(kept)
            && written.Where(f => IsTraceName(f.Name, baggage: false)).SequenceEqual(expectedNew)
            ? true
            : throw new InvalidOperationException($"inject output differs: {Printable(message)} -> {Printable(output.AsSpan(0, length).ToArray())}");
    }

    private static bool StripAgrees(byte[] message)
    {
        byte[] output = new byte[message.Length];
        bool ok = s_propagator.TryStrip(message, SipTraceHeaderScope.All, output, out int length);
        if (ExpectedFraming(message) != MessageFraming.WholeMessage)
        {
            return !ok ? true : throw new InvalidOperationException($"strip accepted: {Printable(message)}");
        }

        if (!ok)
        {
            throw new InvalidOperationException($"strip refused: {Printable(message)}");
        }

        var before = new SipMessageReader(message);
        var after = new SipMessageReader(output.AsSpan(0, length));
        return after.IsComplete && after.MessageLength == length
            && after.StartLine.SequenceEqual(before.StartLine)
            && after.Body.SequenceEqual(before.Body)
            && Fields(after).SequenceEqual(Fields(before).Where(f => !IsTraceName(f.Name, baggage: true)))
            ? true
            : throw new InvalidOperationException($"strip output differs: {Printable(message)} -> {Printable(output.AsSpan(0, length).ToArray())}");
    }

    private static List<(string Name, string Value)> Fields(SipMessageReader reader)
    {
        var fields = new List<(string, string)>();
        foreach (SipHeaderField field in reader.Headers)
        {
            byte[] value = new byte[field.UnfoldedValueLength];
            field.TryCopyUnfoldedValue(value, out _);
            fields.Add((Encoding.ASCII.GetString(field.Name), Encoding.ASCII.GetString(value)));
        }

        return fields;
    }

    private static bool IsTraceName(string name, bool baggage)
    {
        string lower = name.ToLowerInvariant();
        foreach (byte[] prefix in s_headers.ExtractPrefixesLower)
        {
            string p = Encoding.ASCII.GetString(prefix);
            if (lower == p + "traceparent" || lower == p + "tracestate" || (baggage && lower == p + "baggage"))
            {
                return true;
            }
        }

        return false;
    }

    private static string Printable(byte[] message) =>
        Encoding.ASCII.GetString(message).Replace("\r", "\\r", StringComparison.Ordinal).Replace("\n", "\\n", StringComparison.Ordinal).Replace("\0", "\\0", StringComparison.Ordinal);
}
