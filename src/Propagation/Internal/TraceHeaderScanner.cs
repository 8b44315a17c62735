#if NET
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
#endif

namespace SipTraceContext.Propagation.Internal;

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
/// section. Each hit on the word before the end is then confirmed to be a header name at the start of
/// a line.
/// </para>
/// <para>
/// Line endings: the start line's terminator decides the message's convention. RFC 3261 requires
/// CRLF; bare LF is accepted because some stacks and capture tools emit it.
/// </para>
/// </remarks>
internal static partial class TraceHeaderScanner
{
    /// <summary>The most trace header lines recorded for one message; further ones make the message invalid for extraction.</summary>
    public const int MaxTraceHeaders = 16;

    private const byte ByteCR = (byte)'\r';
    private const byte ByteLF = (byte)'\n';
    private const byte ByteColon = (byte)':';
    private const byte LowerCaseBit = 0x20;
    private const byte NotLowerCaseBit = unchecked((byte)~LowerCaseBit);

    /// <summary>
    /// Scans <paramref name="message"/> and records the trace header lines found, in message order.
    /// </summary>
    /// <param name="message">The raw message.</param>
    /// <param name="prefixes">The name prefixes to recognise, in precedence order.</param>
    /// <param name="found">Receives the lines; at most <see cref="MaxTraceHeaders"/>.</param>
    /// <param name="count">How many lines were found.</param>
    /// <param name="headersEnd">Offset of the empty line that ends the header section.</param>
    /// <param name="lineEnding">The message's line terminator, CRLF or LF.</param>
    /// <returns><c>false</c> when the message has no complete header section or too many trace headers.</returns>
    public static bool TryScan(
        ReadOnlySpan<byte> message,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        out int count,
        out int headersEnd,
        out ReadOnlySpan<byte> lineEnding) =>
        TryScan(message, prefixes, found, default, out count, out headersEnd, out lineEnding, out _);

#if NET
    /// <summary>
    /// <see cref="TryScan(ReadOnlySpan{byte}, TraceHeaderPrefixes, Span{TraceHeaderLine}, out int, out int, out ReadOnlySpan{byte})"/>,
    /// also copying the bytes it reads to <paramref name="copy"/> at the same offsets as it goes (for
    /// injection, which copies the message anyway: the pass has each block in a register already).
    /// </summary>
    /// <param name="message">The raw message.</param>
    /// <param name="prefixes">The name prefixes to recognise, in precedence order.</param>
    /// <param name="found">Receives the lines; at most <see cref="MaxTraceHeaders"/>.</param>
    /// <param name="copy">Empty, or at least as long as <paramref name="message"/>; must not overlap it.</param>
    /// <param name="count">How many lines were found.</param>
    /// <param name="headersEnd">Offset of the empty line that ends the header section.</param>
    /// <param name="lineEnding">The message's line terminator, CRLF or LF.</param>
    /// <param name="copiedEnd">
    /// On success with a copy, how many of the first bytes of <paramref name="copy"/> are the message's:
    /// at least up to the first trace header's line, or to <paramref name="headersEnd"/> when there is
    /// none (the pass skips, and so does not copy, the lines it confirms together); otherwise 0.
    /// </param>
    /// <returns><c>false</c> when the message has no complete header section or too many trace headers.</returns>
    public static bool TryScan(
        ReadOnlySpan<byte> message,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        Span<byte> copy,
        out int count,
        out int headersEnd,
        out ReadOnlySpan<byte> lineEnding,
        out int copiedEnd) =>
        Vector512.IsHardwareAccelerated ? TryScan<Block512>(message, prefixes, found, copy, out count, out headersEnd, out lineEnding, out copiedEnd)
        : Vector256.IsHardwareAccelerated ? TryScan<Block256>(message, prefixes, found, copy, out count, out headersEnd, out lineEnding, out copiedEnd)
        : TryScan<Block128>(message, prefixes, found, copy, out count, out headersEnd, out lineEnding, out copiedEnd);

