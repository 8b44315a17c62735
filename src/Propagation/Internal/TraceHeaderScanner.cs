using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Text;

namespace SipTraceContext.Propagation.Internal;

/// <summary>The two trace-context fields a trace header carries.</summary>
internal enum TraceField : byte
{
    /// <summary><c>...traceparent</c>.</summary>
    TraceParent,

    /// <summary><c>...tracestate</c>.</summary>
    TraceState,
}

/// <summary>One trace header found in a raw message.</summary>
/// <param name="PrefixIndex">Which configured prefix (precedence order) the name has.</param>
/// <param name="Field">traceparent or tracestate.</param>
/// <param name="LineStart">Offset of the header line's first byte.</param>
/// <param name="LineEnd">Offset just past the line's terminator, continuation lines included.</param>
/// <param name="ValueStart">Offset of the value's first byte (after the colon and whitespace).</param>
/// <param name="ValueEnd">Offset just past the value's last non-whitespace byte.</param>
/// <param name="IsFolded">Whether the value continues on folded lines (RFC 3261 §7.3.1).</param>
internal readonly record struct TraceHeaderLine(int PrefixIndex, TraceField Field, int LineStart, int LineEnd, int ValueStart, int ValueEnd, bool IsFolded);

/// <summary>
/// Finds every trace header (a configured prefix followed by <c>traceparent</c> or <c>tracestate</c>,
/// any case) in the header section of a raw SIP message in one pass, without allocating.
/// </summary>
/// <remarks>
/// <para>
/// A general SIP reader looks at every header line. On a proxy's hot path we only care about a
/// handful of names that all contain the word <c>trace</c>. The scanner finds the empty line that
/// ends the headers with the BCL's vectorised substring search, then searches the header section for
/// that word case-insensitively with vectors (comparing its first and last letter at once, the way
/// <c>IndexOf</c> finds a substring). Each hit is then confirmed to be a header name at the start of a line.
/// </para>
/// <para>
/// Line endings: the start line's terminator decides the message's convention. RFC 3261 requires
/// CRLF; bare LF is accepted because some stacks and capture tools emit it.
/// </para>
/// </remarks>
internal static class TraceHeaderScanner
{
    /// <summary>The most trace header lines recorded for one message; further ones make the message invalid for extraction.</summary>
    public const int MaxTraceHeaders = 16;

    private const byte ByteCR = (byte)'\r';
    private const byte ByteLF = (byte)'\n';
    private const byte ByteColon = (byte)':';
    private const byte LowerCaseBit = 0x20;

    private static ReadOnlySpan<byte> Trace => "trace"u8;
    private static ReadOnlySpan<byte> ParentSuffix => "parent"u8;
    private static ReadOnlySpan<byte> StateSuffix => "state"u8;

    /// <summary>
    /// Scans <paramref name="message"/> and records the trace header lines found, in message order.
    /// </summary>
    /// <param name="message">The raw message.</param>
    /// <param name="prefixes">The lower-case name prefixes to recognise, in precedence order.</param>
    /// <param name="found">Receives the lines; at most <see cref="MaxTraceHeaders"/>.</param>
    /// <param name="count">How many lines were found.</param>
    /// <param name="headersEnd">Offset of the empty line that ends the header section.</param>
    /// <param name="lineEnding">The message's line terminator, CRLF or LF.</param>
    /// <returns><c>false</c> when the message has no complete header section or too many trace headers.</returns>
    public static bool TryScan(
        ReadOnlySpan<byte> message,
        ReadOnlySpan<byte[]> prefixes,
        Span<TraceHeaderLine> found,
        out int count,
        out int headersEnd,
        out ReadOnlySpan<byte> lineEnding)
    {
        count = 0;
        headersEnd = -1;
        lineEnding = default;

        int startLineEnd = message.IndexOf(ByteLF);
        if (startLineEnd <= 0)
        {
            return false;
        }

        bool crlf = message[startLineEnd - 1] == ByteCR;
        lineEnding = crlf ? "\r\n"u8 : "\n"u8;
        int position = startLineEnd + 1;

        // The header section ends at an empty line: "\n\r\n" (CRLF) or "\n\n" (bare LF). A message
        // with no headers at all has the empty line right after the start line.
        if (message[position..].StartsWith(crlf ? "\r\n"u8 : "\n"u8))
        {
            headersEnd = position;
            return true;
        }

        // The BCL's substring search is the fastest way through the bulk of the message; the
        // empty line is the end of the previous line's terminator followed by a bare terminator.
        int empty = message[startLineEnd..].IndexOf(crlf ? "\n\r\n"u8 : "\n\n"u8);
        if (empty < 0)
        {
            return false;
        }

        headersEnd = startLineEnd + empty + 1;
        ReadOnlySpan<byte> headers = message[..headersEnd];
        int searchFrom = position;
        while (true)
        {
            int hit = FindTrace(headers, searchFrom);
            if (hit < 0)
            {
                return true;
            }

            if (TryConfirm(headers, hit, position, prefixes, out TraceHeaderLine line))
            {
                if (count == found.Length)
                {
                    return false;
                }

                found[count++] = line;
                searchFrom = line.LineEnd;
            }
            else
            {
                searchFrom = hit + 1;
            }
        }
    }

