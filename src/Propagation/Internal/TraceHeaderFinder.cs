using System.Numerics;
using System.Text;
using SipTraceContext.Sip;
using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Propagation.Internal;

/// <summary>How much of a message the raw propagator may act on.</summary>
internal enum MessageFraming : byte
{
    /// <summary><see cref="SipMessageReader"/> rejects the message, or its lines do not all end alike: act on nothing.</summary>
    Refused,

    /// <summary>
    /// The reader accepts the header section, but the body is shorter or longer than its Content-Length:
    /// the header section may be read (extract), not rewritten (inject, strip).
    /// </summary>
    HeaderSection,

    /// <summary>As <see cref="HeaderSection"/>, and the input is exactly one whole message, body included.</summary>
    WholeMessage,
}

/// <summary>
/// Finds the trace headers (a configured prefix followed by <c>traceparent</c> or <c>tracestate</c>, any
/// case) of a message from what <see cref="SipMessageReader"/> recorded while it validated it: the raw
/// propagator reads SIP with the one engine every other part of the packages uses, so a message cannot be
/// read one way at a trust boundary and another way behind it (SPEC §7).
/// </summary>
internal static class TraceHeaderFinder
{
    /// <summary>The most trace header lines recorded for one message; further ones make the message invalid for extraction.</summary>
    public const int MaxTraceHeaders = 16;

    private const byte CR = (byte)'\r';
    private const byte LF = (byte)'\n';
    private const byte Colon = (byte)':';

    /// <summary>
    /// Whether the raw APIs act on bytes the reader has read, and how far. On top of what the reader
    /// accepts, raw bytes must end every line of the start line and header section alike (all CRLF or
    /// all LF): the rewriting APIs write new lines in the message's one convention, and refusing the rare
    /// message that mixes them keeps every raw API's answer the same.
    /// </summary>
    /// <param name="reader">A reader (default limits) over the whole input.</param>
    /// <param name="lineEnding">The start line's terminator, CRLF or LF; empty when refused.</param>
    public static MessageFraming FrameRaw(scoped in SipMessageReader reader, out ReadOnlySpan<byte> lineEnding)
    {
        lineEnding = default;
        MessageFraming framing = Frame(in reader);
        if (framing == MessageFraming.Refused)
        {
            return framing;
        }

        // The reader noted each kind of line ending it read, from the start line to the empty line.
        LineEndingKinds endings = reader.Layout.LineEndings;
        if (endings is not (LineEndingKinds.Crlf or LineEndingKinds.BareLf))
        {
            return MessageFraming.Refused;
        }

        bool crlf = endings == LineEndingKinds.Crlf;
        lineEnding = crlf ? "\r\n"u8 : "\n"u8;
        return framing;
    }

    /// <summary>
    /// Reads raw bytes (default limits) and finds their trace headers: <see cref="FrameRaw"/>, then
    /// <see cref="TryFind"/>. Refused also when there are more than <see cref="MaxTraceHeaders"/>.
    /// </summary>
    /// <param name="message">The raw message.</param>
    /// <param name="lowerCasePrefixes">The name prefixes to recognise (ASCII, lower case), in precedence order.</param>
    /// <param name="found">Receives the lines; at most <see cref="MaxTraceHeaders"/>.</param>
    /// <param name="count">How many lines were found.</param>
    /// <param name="headersEnd">Offset of the empty line that ends the header section; -1 when refused.</param>
    /// <param name="lineEnding">The message's line terminator, CRLF or LF; empty when refused.</param>
    public static MessageFraming ScanRaw(ReadOnlySpan<byte> message, byte[][] lowerCasePrefixes, Span<TraceHeaderLine> found, out int count, out int headersEnd, out ReadOnlySpan<byte> lineEnding)
    {
        var reader = new SipMessageReader(message);
        MessageFraming framing = FrameRaw(in reader, out lineEnding);
        if (framing == MessageFraming.Refused || !TryFind(in reader, lowerCasePrefixes, found, out count))
        {
            count = 0;
            headersEnd = -1;
            lineEnding = default;
            return MessageFraming.Refused;
        }

        headersEnd = reader.HeadersEnd;
        return framing;
    }

    /// <summary>Whether the reader accepted the header section, and whether the input is one whole message.</summary>
    public static MessageFraming Frame(scoped in SipMessageReader reader)
    {
        if (!reader.HeadersComplete || reader.Status is SipParseStatus.Malformed or SipParseStatus.LimitExceeded)
        {
            return MessageFraming.Refused;
        }

        return reader.IsComplete && reader.MessageLength == reader.Message.Length ? MessageFraming.WholeMessage : MessageFraming.HeaderSection;
    }