    /// <summary>
    /// <see cref="TryScan(ReadOnlySpan{byte}, TraceHeaderPrefixes, Span{TraceHeaderLine}, out int, out int, out ReadOnlySpan{byte})"/>
    /// with a given vector width, so that tests run every width on any hardware (an unaccelerated width
    /// is emulated, slowly but exactly); each width compiles to its own specialised code.
    /// </summary>
    internal static bool TryScan<TBlock>(
        ReadOnlySpan<byte> message,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        out int count,
        out int headersEnd,
        out ReadOnlySpan<byte> lineEnding)
        where TBlock : struct, ICandidateBlock =>
        TryScan<TBlock>(message, prefixes, found, default, out count, out headersEnd, out lineEnding, out _);

    /// <summary>The copying scan with a given vector width (see the overload without a copy).</summary>
    internal static bool TryScan<TBlock>(
        ReadOnlySpan<byte> message,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        Span<byte> copy,
        out int count,
        out int headersEnd,
        out ReadOnlySpan<byte> lineEnding,
        out int copiedEnd,
        int startLine = 0)
        where TBlock : struct, ICandidateBlock
    {
        count = 0;
        headersEnd = -1;
        lineEnding = default;
        copiedEnd = 0;
        if (!copy.IsEmpty && copy.Length < message.Length)
        {
            throw new ArgumentException("A copy must have room for the whole message.", nameof(copy));
        }

        int startLineEnd = IndexOfLineFeed(message, startLine);
        if (startLineEnd <= startLine)
        {
            return false;
        }

        bool crlf = message[startLineEnd - 1] == ByteCR;
        lineEnding = crlf ? "\r\n"u8 : "\n"u8;

        // With CRLF the empty line's second line feed is two bytes on, where "trace" has its 'a': as a
        // constant, the JIT loads those bytes once for both tests.
        if (copy.IsEmpty)
        {
            return crlf
                ? ScanHeaderSection<TBlock, CrlfEnding, NoCopy>(message, prefixes, found, default, startLineEnd, ref count, out headersEnd, out _)
                : ScanHeaderSection<TBlock, LfEnding, NoCopy>(message, prefixes, found, default, startLineEnd, ref count, out headersEnd, out _);
        }

        // Copying, the pass starts at the message's first byte and copies the start line with the rest:
        // its first loads then wait for nothing, where from the start line's line feed they wait for the
        // search above. Nothing in the start line can pass for a trace header or the empty line, as both
        // need a line feed before them. Extraction keeps starting at the line feed (from the first byte
        // it tests up to a block more). So does a message shorter than a block, which the pass tests a
        // byte at a time, so that its start line is not tested byte by byte as well. Blank lines before the start line would pass for the empty line, so such a message (rare: a
        // stream's keep-alives) is passed from its start line's line feed too.
        int passStart = message.Length < TBlock.Width + CandidateReach || startLine > 0 ? startLineEnd : 0;
        return crlf
            ? ScanHeaderSection<TBlock, CrlfEnding, CopyBlocks>(message, prefixes, found, copy, passStart, ref count, out headersEnd, out copiedEnd)
            : ScanHeaderSection<TBlock, LfEnding, CopyBlocks>(message, prefixes, found, copy, passStart, ref count, out headersEnd, out copiedEnd);
    }

