using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Propagation.Internal;

namespace SipTraceContext.Propagation.Tests;

/// <summary>
/// The vectorised trace-header scanner against a plain line-by-line reading of the same message, over
/// messages whose lengths put the trace headers and the empty line at every offset of a vector block
/// and in the scalar tail.
/// </summary>
public sealed class TraceHeaderScannerProperties
{
    private static readonly byte[][] s_prefixes = ["x-otel-"u8.ToArray(), "p-otel-"u8.ToArray(), ""u8.ToArray(), "x-long-vendor-"u8.ToArray()];
    private static readonly TraceHeaderPrefixes s_prepared = new(s_prefixes);

    // A value of a traceparent's length after one space: with CRLF, the line the confirmation takes to
    // end at a constant offset; the two values after it put the line feed there too, but not in the
    // usual layout.
    private const string TraceParentLength = " hhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhhh";

    private static Gen<string> HeaderLines =>
        Gen.OneOf(
            from prefix in Gen.Elements("X-OTel-", "P-OTel-", "", "Y-", "X-OTel", "X-Long-Vendor-", "x-long-VENDOR", "Long-Vendor-")
            from fieldName in Gen.Elements("traceparent", "tracestate", "TRACEPARENT", "TraceState", "tracex", "trace")
            from colon in Gen.Elements(":", " :", "\t:", "")
            from value in Gen.Elements(" v", " v", "", " ", "v", "\tv \t", "  a b  ", " v\r", " \r v", "\r", " " + new string('h', 70), TraceParentLength, TraceParentLength, " " + new string('h', 54) + " ", "  " + new string('h', 54))
            select prefix + fieldName + colon + value,
            from padding in Gen.Choose(0, 140)
            select "X-Pad: " + new string('a', padding),
            Gen.Elements("Via: SIP/2.0/UDP atlanta.example.com", "Subject: trace me", "Subject: a", "To: <sip:tate@example.com>"));

    private sealed record Case(byte[] Message, bool Crlf);

    private static Gen<Case> Messages =>
        from lines in Gen.ArrayOf(HeaderLines, 8)
        from count in Gen.Choose(0, 8)
        from crlf in Gen.Elements(true, true, false)
        from fold in Gen.Elements(false, false, true)
        from body in Gen.Elements("", "X-OTel-traceparent: in-body\r\n", "v=0")
        from truncate in Gen.Elements(false, false, false, true)
        from startLine in Gen.Elements(
            "INVITE sip:bob@example.com SIP/2.0",
            "INVITE sip:bob@example.com SIP/2.0",
            "X",
            "A b",
            // Trace header names in the start line, which the copying scan passes over too: never a header.
            "traceparent: v",
            "X-OTel-traceparent: v",
            "INVITE sip:X-OTel-tracestate@example.com SIP/2.0")
        select Build(startLine, lines.Take(count).ToArray(), crlf, fold, body, truncate);

    // A very short start line puts a trace header's name within the first 8 bytes, where the
    // prefix test cannot read the 8 bytes before it.
    private static Case Build(string startLine, string[] lines, bool crlf, bool fold, string body, bool truncate)
    {
        string eol = crlf ? "\r\n" : "\n";
        var text = new StringBuilder(startLine).Append(eol);
        foreach (string line in lines)
        {
            text.Append(line).Append(eol);
            if (fold)
            {
                text.Append(" continued").Append(eol);
            }
        }

        if (!truncate)
        {
            text.Append(eol).Append(body);
        }

        return new Case(Encoding.ASCII.GetBytes(text.ToString()), crlf);
    }