    /// <summary>Returns the offset of the next case-insensitive "trace" at or after <paramref name="from"/>, or -1.</summary>
    private static int FindTrace(ReadOnlySpan<byte> headers, int from)
    {
        int i = from;
        // "trace" is 5 bytes: compare its first letter at i and its last at i + 4 in one step (the
        // way IndexOf finds a substring), case-folded by setting the ASCII lower-case bit. Loads use
        // LoadUnsafe on a reference to the span's start: the loop bound keeps every load in range,
        // and slicing a span per load measured 3x slower (SipExtractBenchmarks) for the bounds checks.
        ref byte start = ref MemoryMarshal.GetReference(headers);
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<byte> lowerBit = Vector512.Create(LowerCaseBit);
            Vector512<byte> t = Vector512.Create((byte)'t');
            Vector512<byte> e = Vector512.Create((byte)'e');
            int lastVectorStart = headers.Length - 4 - Vector512<byte>.Count;
            for (; i <= lastVectorStart; i += Vector512<byte>.Count)
            {
                Vector512<byte> first = Vector512.LoadUnsafe(ref start, (nuint)i) | lowerBit;
                Vector512<byte> last = Vector512.LoadUnsafe(ref start, (nuint)(i + 4)) | lowerBit;
                ulong bits = (Vector512.Equals(first, t) & Vector512.Equals(last, e)).ExtractMostSignificantBits();
                while (bits != 0)
                {
                    int candidate = i + BitOperations.TrailingZeroCount(bits);
                    if (IsTraceAt(headers, candidate))
                    {
                        return candidate;
                    }

                    bits &= bits - 1;
                }
            }
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<byte> lowerBit = Vector256.Create(LowerCaseBit);
            Vector256<byte> t = Vector256.Create((byte)'t');
            Vector256<byte> e = Vector256.Create((byte)'e');
            int lastVectorStart = headers.Length - 4 - Vector256<byte>.Count;
            for (; i <= lastVectorStart; i += Vector256<byte>.Count)
            {
                Vector256<byte> first = Vector256.LoadUnsafe(ref start, (nuint)i) | lowerBit;
                Vector256<byte> last = Vector256.LoadUnsafe(ref start, (nuint)(i + 4)) | lowerBit;
                uint bits = (Vector256.Equals(first, t) & Vector256.Equals(last, e)).ExtractMostSignificantBits();
                while (bits != 0)
                {
                    int candidate = i + BitOperations.TrailingZeroCount(bits);
                    if (IsTraceAt(headers, candidate))
                    {
                        return candidate;
                    }

                    bits &= bits - 1;
                }
            }
        }
        if (Vector128.IsHardwareAccelerated)
        {
            Vector128<byte> lowerBit = Vector128.Create(LowerCaseBit);
            Vector128<byte> t = Vector128.Create((byte)'t');
            Vector128<byte> e = Vector128.Create((byte)'e');
            int lastVectorStart = headers.Length - 4 - Vector128<byte>.Count;
            for (; i <= lastVectorStart; i += Vector128<byte>.Count)
            {
                Vector128<byte> first = Vector128.LoadUnsafe(ref start, (nuint)i) | lowerBit;
                Vector128<byte> last = Vector128.LoadUnsafe(ref start, (nuint)(i + 4)) | lowerBit;
                uint bits = (Vector128.Equals(first, t) & Vector128.Equals(last, e)).ExtractMostSignificantBits();
                while (bits != 0)
                {
                    int candidate = i + BitOperations.TrailingZeroCount(bits);
                    if (IsTraceAt(headers, candidate))
                    {
                        return candidate;
                    }

                    bits &= bits - 1;
                }
            }
        }

        for (; i < headers.Length; i++)
        {
            if (IsTraceAt(headers, i))
            {
                return i;
            }
        }

        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsTraceAt(ReadOnlySpan<byte> message, int i) =>
        i + Trace.Length <= message.Length && Ascii.EqualsIgnoreCase(message.Slice(i, Trace.Length), Trace);