    /// <summary>
    /// The pass itself, from the start line's line feed (copying, from the first byte): the header
    /// section ends at an empty line, "\n\r\n" (CRLF) or "\n\n" (bare LF), so a message with no
    /// headers at all ends right at that line feed.
    /// </summary>
    /// <remarks>
    /// One pass finds both the trace headers and the empty line: a separate pass for the end (the BCL's
    /// substring search) would cost about as much as the trace search itself. The hot loop tests whole blocks
    /// and carries nothing from one to the next; it leaves only at a block with a hit or a possible
    /// empty line, which a header section has a handful of. Hits are confirmed in message order and
    /// only up to the empty line, so every header recorded is in the header section.
    /// <para>
    /// Not inlined: as its own root its inlining budget always covers the block test. Inlined through
    /// the propagator into a caller that calls it once (as a benchmark or a request handler does), the
    /// JIT ran out of budget and called the test for every block.
    /// </para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool ScanHeaderSection<TBlock, TEnding, TCopy>(
        ReadOnlySpan<byte> message,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        Span<byte> copy,
        int next,
        ref int count,
        out int headersEnd,
        out int copiedEnd)
        where TBlock : struct, ICandidateBlock
        where TEnding : struct, ILineEnding
        where TCopy : struct, ICopyMode
    {
        ref byte start = ref MemoryMarshal.GetReference(message);
        ref byte copyStart = ref MemoryMarshal.GetReference(copy);
        copiedEnd = 0;
        if (TCopy.Copies && next > 0)
        {
            // A message shorter than a block, tested a byte at a time from its start line's line feed.
            ShortCopy.Copy(message[..next], copy);
        }

        int firstOffset = next;
        int lastFullBlock = message.Length - CandidateReach - TBlock.Width;
        int skipTo = next;
        int copiedUpTo = -1;
        while (true)
        {
            // A plain loop with its test up front, left by a break: the JIT then keeps the block test's
            // five vector constants in registers across it. Written as an endless loop left by gotos, it
            // was not recognised as a loop to hoist from, and each block loaded the constants again
            // (five more loads to its three).
            int blockStart;
            ulong hits = 0;
            ulong ends = 0;
            while (next <= lastFullBlock)
            {
                hits = TBlock.Candidates(ref start, (nuint)next, TEnding.TerminatorOffset, out ends);
                if (TCopy.Copies)
                {
                    TBlock.Copy(ref start, ref copyStart, (nuint)next);
                }

                if ((hits | ends) != 0)
                {
                    break;
                }

                next += TBlock.Width;
            }

            if ((hits | ends) != 0)
            {
                blockStart = next;
                next += TBlock.Width;
                goto Found;
            }

            blockStart = next;
            if (next < message.Length - CandidateReach && lastFullBlock >= firstOffset)
            {
                // The last whole block overlaps offsets already tested: drop their bits.
                int overlap = next - lastFullBlock;
                hits = TBlock.Candidates(ref start, (nuint)lastFullBlock, TEnding.TerminatorOffset, out ends) >> overlap;
                if (TCopy.Copies)
                {
                    TBlock.Copy(ref start, ref copyStart, (nuint)lastFullBlock);
                }

                ends >>= overlap;
                next = message.Length - CandidateReach;
            }
            else if (next < message.Length)
            {
                // The last few offsets (or a message shorter than one block), one at a time.
                hits = IsTraceCandidate(message, next) ? 1UL : 0UL;
                ends = IsEndCandidate(message, next, (int)TEnding.TerminatorOffset) ? 1UL : 0UL;
                if (TCopy.Copies)
                {
                    copy[next] = message[next];
                }

                next++;
            }
            else
            {
                // No empty line: the header section is incomplete.
                headersEnd = -1;
                return false;
            }

        Found:
            int end = -1;
            while (ends != 0)
            {
                int lineFeed = blockStart + BitOperations.TrailingZeroCount(ends);
                ends &= ends - 1;
                if (TEnding.TerminatorOffset == 1 || Unsafe.Add(ref start, lineFeed + 1) == ByteCR)
                {
                    // Only hits before the empty line are in the header section.
                    hits &= (1UL << (lineFeed - blockStart)) - 1;
                    end = lineFeed + 1;
                    break;
                }

                // Otherwise a line feed, one byte and another line feed: not an empty line.
            }

            while (hits != 0)
            {
                int hit = blockStart + BitOperations.TrailingZeroCount(hits);
                hits &= hits - 1;
                if (hit < skipTo)
                {
                    // Inside a trace header already confirmed.
                    continue;
                }

                int confirmed = ConfirmRun<UsualLayout, TCopy>(message, hit, prefixes, found, count, 0, 0, out int runEnd);
                if (confirmed == 0)
                {
                    continue;
                }

                if (confirmed < 0)
                {
                    headersEnd = -1;
                    return false;
                }

                count += confirmed;
                skipTo = runEnd;

                // An empty line right after the run ends the section here, without the pass.
                if (IsEmptyLineAt<TEnding>(message, skipTo))
                {
                    // Any hits left are after the empty line.
                    end = skipTo;
                    break;
                }

                if (skipTo - 1 > next)
                {
                    // Resume the pass at the last line's line feed (it may start the empty line). The
                    // bytes skipped are not copied, so the copy is whole only up to here.
                    copiedUpTo = TCopy.Copies && copiedUpTo < 0 ? next : copiedUpTo;
                    next = skipTo - 1;
                }
            }

            if (end >= 0)
            {
                // Every offset before next has been tested (or is inside a confirmed line), and copied
                // unless the pass skipped ahead.
                headersEnd = end;
                copiedEnd = TCopy.Copies ? (copiedUpTo >= 0 ? copiedUpTo : next) : 0;
                return true;
            }
        }
    }

    /// <summary>Whether the empty line (a line terminator on its own) starts at <paramref name="offset"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool IsEmptyLineAt<TEnding>(ReadOnlySpan<byte> message, int offset)
        where TEnding : struct, ILineEnding =>
        TEnding.TerminatorOffset == 1
            ? (uint)offset < (uint)message.Length && message[offset] == ByteLF
            : (uint)(offset + 1) < (uint)message.Length && message[offset] == ByteCR && message[offset + 1] == ByteLF;

    /// <summary>A line terminator convention, as a type so that its length is a constant in the hot loop.</summary>
    private interface ILineEnding
    {
        /// <summary>The distance from an empty line's first line feed to its second.</summary>
        static abstract nuint TerminatorOffset { get; }
    }

    private readonly struct CrlfEnding : ILineEnding
    {
        public static nuint TerminatorOffset => 2;
    }

    private readonly struct LfEnding : ILineEnding
    {
        public static nuint TerminatorOffset => 1;
    }

    /// <summary>
    /// Whether the pass copies what it reads, as a type so that the scan without a copy has no trace of it.
    /// Only injection copies, and it reads no more of a line than where it starts and ends: the usual
    /// layout is then confirmed without the checks of the value's bounds (see <see cref="TraceHeaderLine.ValueStart"/>).
    /// </summary>
    private interface ICopyMode
    {
        /// <summary>Whether each block read is also stored to the copy, and lines are read for their bounds only.</summary>
        static abstract bool Copies { get; }
    }

    private readonly struct NoCopy : ICopyMode
    {
        public static bool Copies => false;
    }

    private readonly struct CopyBlocks : ICopyMode
    {
        public static bool Copies => true;
    }

