using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;

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
/// handful of names that all contain the word <c>trace</c>. The scanner makes one vectorised pass
/// over the header section looking for two things at once: that word in any case (its 't', 'a' and 'e'
/// compared in place, the way <c>IndexOf</c> anchors a substring) and the empty line that ends the
/// section. Each hit on the word is then confirmed to be a header name at the start of a line.
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
        out ReadOnlySpan<byte> lineEnding) =>
        Vector512.IsHardwareAccelerated ? TryScan<Block512>(message, prefixes, found, out count, out headersEnd, out lineEnding)
        : Vector256.IsHardwareAccelerated ? TryScan<Block256>(message, prefixes, found, out count, out headersEnd, out lineEnding)
        : TryScan<Block128>(message, prefixes, found, out count, out headersEnd, out lineEnding);

    /// <summary>
    /// <see cref="TryScan(ReadOnlySpan{byte}, ReadOnlySpan{byte[]}, Span{TraceHeaderLine}, out int, out int, out ReadOnlySpan{byte})"/>
    /// with a given vector width, so that tests run every width on any hardware (an unaccelerated width
    /// is emulated, slowly but exactly); each width compiles to its own specialised code.
    /// </summary>
    internal static bool TryScan<TBlock>(
        ReadOnlySpan<byte> message,
        ReadOnlySpan<byte[]> prefixes,
        Span<TraceHeaderLine> found,
        out int count,
        out int headersEnd,
        out ReadOnlySpan<byte> lineEnding)
        where TBlock : struct, ICandidateBlock
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
        if (message[position..].StartsWith(lineEnding))
        {
            headersEnd = position;
            return true;
        }

        // One pass finds both the trace headers and the empty line that ends the section: a separate
        // pass for the end (the BCL's substring search) measured as long as the trace search itself.
        // Candidates are handled in message order, so every header confirmed before the end is in it.
        int terminatorOffset = crlf ? 2 : 1;
        ref byte start = ref MemoryMarshal.GetReference(message);
        int lastFullBlock = message.Length - CandidateReach - TBlock.Width;
        int next = startLineEnd;
        int skipTo = startLineEnd;
        while (next < message.Length)
        {
            ulong bits = 0;
            while (next <= lastFullBlock)
            {
                // The hot loop: most blocks hold no candidate at all.
                bits = TBlock.Candidates(ref start, (nuint)next, (nuint)terminatorOffset);
                if (bits != 0)
                {
                    break;
                }

                next += TBlock.Width;
            }

            int blockStart = next;
            if (bits != 0)
            {
                next += TBlock.Width;
            }
            else if (next < message.Length - CandidateReach && lastFullBlock >= startLineEnd)
            {
                // The last whole block overlaps offsets already tested: drop their bits.
                bits = TBlock.Candidates(ref start, (nuint)lastFullBlock, (nuint)terminatorOffset) >> (next - lastFullBlock);
                next = message.Length - CandidateReach;
            }
            else
            {
                // The last few offsets (or a message shorter than one block), one at a time.
                bits = IsCandidate(message, next, terminatorOffset) ? 1UL : 0UL;
                next++;
            }

            while (bits != 0)
            {
                int candidate = blockStart + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                if (candidate < skipTo)
                {
                    continue;
                }

                if (message[candidate] == ByteLF)
                {
                    if (!crlf || message[candidate + 1] == ByteCR)
                    {
                        headersEnd = candidate + 1;
                        return true;
                    }

                    continue;
                }

                if (!IsTraceAt(message, candidate) || !TryConfirm(message, candidate, position, prefixes, out TraceHeaderLine line))
                {
                    continue;
                }

                if (count == found.Length)
                {
                    return false;
                }

                found[count++] = line;
                // Nothing else on the confirmed line can start a header: resume at its final line feed,
                // which may begin the empty line.
                skipTo = line.LineEnd - 1;
                if (skipTo > next)
                {
                    next = skipTo;
                    break;
                }
            }
        }

        return false;
    }

    // A candidate test reads up to 4 bytes past the offset (the 'e' of "trace").
    private const int CandidateReach = 4;

    /// <summary>
    /// One vector width of the candidate test: one bit per offset of the block at <c>offset</c> that may
    /// start "trace" (its 't', 'a' and 'e' in place, any case) or the empty line (a line feed with
    /// another one after the terminator).
    /// </summary>
    /// <remarks>
    /// Comparing three letters rather than two keeps false hits (URIs, tokens) near zero. Loads go
    /// through a reference to the message's start: the caller keeps every load below
    /// <c>offset + Width + 4</c>, within the message; slicing per load measured 3x slower.
    /// </remarks>
    internal interface ICandidateBlock
    {
        /// <summary>Offsets tested per step.</summary>
        static abstract int Width { get; }

        /// <summary>The candidate bits of the block at <paramref name="offset"/>.</summary>
        static abstract ulong Candidates(ref byte start, nuint offset, nuint terminatorOffset);
    }

    /// <summary>64 offsets per step (AVX-512).</summary>
    internal readonly struct Block512 : ICandidateBlock
    {
        public static int Width => Vector512<byte>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Candidates(ref byte start, nuint offset, nuint terminatorOffset)
        {
            Vector512<byte> lowerBit = Vector512.Create(LowerCaseBit);
            Vector512<byte> at = Vector512.LoadUnsafe(ref start, offset);
            Vector512<byte> trace = Vector512.Equals(at | lowerBit, Vector512.Create((byte)'t'))
                & Vector512.Equals(Vector512.LoadUnsafe(ref start, offset + 2) | lowerBit, Vector512.Create((byte)'a'))
                & Vector512.Equals(Vector512.LoadUnsafe(ref start, offset + 4) | lowerBit, Vector512.Create((byte)'e'));
            Vector512<byte> lf = Vector512.Create(ByteLF);
            Vector512<byte> end = Vector512.Equals(at, lf) & Vector512.Equals(Vector512.LoadUnsafe(ref start, offset + terminatorOffset), lf);
            return trace.ExtractMostSignificantBits() | end.ExtractMostSignificantBits();
        }
    }

    /// <summary>32 offsets per step (AVX2).</summary>
    internal readonly struct Block256 : ICandidateBlock
    {
        public static int Width => Vector256<byte>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Candidates(ref byte start, nuint offset, nuint terminatorOffset)
        {
            Vector256<byte> lowerBit = Vector256.Create(LowerCaseBit);
            Vector256<byte> at = Vector256.LoadUnsafe(ref start, offset);
            Vector256<byte> trace = Vector256.Equals(at | lowerBit, Vector256.Create((byte)'t'))
                & Vector256.Equals(Vector256.LoadUnsafe(ref start, offset + 2) | lowerBit, Vector256.Create((byte)'a'))
                & Vector256.Equals(Vector256.LoadUnsafe(ref start, offset + 4) | lowerBit, Vector256.Create((byte)'e'));
            Vector256<byte> lf = Vector256.Create(ByteLF);
            Vector256<byte> end = Vector256.Equals(at, lf) & Vector256.Equals(Vector256.LoadUnsafe(ref start, offset + terminatorOffset), lf);
            return trace.ExtractMostSignificantBits() | (ulong)end.ExtractMostSignificantBits();
        }
    }

    /// <summary>16 offsets per step (SSE2, Arm64 AdvSimd).</summary>
    internal readonly struct Block128 : ICandidateBlock
    {
        public static int Width => Vector128<byte>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Candidates(ref byte start, nuint offset, nuint terminatorOffset)
        {
            Vector128<byte> lowerBit = Vector128.Create(LowerCaseBit);
            Vector128<byte> at = Vector128.LoadUnsafe(ref start, offset);
            Vector128<byte> trace = Vector128.Equals(at | lowerBit, Vector128.Create((byte)'t'))
                & Vector128.Equals(Vector128.LoadUnsafe(ref start, offset + 2) | lowerBit, Vector128.Create((byte)'a'))
                & Vector128.Equals(Vector128.LoadUnsafe(ref start, offset + 4) | lowerBit, Vector128.Create((byte)'e'));
            Vector128<byte> lf = Vector128.Create(ByteLF);
            Vector128<byte> end = Vector128.Equals(at, lf) & Vector128.Equals(Vector128.LoadUnsafe(ref start, offset + terminatorOffset), lf);
            return trace.ExtractMostSignificantBits() | (ulong)end.ExtractMostSignificantBits();
        }
    }

    /// <summary>The scalar form of <see cref="ICandidateBlock.Candidates"/> for one offset, bounds-checked.</summary>
    private static bool IsCandidate(ReadOnlySpan<byte> message, int offset, int terminatorOffset)
    {
        byte b = message[offset];
        return b == ByteLF
            ? offset + terminatorOffset < message.Length && message[offset + terminatorOffset] == ByteLF
            : (b | LowerCaseBit) == 't' && offset + CandidateReach < message.Length;
    }

    // Case-insensitive comparisons of short ASCII words read 4 (or 2) bytes at once and set the
    // lower-case bit of each: only the upper- and lower-case forms of a letter map to that letter, so
    // this is exact for words made of letters. BCL calls measured ~10 ns each here, a third of a scan.
    private const uint LowerCaseBits32 = 0x2020_2020;
    private const uint LowerCaseBits16 = 0x2020;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsWordAt(ReadOnlySpan<byte> message, int offset, uint first4, byte last) =>
        offset + 5 <= message.Length
        && (BinaryPrimitives.ReadUInt32LittleEndian(message[offset..]) | LowerCaseBits32) == first4
        && (message[offset + 4] | LowerCaseBit) == last;

    // "trac", "pare", "stat" as little-endian words, and "nt" as a little-endian half word.
    private const uint Trac = 't' | ('r' << 8) | ('a' << 16) | ((uint)'c' << 24);
    private const uint Pare = 'p' | ('a' << 8) | ('r' << 16) | ((uint)'e' << 24);
    private const uint Stat = 's' | ('t' << 8) | ('a' << 16) | ((uint)'t' << 24);
    private const ushort Nt = 'n' | ('t' << 8);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsTraceAt(ReadOnlySpan<byte> message, int i) => IsWordAt(message, i, Trac, (byte)'e');

    /// <summary>Confirms that "trace" at <paramref name="hit"/> is inside a trace header's name and reads the header.</summary>
    private static bool TryConfirm(
        ReadOnlySpan<byte> message,
        int hit,
        int headersStart,
        ReadOnlySpan<byte[]> prefixes,
        out TraceHeaderLine line)
    {
        line = default;
        int afterTrace = hit + 5;
        TraceField field;
        int nameEnd;
        if (afterTrace + 6 <= message.Length
            && (BinaryPrimitives.ReadUInt32LittleEndian(message[afterTrace..]) | LowerCaseBits32) == Pare
            && (BinaryPrimitives.ReadUInt16LittleEndian(message[(afterTrace + 4)..]) | LowerCaseBits16) == Nt)
        {
            field = TraceField.TraceParent;
            nameEnd = afterTrace + 6;
        }
        else if (IsWordAt(message, afterTrace, Stat, (byte)'e'))
        {
            field = TraceField.TraceState;
            nameEnd = afterTrace + 5;
        }
        else
        {
            return false;
        }

        // The name must start a line: the bytes between the line start and "trace" are a prefix.
        // Each prefix says where its line would start, so no search back for the line feed is needed.
        int prefixIndex = -1;
        int lineStart = 0;
        for (int p = 0; p < prefixes.Length; p++)
        {
            byte[] candidate = prefixes[p];
            lineStart = hit - candidate.Length;
            if (lineStart >= headersStart
                && message[lineStart - 1] == ByteLF
                && EqualsLowerCasePrefix(message[lineStart..hit], candidate))
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

    /// <summary>Whether <paramref name="name"/> equals <paramref name="lowerCasePrefix"/> ignoring ASCII case.</summary>
    /// <remarks>The BCL's general comparison measured 7 ns for these few bytes, a third of confirming a header.</remarks>
    private static bool EqualsLowerCasePrefix(ReadOnlySpan<byte> name, ReadOnlySpan<byte> lowerCasePrefix)
    {
        if (name.Length != lowerCasePrefix.Length)
        {
            return false;
        }

        for (int i = 0; i < name.Length; i++)
        {
            byte expected = lowerCasePrefix[i];
            byte actual = name[i];
            if (actual != expected && !(char.IsAsciiLetterLower((char)expected) && (actual | LowerCaseBit) == expected))
            {
                return false;
            }
        }

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