    /// <summary>Confirms that "trace" at <paramref name="hit"/> is inside a trace header's name and reads the header.</summary>
    private static bool TryConfirm(
        ReadOnlySpan<byte> message,
        int hit,
        int headersStart,
        ReadOnlySpan<byte[]> prefixes,
        out TraceHeaderLine line)
    {
        line = default;
        int afterTrace = hit + Trace.Length;
        ReadOnlySpan<byte> rest = message[afterTrace..];
        TraceField field;
        int nameEnd;
        if (rest.Length >= ParentSuffix.Length && Ascii.EqualsIgnoreCase(rest[..ParentSuffix.Length], ParentSuffix))
        {
            field = TraceField.TraceParent;
            nameEnd = afterTrace + ParentSuffix.Length;
        }
        else if (rest.Length >= StateSuffix.Length && Ascii.EqualsIgnoreCase(rest[..StateSuffix.Length], StateSuffix))
        {
            field = TraceField.TraceState;
            nameEnd = afterTrace + StateSuffix.Length;
        }
        else
        {
            return false;
        }

        // The name must start a line: the bytes between the line start and "trace" are a prefix.
        int lineStart = message[headersStart..hit].LastIndexOf(ByteLF);
        lineStart = lineStart < 0 ? headersStart : headersStart + lineStart + 1;
        ReadOnlySpan<byte> prefix = message[lineStart..hit];
        int prefixIndex = -1;
        for (int p = 0; p < prefixes.Length; p++)
        {
            if (Ascii.EqualsIgnoreCase(prefix, prefixes[p]))
            {
                prefixIndex = p;
                break;
            }
        }

        if (prefixIndex < 0)
        {
            return false;
        }

        // RFC 3261 §7.3.1: header-name HCOLON value, HCOLON = *( SP / HTAB ) ":" SWS.
        int position = nameEnd;
        while (position < message.Length && message[position] is (byte)' ' or (byte)'\t')
        {
            position++;
        }

        if (position >= message.Length || message[position] != ByteColon)
        {
            return false;
        }

        position++;
        int lineEnd = FindLineEnd(message, position, out int contentEnd, out bool folded);
        if (lineEnd < 0)
        {
            return false;
        }

        int valueStart = position;
        while (valueStart < contentEnd && message[valueStart] is (byte)' ' or (byte)'\t' or ByteCR or ByteLF)
        {
            valueStart++;
        }

        int valueEnd = contentEnd;
        while (valueEnd > valueStart && message[valueEnd - 1] is (byte)' ' or (byte)'\t')
        {
            valueEnd--;
        }

        line = new TraceHeaderLine(prefixIndex, field, lineStart, lineEnd, valueStart, valueEnd, folded);
        return true;
    }

    /// <summary>
    /// Finds the end of the header line starting its value at <paramref name="from"/>, following
    /// continuation lines. Returns the offset past the final terminator, or -1 if there is none.
    /// </summary>
    private static int FindLineEnd(ReadOnlySpan<byte> message, int from, out int contentEnd, out bool folded)
    {
        folded = false;
        int position = from;
        while (true)
        {
            int lf = message[position..].IndexOf(ByteLF);
            if (lf < 0)
            {
                contentEnd = -1;
                return -1;
            }

            lf += position;
            int next = lf + 1;
            if (next < message.Length && message[next] is (byte)' ' or (byte)'\t')
            {
                folded = true;
                position = next;
                continue;
            }

            contentEnd = lf > from && message[lf - 1] == ByteCR ? lf - 1 : lf;
            return next;
        }
    }

    /// <summary>
    /// Writes the value of a folded header with every line break and the whitespace around it
    /// replaced by a single space (RFC 3261 §7.3.1). Returns the bytes written, or -1 if it does not fit.
    /// </summary>
    public static int Unfold(ReadOnlySpan<byte> value, Span<byte> destination)
    {
        int written = 0;
        int i = 0;
        while (i < value.Length)
        {
            byte b = value[i];
            if (b is ByteCR or ByteLF)
            {
                while (written > 0 && destination[written - 1] is (byte)' ' or (byte)'\t')
                {
                    written--;
                }

                while (i < value.Length && value[i] is ByteCR or ByteLF or (byte)' ' or (byte)'\t')
                {
                    i++;
                }

                b = (byte)' ';
            }
            else
            {
                i++;
            }

            if (written == destination.Length)
            {
                return -1;
            }

            destination[written++] = b;
        }

        return written;
    }
}