    /// <summary>The reference: split lines, follow folds, compare each name with prefix + field.</summary>
    private static (bool Ok, List<(int Prefix, TraceField Field, int Start, int End, int ValueStart, int ValueEnd)> Lines, int HeadersEnd) Reference(byte[] message, bool crlf)
    {
        var found = new List<(int, TraceField, int, int, int, int)>();
        int position = Array.IndexOf(message, (byte)'\n') + 1;
        while (true)
        {
            int lf = Array.IndexOf(message, (byte)'\n', position);
            if (lf < 0)
            {
                return (false, found, -1);
            }

            bool emptyLine = crlf ? lf == position + 1 && message[position] == '\r' : lf == position;
            if (emptyLine)
            {
                return (true, found, position);
            }

            int end = lf + 1;
            while (end < message.Length && message[end] is (byte)' ' or (byte)'\t')
            {
                int next = Array.IndexOf(message, (byte)'\n', end);
                if (next < 0)
                {
                    return (false, found, -1);
                }

                end = next + 1;
            }

            string line = Encoding.ASCII.GetString(message, position, end - position);
            int colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon > 0)
            {
                string name = line[..colon].TrimEnd(' ', '\t').ToLowerInvariant();
                for (int p = 0; p < s_prefixes.Length; p++)
                {
                    string prefix = Encoding.ASCII.GetString(s_prefixes[p]);
                    if (name == prefix + "traceparent" || name == prefix + "tracestate")
                    {
                        (int valueStart, int valueEnd) = ReferenceValue(message, position + colon + 1, end);
                        found.Add((p, name.EndsWith("parent", StringComparison.Ordinal) ? TraceField.TraceParent : TraceField.TraceState, position, end, valueStart, valueEnd));
                        break;
                    }
                }
            }

            position = end;
        }
    }

    /// <summary>
    /// The value of a line running from just past its colon to just past its last line feed: without
    /// the carriage return before that line feed, then without blanks and line breaks (LWS, so a CR only before an LF) at either end.
    /// </summary>
    private static (int Start, int End) ReferenceValue(byte[] message, int afterColon, int lineEnd)
    {
        int lineFeed = lineEnd - 1;
        int contentEnd = lineFeed > afterColon && message[lineFeed - 1] == '\r' ? lineFeed - 1 : lineFeed;
        int start = afterColon;
        while (start < contentEnd && message[start] is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n')
        {
            start++;
        }

        int end = contentEnd;
        while (end > start && (message[end - 1] is (byte)' ' or (byte)'\t' or (byte)'\n' || (message[end - 1] == '\r' && message[end] == '\n')))
        {
            end--;
        }

        return (start, end);
    }

    private delegate bool Scanner(ReadOnlySpan<byte> message, TraceHeaderPrefixes prefixes, Span<TraceHeaderLine> found, out int count, out int headersEnd, out ReadOnlySpan<byte> lineEnding);

    [Property(MaxTest = 2000)]
    public Property The_scanner_finds_exactly_the_trace_header_lines_a_line_by_line_reading_finds() =>
        Prop.ForAll(Messages.ToArbitrary(), c => Agrees(TraceHeaderScanner.TryScan, c));

#if !LIBRARY_NETSTANDARD2_0
    // Every vector width, whatever this machine accelerates: the one it picks is also covered above.
    // (The netstandard2.0 build has no widths: its scalar scan is the one covered above.)
    [Property(MaxTest = 1000)]
    public Property The_64_byte_blocks_agree_with_the_line_by_line_reading() =>
        Prop.ForAll(Messages.ToArbitrary(), c => Agrees(TraceHeaderScanner.TryScan<TraceHeaderScanner.Block512>, c));

    [Property(MaxTest = 1000)]
    public Property The_32_byte_blocks_agree_with_the_line_by_line_reading() =>
        Prop.ForAll(Messages.ToArbitrary(), c => Agrees(TraceHeaderScanner.TryScan<TraceHeaderScanner.Block256>, c));

    [Property(MaxTest = 1000)]
    public Property The_16_byte_blocks_agree_with_the_line_by_line_reading() =>
        Prop.ForAll(Messages.ToArbitrary(), c => Agrees(TraceHeaderScanner.TryScan<TraceHeaderScanner.Block128>, c));
#endif

    // Found by the property above: after a long-prefix line, the next line's name is looked for as far
    // on as that prefix is long; a shorter line there must not be skipped for the line after it.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_line_shorter_than_the_prefix_of_the_one_before_it_is_not_skipped(bool crlf)
    {
        Case c = Build("INVITE sip:bob@example.com SIP/2.0", ["X-Long-Vendor-traceparent: v", "TRACEPARENT:v", "tracestate :v"], crlf, fold: false, body: "", truncate: false);
        Assert.Equal(3, Reference(c.Message, c.Crlf).Lines.Count);
#if LIBRARY_NETSTANDARD2_0
        Assert.True(Agrees(TraceHeaderScanner.TryScan, c));
#else
        Assert.True(Agrees(TraceHeaderScanner.TryScan<TraceHeaderScanner.Block512>, c));
        Assert.True(Agrees(TraceHeaderScanner.TryScan<TraceHeaderScanner.Block256>, c));
        Assert.True(Agrees(TraceHeaderScanner.TryScan<TraceHeaderScanner.Block128>, c));
#endif
        Assert.True(CopiesAndAgrees(c, 512));
    }

    // Inject lets the pass copy what it reads: the same lines, and the message's bytes up to the end at least.
    [Property(MaxTest = 1000)]
    public Property The_copying_scan_finds_the_same_lines_and_copies_at_least_up_to_the_first_trace_header() =>
        Prop.ForAll(Messages.ToArbitrary(), Gen.Elements(512, 256, 128).ToArbitrary(), CopiesAndAgrees);

    private static bool CopiesAndAgrees(Case c, int width)
    {
        var plain = new TraceHeaderLine[TraceHeaderScanner.MaxTraceHeaders];
        var copied = new TraceHeaderLine[TraceHeaderScanner.MaxTraceHeaders];
        byte[] copy = new byte[c.Message.Length + 7];
        bool ok = TraceHeaderScanner.TryScan(c.Message, s_prepared, plain, out int count, out int headersEnd, out _);
        int n;
        int end;
        int copiedEnd;
#if LIBRARY_NETSTANDARD2_0
        _ = width; // one scalar scan
        bool copyOk = TraceHeaderScanner.TryScan(c.Message, s_prepared, copied, copy, out n, out end, out _, out copiedEnd);
#else
        bool copyOk = width switch
        {
            512 => TraceHeaderScanner.TryScan<TraceHeaderScanner.Block512>(c.Message, s_prepared, copied, copy, out n, out end, out _, out copiedEnd),
            256 => TraceHeaderScanner.TryScan<TraceHeaderScanner.Block256>(c.Message, s_prepared, copied, copy, out n, out end, out _, out copiedEnd),
            _ => TraceHeaderScanner.TryScan<TraceHeaderScanner.Block128>(c.Message, s_prepared, copied, copy, out n, out end, out _, out copiedEnd),
        };
#endif
        if (ok != copyOk)
        {
            return false;
        }

        // The pass skips the lines it confirms together (and stops copying there), so the copy is whole
        // up to the first trace header, or the whole header section when there is none.
        return !ok
            || (n == count && end == headersEnd && copiedEnd >= (n > 0 ? copied[0].LineStart : end) && copiedEnd <= c.Message.Length
                && copy.AsSpan(0, copiedEnd).SequenceEqual(c.Message.AsSpan(0, copiedEnd))
                && SameLineBounds(copied.AsSpan(0, n), plain.AsSpan(0, count)));
    }

    // The copying scan (injection) reads lines for their bounds only; their values may be untrimmed.
    private static bool SameLineBounds(ReadOnlySpan<TraceHeaderLine> copied, ReadOnlySpan<TraceHeaderLine> plain)
    {
        for (int i = 0; i < copied.Length; i++)
        {
            TraceHeaderLine a = copied[i];
            TraceHeaderLine b = plain[i];
            if (a.LineStart != b.LineStart || a.LineEnd != b.LineEnd || a.Field != b.Field || a.PrefixIndex != b.PrefixIndex || a.IsFolded != b.IsFolded
                || a.ValueStart > b.ValueStart || a.ValueEnd < b.ValueEnd || a.ValueStart < a.LineStart || a.ValueEnd > a.LineEnd)
            {
                return false;
            }
        }

        return true;
    }

    private static bool Agrees(Scanner scan, Case c)
    {
        Span<TraceHeaderLine> lines = stackalloc TraceHeaderLine[TraceHeaderScanner.MaxTraceHeaders];
        bool ok = scan(c.Message, s_prepared, lines, out int count, out int headersEnd, out _);
        var expected = Reference(c.Message, c.Crlf);
        if (ok != expected.Ok)
        {
            return false;
        }

        if (!ok)
        {
            return true;
        }

        if (headersEnd != expected.HeadersEnd || count != expected.Lines.Count)
        {
            return false;
        }

        for (int i = 0; i < count; i++)
        {
            (int prefix, TraceField field, int start, int end, int valueStart, int valueEnd) = expected.Lines[i];
            if (lines[i].PrefixIndex != prefix || lines[i].Field != field || lines[i].LineStart != start || lines[i].LineEnd != end
                || lines[i].ValueStart != valueStart || lines[i].ValueEnd != valueEnd)
            {
                return false;
            }
        }

        return true;
    }
}
