#if NET
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
#endif
using static SipTraceContext.Sip.Internal.SipGrammar;

namespace SipTraceContext.Sip.Internal;

/// <summary>
/// Finds one header field in a raw message in a single vectorised pass, without the reader's
/// validation of every other line: the engine behind <see cref="SipMessageReader.TryFindHeader(ReadOnlySpan{byte}, ReadOnlySpan{byte}, out SipHeaderField)"/>.
/// </summary>
/// <remarks>
/// Every header line starts right after a line feed. The pass marks the line feeds that are followed
/// by the name's first letter with its last letter in place, or by the compact form's letter, or that
/// end the header section (a line feed, optionally after a CR). Marked lines are then matched exactly,
/// in message order, so the first match before the empty line is the first instance of the field.
/// A line is only matched once the byte after it has arrived, since it might start a continuation.
/// A continuation line (starting with SP or HTAB) is never matched, so the walk to a field's end
/// happens only from a field's first line and the pass stays linear in the message.
/// Letters are compared with the ASCII lower-case bit set on both sides, which can only let extra
/// lines through to the exact match, never keep a matching one out.
/// </remarks>
internal static class HeaderFieldFinder
{
    private const byte LowerCaseBit = 0x20;

#if !NET
    /// <summary>
    /// netstandard2.0: the same search one line feed at a time. Every line is a candidate, so the
    /// vector pass's letter filter (only ever an optimisation) is not needed; the checks per
    /// candidate are the vector version's, in the same order.
    /// </summary>
    public static bool TryFind(ReadOnlySpan<byte> message, ReadOnlySpan<byte> name, out SipHeaderField field)
    {
        field = default;
        if (name.IsEmpty)
        {
            return false;
        }

        var matcher = new HeaderNameMatcher(name);
        int lead = 0;
        while (lead < message.Length && message[lead] is CR or LF)
        {
            lead++;
        }

        int startLineEnd = message[lead..].IndexOf(LF);
        if (startLineEnd < 0)
        {
            return false;
        }

        startLineEnd += lead;
        byte last = (byte)(name[^1] | LowerCaseBit);
        byte compact = matcher.Alternate.Length == 1 ? (byte)(matcher.Alternate[0] | LowerCaseBit) : (byte)0;
        if (matcher.Alternate.Length > 1)
        {
            last = (byte)(matcher.Alternate[^1] | LowerCaseBit);
            compact = (byte)(name[0] | LowerCaseBit);
        }

        int lastOffset = Math.Max(name.Length, matcher.Alternate.Length);
        int lineFeed = startLineEnd;
        while (true)
        {
            int lineStart = lineFeed + 1;
            if (lineStart >= message.Length)
            {
                return false;
            }

            byte b = message[lineStart];
            if (b == LF || (b == CR && lineStart + 1 < message.Length && message[lineStart + 1] == LF))
            {
                return false;
            }

            // A continuation line (SP or HTAB) never starts a field, and walking it would re-read the rest
            // of that field from each of its lines: skipped, as by the vector version.
            if (b is not (SP or HTAB)
                && ((b | LowerCaseBit) == compact
                    || ((uint)(lineFeed + lastOffset) < (uint)message.Length && (message[lineFeed + lastOffset] | LowerCaseBit) == last))
                && TryReadLine(message, lineStart, out int lineEnd, out bool folded)
                && IsFieldNamed(message[lineStart..lineEnd], matcher))
            {
                field = SipHeaderEnumerator.CreateField(message[lineStart..lineEnd], lineStart, folded);
                return true;
            }

            int next = message[lineStart..].IndexOf(LF);
            if (next < 0)
            {
                return false;
            }

            lineFeed = lineStart + next;
        }
    }
#else
    public static bool TryFind(ReadOnlySpan<byte> message, ReadOnlySpan<byte> name, out SipHeaderField field) =>
        Vector512.IsHardwareAccelerated ? TryFind<Block512>(message, name, out field)
        : Vector256.IsHardwareAccelerated ? TryFind<Block256>(message, name, out field)
        : TryFind<Block128>(message, name, out field);