#endif

    // A candidate test reads up to 4 bytes past the offset (the 'e' of "trace").
    private const int CandidateReach = 4;
#if NET

    /// <summary>
    /// One vector width of the candidate test: one bit per offset of the block at <c>offset</c> that may
    /// start "trace" (its 't', 'a' and 'e' in place, any case), and one per offset that may start the
    /// empty line (a line feed with another one after the terminator).
    /// </summary>
    /// <remarks>
    /// Comparing three letters rather than two keeps false hits (URIs, tokens) near zero. Loads go
    /// through a reference to the message's start: the caller keeps every load below
    /// <c>offset + Width + 4</c>, within the message, so that no load is sliced and bounds-checked.
    /// </remarks>
    internal interface ICandidateBlock
    {
        /// <summary>Offsets tested per step.</summary>
        static abstract int Width { get; }

        /// <summary>The bits of the offsets that may start "trace"; <paramref name="ends"/> gets those that may start the empty line.</summary>
        static abstract ulong Candidates(ref byte start, nuint offset, nuint terminatorOffset, out ulong ends);

        /// <summary>Copies the block at <paramref name="offset"/> to the same offset from <paramref name="destination"/>.</summary>
        static abstract void Copy(ref byte start, ref byte destination, nuint offset);

        /// <summary>
        /// For the 64 bytes at <paramref name="offset"/> (bit 0 first), the control bytes that may not appear
        /// in a header section (all but HTAB, CR and LF), the line feeds, the carriage returns, the bytes
        /// that cannot be in a header name (not <c>token</c>) and the colons.
        /// </summary>
        static abstract FramingMasks FramingBits(ref byte start, nuint offset);
    }

    /// <summary>64 offsets per step (AVX-512).</summary>
    internal readonly partial struct Block512 : ICandidateBlock
    {
        public static int Width => Vector512<byte>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Copy(ref byte start, ref byte destination, nuint offset) =>
            Vector512.LoadUnsafe(ref start, offset).StoreUnsafe(ref destination, offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Candidates(ref byte start, nuint offset, nuint terminatorOffset, out ulong ends)
        {
            if (Avx512F.IsSupported)
            {
                return CandidatesAvx512(ref start, offset, terminatorOffset, out ends);
            }

            // Each test leaves a zero byte where it holds, so each needs one compare per block (the JIT
            // folds each xor/or pair into one ternary-logic instruction where AVX-512 has it). A letter
            // differs from its other case only in the lower-case bit, so the word test ignores that
            // bit once, in its compare, rather than in each of the three bytes.
            Vector512<byte> lf = Vector512.Create(ByteLF);
            Vector512<byte> at = Vector512.LoadUnsafe(ref start, offset);
            Vector512<byte> notTrace = (at ^ Vector512.Create((byte)'t'))
                | (Vector512.LoadUnsafe(ref start, offset + 2) ^ Vector512.Create((byte)'a'))
                | (Vector512.LoadUnsafe(ref start, offset + 4) ^ Vector512.Create((byte)'e'));
            Vector512<byte> notEnd = (at ^ lf) | (Vector512.LoadUnsafe(ref start, offset + terminatorOffset) ^ lf);
            ends = Vector512.Equals(notEnd, Vector512<byte>.Zero).ExtractMostSignificantBits();
            return Vector512.Equals(notTrace & Vector512.Create(NotLowerCaseBit), Vector512<byte>.Zero).ExtractMostSignificantBits();
        }

        /// <summary>
        /// <see cref="Candidates"/> in AVX-512's own instructions, as the pass is bound by its loads: the
        /// 'e' of "trace" comes from the block in a register and a 4-byte load after it (one dword
        /// shift) rather than from a third unaligned 64-byte load, and each test is one ternary-logic
        /// instruction per byte it reads. The lower-case bit is set in the first one, so the word test
        /// compares with that bit alone rather than masking it out before comparing with zero.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static ulong CandidatesAvx512(ref byte start, nuint offset, nuint terminatorOffset, out ulong ends)
        {
            // (a ^ b) | c, and (a ^ c) | (b ^ c), as ternary-logic truth tables over a = 0xF0, b = 0xCC, c = 0xAA.
            const byte XorThenOr = 0xBE;
            const byte BothDifferFromThird = 0x7E;
            Vector512<byte> lf = Vector512.Create(ByteLF);
            Vector512<byte> lowerCase = Vector512.Create(LowerCaseBit);
            Vector512<byte> at = Vector512.LoadUnsafe(ref start, offset);
            Vector512<byte> atTwo = Vector512.LoadUnsafe(ref start, offset + 2);
            Vector512<uint> after = Vector512.Create(Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, offset + (nuint)Vector512<byte>.Count)));
            Vector512<byte> atFour = Avx512F.AlignRight32(after, at.AsUInt32(), 1).AsByte();
            Vector512<byte> notTrace = Avx512F.TernaryLogic(at, Vector512.Create((byte)'t'), lowerCase, XorThenOr);
            notTrace = Avx512F.TernaryLogic(atTwo, Vector512.Create((byte)'a'), notTrace, XorThenOr);
            notTrace = Avx512F.TernaryLogic(atFour, Vector512.Create((byte)'e'), notTrace, XorThenOr);
            Vector512<byte> terminator = terminatorOffset == 2 ? atTwo : Vector512.LoadUnsafe(ref start, offset + terminatorOffset);
            ends = Vector512.Equals(Avx512F.TernaryLogic(at, terminator, lf, BothDifferFromThird), Vector512<byte>.Zero).ExtractMostSignificantBits();
            return Vector512.Equals(notTrace, lowerCase).ExtractMostSignificantBits();
        }
    }

    /// <summary>32 offsets per step (AVX2).</summary>
    internal readonly partial struct Block256 : ICandidateBlock
    {
        public static int Width => Vector256<byte>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Copy(ref byte start, ref byte destination, nuint offset) =>
            Vector256.LoadUnsafe(ref start, offset).StoreUnsafe(ref destination, offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Candidates(ref byte start, nuint offset, nuint terminatorOffset, out ulong ends)
        {
            Vector256<byte> lf = Vector256.Create(ByteLF);
            Vector256<byte> at = Vector256.LoadUnsafe(ref start, offset);
            Vector256<byte> notTrace = (at ^ Vector256.Create((byte)'t'))
                | (Vector256.LoadUnsafe(ref start, offset + 2) ^ Vector256.Create((byte)'a'))
                | (Vector256.LoadUnsafe(ref start, offset + 4) ^ Vector256.Create((byte)'e'));
            Vector256<byte> notEnd = (at ^ lf) | (Vector256.LoadUnsafe(ref start, offset + terminatorOffset) ^ lf);
            ends = Vector256.Equals(notEnd, Vector256<byte>.Zero).ExtractMostSignificantBits();
            return Vector256.Equals(notTrace & Vector256.Create(NotLowerCaseBit), Vector256<byte>.Zero).ExtractMostSignificantBits();
        }
    }

    /// <summary>16 offsets per step (SSE2, Arm64 AdvSimd).</summary>
    internal readonly partial struct Block128 : ICandidateBlock
    {
        public static int Width => Vector128<byte>.Count;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Copy(ref byte start, ref byte destination, nuint offset) =>
            Vector128.LoadUnsafe(ref start, offset).StoreUnsafe(ref destination, offset);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong Candidates(ref byte start, nuint offset, nuint terminatorOffset, out ulong ends)
        {
            Vector128<byte> lf = Vector128.Create(ByteLF);
            Vector128<byte> at = Vector128.LoadUnsafe(ref start, offset);
            Vector128<byte> notTrace = (at ^ Vector128.Create((byte)'t'))
                | (Vector128.LoadUnsafe(ref start, offset + 2) ^ Vector128.Create((byte)'a'))
                | (Vector128.LoadUnsafe(ref start, offset + 4) ^ Vector128.Create((byte)'e'));
            Vector128<byte> notEnd = (at ^ lf) | (Vector128.LoadUnsafe(ref start, offset + terminatorOffset) ^ lf);
            ends = Vector128.Equals(notEnd, Vector128<byte>.Zero).ExtractMostSignificantBits();
            return Vector128.Equals(notTrace & Vector128.Create(NotLowerCaseBit), Vector128<byte>.Zero).ExtractMostSignificantBits();
        }
    }

#endif

    /// <summary>The scalar form of the "trace" test of <c>ICandidateBlock.Candidates</c>, bounds-checked.</summary>
    private static bool IsTraceCandidate(ReadOnlySpan<byte> message, int offset) =>
        (message[offset] | LowerCaseBit) == 't' && offset + CandidateReach < message.Length;

    /// <summary>The scalar form of the empty-line test of <c>ICandidateBlock.Candidates</c>, bounds-checked.</summary>
    private static bool IsEndCandidate(ReadOnlySpan<byte> message, int offset, int terminatorOffset) =>
        message[offset] == ByteLF && offset + terminatorOffset < message.Length && message[offset + terminatorOffset] == ByteLF;
}