    /// <summary>
    /// Records the trace header lines of the message <paramref name="reader"/> accepted, in message order.
    /// </summary>
    /// <param name="reader">The reader; its header section must be complete (see <see cref="Frame"/>).</param>
    /// <param name="lowerCasePrefixes">The name prefixes to recognise (ASCII, lower case), in precedence order.</param>
    /// <param name="found">Receives the lines; at most <see cref="MaxTraceHeaders"/>.</param>
    /// <param name="count">How many lines were found.</param>
    /// <returns><see langword="false"/> when there are more than <see cref="MaxTraceHeaders"/>.</returns>
    public static bool TryFind(scoped in SipMessageReader reader, byte[][] lowerCasePrefixes, Span<TraceHeaderLine> found, out int count)
    {
        count = 0;
        ReadOnlySpan<byte> message = reader.Message;

        // The reader marked, as it classified each name, the fields that may be trace headers: only those
        // are looked at. Fields past its index (a message with very many headers) are walked when it saw one there.
        SipMessageLayout layout = reader.Layout;
        uint candidates = layout.TraceFieldMask;
        while (candidates != 0)
        {
            int i = BitOperations.TrailingZeroCount(candidates);
            candidates &= candidates - 1;
            if (!TryAdd(message, layout.Offsets[i], layout.Offsets[i + 1], lowerCasePrefixes, found, ref count))
            {
                return false;
            }
        }

        if (layout.TraceFieldPastIndex)
        {
            SipHeaderEnumerator fields = reader.Headers;
            int index = 0;
            while (fields.MoveNextLine(out int lineStart, out int lineEnd))
            {
                if (index++ >= layout.IndexedCount && !TryAdd(message, lineStart, lineEnd, lowerCasePrefixes, found, ref count))
                {
                    return false;
                }
            }
        }

        return true;
    }

    /// <summary>Records the field from <paramref name="lineStart"/> to <paramref name="lineEnd"/> if it is a trace header; <see langword="false"/> when there is no room left.</summary>
    private static bool TryAdd(ReadOnlySpan<byte> message, int lineStart, int lineEnd, byte[][] lowerCasePrefixes, Span<TraceHeaderLine> found, ref int count)
    {
        ReadOnlySpan<byte> line = message[lineStart..lineEnd];

        // The reader checked that every field is a token name, optional whitespace and a colon.
        int colon = line.IndexOf(Colon);
        ReadOnlySpan<byte> name = SipGrammar.TrimWhitespaceEnd(line[..colon]);
        if (!TryMatch(name, lowerCasePrefixes, out int prefixIndex, out TraceField traceField))
        {
            return true;
        }

        if (count == found.Length)
        {
            count = 0;
            return false;
        }

        // The value without the whitespace and line breaks around it; a break left inside is a fold.
        ReadOnlySpan<byte> fromValue = SipGrammar.TrimLinearWhitespaceStart(line[(colon + 1)..]);
        ReadOnlySpan<byte> value = SipGrammar.TrimLinearWhitespace(fromValue);
        int valueStart = line.Length - fromValue.Length;
        bool folded = value.IndexOfAny(CR, LF) >= 0;
        found[count++] = new TraceHeaderLine(prefixIndex, traceField, lineStart, lineEnd, lineStart + valueStart, lineStart + valueStart + value.Length, folded);
        return true;
    }

    /// <summary>Whether <paramref name="name"/> is a prefix followed by <c>traceparent</c> or <c>tracestate</c>.</summary>
    private static bool TryMatch(ReadOnlySpan<byte> name, byte[][] lowerCasePrefixes, out int prefixIndex, out TraceField field)
    {
        prefixIndex = -1;
        if (name.Length >= "traceparent".Length && Ascii.EqualsIgnoreCase(name[^"traceparent".Length..], "traceparent"u8))
        {
            field = TraceField.TraceParent;
            name = name[..^"traceparent".Length];
        }
        else if (name.Length >= "tracestate".Length && Ascii.EqualsIgnoreCase(name[^"tracestate".Length..], "tracestate"u8))
        {
            field = TraceField.TraceState;
            name = name[..^"tracestate".Length];
        }
        else
        {
            field = default;
            return false;
        }

        // Prefixes are distinct in any case, and the suffix is fixed: at most one matches.
        for (int p = 0; p < lowerCasePrefixes.Length; p++)
        {
            if (Ascii.EqualsIgnoreCase(name, lowerCasePrefixes[p]))
            {
                prefixIndex = p;
                return true;
            }
        }

        return false;
    }
}