    /// <summary>
    /// <see cref="TryFind(ReadOnlySpan{byte}, ReadOnlySpan{byte}, out SipHeaderField)"/> with a given vector
    /// width, so that tests run every width on any hardware (an unaccelerated width is emulated, slowly
    /// but exactly); each width compiles to its own specialised code.
    /// </summary>
    internal static bool TryFind<TBlock>(ReadOnlySpan<byte> message, ReadOnlySpan<byte> name, out SipHeaderField field)
        where TBlock : struct, ILineStartBlock
    {
        field = default;
        if (name.IsEmpty)
        {
            return false;
        }

        var matcher = new HeaderNameMatcher(name);

        // RFC 3261 §7.5: implementations should ignore CRLFs before the start line (the reader does too).
        int lead = 0;
        while (lead < message.Length && message[lead] is CR or LF)
        {
            lead++;
        }

        int startLineEnd = message[lead..].IndexOf(LF);
        if (startLineEnd < 0)
        {
            return false;
        }

        startLineEnd += lead;
        byte first = (byte)(name[0] | LowerCaseBit);
        byte last = (byte)(name[^1] | LowerCaseBit);
        // No compact form: 0 never equals a byte with the lower-case bit set, so nothing matches it.
        byte compact = matcher.Alternate.Length == 1 ? (byte)(matcher.Alternate[0] | LowerCaseBit) : (byte)0;
        if (matcher.Alternate.Length > 1)
        {
            // The name given is the compact form: look for its long form's letters as well.
            first = (byte)(matcher.Alternate[0] | LowerCaseBit);
            last = (byte)(matcher.Alternate[^1] | LowerCaseBit);
            compact = (byte)(name[0] | LowerCaseBit);
        }

        int lastOffset = Math.Max(name.Length, matcher.Alternate.Length);
        const int reach = 1;
        int width = TBlock.Width;
        int lastFullBlock = message.Length - reach - width;
        ref byte start = ref MemoryMarshal.GetReference(message);
        var needles = new Needles(first, last, compact);

        int next = startLineEnd;
        while (next < message.Length)
        {
            ulong bits = 0;
            while (next <= lastFullBlock)
            {
                bits = TBlock.Candidates(ref start, (nuint)next, needles);
                if (bits != 0)
                {
                    break;
                }

                next += width;
            }

            int blockStart = next;
            if (bits != 0)
            {
                next += width;
            }
            else if (next < message.Length - reach && lastFullBlock >= startLineEnd)
            {
                // The last whole block overlaps offsets already tested: drop their bits.
                bits = TBlock.Candidates(ref start, (nuint)lastFullBlock, needles) >> (next - lastFullBlock);
                next = message.Length - reach;
            }
            else
            {
                bits = message[next] == LF ? 1UL : 0UL;
                next++;
            }

            while (bits != 0)
            {
                int lineFeed = blockStart + BitOperations.TrailingZeroCount(bits);
                bits &= bits - 1;
                int lineStart = lineFeed + 1;
                if (lineStart >= message.Length)
                {
                    return false;
                }

                byte b = message[lineStart];
                if (b == LF || (b == CR && lineStart + 1 < message.Length && message[lineStart + 1] == LF))
                {
                    // The empty line: the header section ends without the field.
                    return false;
                }

                // The long name's last letter in place, or the compact letter, before the full match.
                if ((b | LowerCaseBit) != needles.Compact
                    && ((uint)(lineFeed + lastOffset) >= (uint)message.Length || (message[lineFeed + lastOffset] | LowerCaseBit) != needles.Last))
                {
                    continue;
                }

                if (b is SP or HTAB)
                {
                    // A continuation line never starts a field (the reader reads it as part of the one
                    // above). Walking it would re-read the rest of that field from each of its lines,
                    // quadratic in a field folded over many lines; skipped, every field is walked once.
                    continue;
                }

                if (TryReadLine(message, lineStart, out int lineEnd, out bool folded)
                    && IsFieldNamed(message[lineStart..lineEnd], matcher))
                {
                    field = SipHeaderEnumerator.CreateField(message[lineStart..lineEnd], lineStart, folded);
                    return true;
                }
            }
        }

        return false;
    }

#endif

    /// <summary>Whether <paramref name="line"/> is <c>name *(SP / HTAB) ":"</c> for the name or its other form.</summary>
    /// <remarks>The reader checks this for every line; here it is checked for the candidate only.</remarks>
    private static bool IsFieldNamed(ReadOnlySpan<byte> line, in HeaderNameMatcher matcher)
    {
        int nameLength = HeaderNameMatcher.StartsLine(line, matcher.Name) ? matcher.Name.Length
            : HeaderNameMatcher.StartsLine(line, matcher.Alternate) ? matcher.Alternate.Length
            : -1;
        if (nameLength < 0)
        {
            return false;
        }

        int position = nameLength;
        while (position < line.Length && line[position] is SP or HTAB)
        {
            position++;
        }

        return position < line.Length && line[position] == Colon;
    }

    /// <summary>The end of the field starting at <paramref name="lineStart"/>, continuation lines included.</summary>
    private static bool TryReadLine(ReadOnlySpan<byte> message, int lineStart, out int lineEnd, out bool folded)
    {
        folded = false;
        int position = lineStart;
        while (true)
        {
            int lf = message[position..].IndexOf(LF);
            if (lf < 0)
            {
                lineEnd = -1;
                return false;
            }

            position += lf + 1;
            if (position >= message.Length)
            {
                // Whether a continuation line follows is not known yet.
                lineEnd = -1;
                return false;
            }

            if (message[position] is SP or HTAB)
            {
                folded = true;
                continue;
            }

            lineEnd = position;
            return true;
        }
    }

    /// <summary>The letters looked for, lower-case bit set: the long name's first and last, and the compact form (or 0).</summary>
    internal readonly record struct Needles(byte First, byte Last, byte Compact);
#if NET

    /// <summary>
    /// One vector width of the candidate test: one bit per line feed in the block at <c>offset</c>
    /// followed by the name's first letter, the compact form's letter, or a control byte up to CR (the
    /// empty line; rarely a folded line's HTAB).
    /// </summary>
    /// <remarks>
    /// Two loads and a handful of compares per block; the rest of the name is checked per candidate
    /// line, which is cheaper than testing more letters here for every block. The caller keeps every load within the message: <c>offset + Width + 1</c> at most.
    /// </remarks>
    internal interface ILineStartBlock
    {
        /// <summary>Offsets tested per step.</summary>
        static abstract int Width { get; }

        /// <summary>The candidate bits of the block at <paramref name="offset"/>.</summary>
        static abstract ulong Candidates(ref byte start, nuint offset, in Needles needles);
    }

    /// <summary>64 offsets per step (AVX-512).</summary>
    internal readonly struct Block512 : ILineStartBlock
    {
        public static int Width => Vector512<byte>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Candidates(ref byte start, nuint offset, in Needles needles)
        {
            Vector512<byte> next = Vector512.LoadUnsafe(ref start, offset + 1);
            Vector512<byte> folded = next | Vector512.Create(LowerCaseBit);
            Vector512<byte> interesting = Vector512.Equals(folded, Vector512.Create(needles.First))
                | Vector512.Equals(folded, Vector512.Create(needles.Compact))
                | Vector512.LessThanOrEqual(next, Vector512.Create(CR));
            return (Vector512.Equals(Vector512.LoadUnsafe(ref start, offset), Vector512.Create(LF)) & interesting).ExtractMostSignificantBits();
        }
    }

    /// <summary>32 offsets per step (AVX2).</summary>
    internal readonly struct Block256 : ILineStartBlock
    {
        public static int Width => Vector256<byte>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Candidates(ref byte start, nuint offset, in Needles needles)
        {
            Vector256<byte> next = Vector256.LoadUnsafe(ref start, offset + 1);
            Vector256<byte> folded = next | Vector256.Create(LowerCaseBit);
            Vector256<byte> interesting = Vector256.Equals(folded, Vector256.Create(needles.First))
                | Vector256.Equals(folded, Vector256.Create(needles.Compact))
                | Vector256.LessThanOrEqual(next, Vector256.Create(CR));
            return (Vector256.Equals(Vector256.LoadUnsafe(ref start, offset), Vector256.Create(LF)) & interesting).ExtractMostSignificantBits();
        }
    }

    /// <summary>16 offsets per step (SSE2, Arm64 AdvSimd).</summary>
    internal readonly struct Block128 : ILineStartBlock
    {
        public static int Width => Vector128<byte>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Candidates(ref byte start, nuint offset, in Needles needles)
        {
            Vector128<byte> next = Vector128.LoadUnsafe(ref start, offset + 1);
            Vector128<byte> folded = next | Vector128.Create(LowerCaseBit);
            Vector128<byte> interesting = Vector128.Equals(folded, Vector128.Create(needles.First))
                | Vector128.Equals(folded, Vector128.Create(needles.Compact))
                | Vector128.LessThanOrEqual(next, Vector128.Create(CR));
            return (Vector128.Equals(Vector128.LoadUnsafe(ref start, offset), Vector128.Create(LF)) & interesting).ExtractMostSignificantBits();
        }
    }
#endif
}
