#if NET
using System.Buffers.Binary;
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
#else
using System.Runtime.CompilerServices;
#endif

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
/// <remarks>Not a positional record: its constructor must inline where the scanner builds it (see <c>TryConfirm</c>).</remarks>
internal readonly struct TraceHeaderLine
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public TraceHeaderLine(int prefixIndex, TraceField field, int lineStart, int lineEnd, int valueStart, int valueEnd, bool isFolded)
    {
        PrefixIndex = prefixIndex;
        Field = field;
        LineStart = lineStart;
        LineEnd = lineEnd;
        ValueStart = valueStart;
        ValueEnd = valueEnd;
        IsFolded = isFolded;
    }

    /// <summary>Which configured prefix (precedence order) the name has.</summary>
    public int PrefixIndex { get; }

    /// <summary>traceparent or tracestate.</summary>
    public TraceField Field { get; }

    /// <summary>Offset of the header line's first byte.</summary>
    public int LineStart { get; }

    /// <summary>Offset just past the line's terminator, continuation lines included.</summary>
    public int LineEnd { get; }

    /// <summary>Offset of the value's first byte (after the colon and whitespace).</summary>
    /// <remarks>
    /// From the copying scan (injection, which reads only a line's bounds), a line in the usual layout
    /// has its value untrimmed: from just after the colon to the line feed.
    /// </remarks>
    public int ValueStart { get; }

    /// <summary>Offset just past the value's last non-whitespace byte (see <see cref="ValueStart"/> for the copying scan).</summary>
    public int ValueEnd { get; }

    /// <summary>Whether the value continues on folded lines (RFC 3261 §7.3.1).</summary>
    public bool IsFolded { get; }
}

/// <summary>Room for <see cref="TraceHeaderScanner.MaxTraceHeaders"/> lines, as a local.</summary>
/// <remarks>
/// A fixed-size local rather than <c>stackalloc</c>: a method that allocates on the stack is compiled
/// without tiering, and the JIT then copied its span arguments through memory in a way that stalled
/// the processor (two 8-byte stores read back as one 16-byte load) at every call. Callers skip its
/// zeroing: only the lines the scanner has written (its count) are ever read.
/// </remarks>
#if NET
[InlineArray(TraceHeaderScanner.MaxTraceHeaders)]
internal struct TraceHeaderLines
{
    private TraceHeaderLine _element;
}
#else
// netstandard2.0 has no inline arrays: the same room as fields, for SipRawScan (a ref struct, so on the
// stack, where a span over them is safe); the propagator's locals use stackalloc instead.
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
internal struct TraceHeaderLines
{
#pragma warning disable CS0169, IDE0044, IDE0051 // reached through _element0
    private TraceHeaderLine _element0, _element1, _element2, _element3, _element4, _element5, _element6, _element7,
        _element8, _element9, _element10, _element11, _element12, _element13, _element14, _element15;
#pragma warning restore CS0169, IDE0044, IDE0051

    /// <summary>The lines, for a <see cref="TraceHeaderLines"/> on the stack only (a local or a ref struct's field).</summary>
    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    public unsafe Span<TraceHeaderLine> AsStackSpan() =>
        new(Unsafe.AsPointer(ref _element0), TraceHeaderScanner.MaxTraceHeaders);
}
#endif

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

#if NET
    // Case-insensitive comparisons of short ASCII words read 4 (or 2) bytes at once and set the
    // lower-case bit of each: only the upper- and lower-case forms of a letter map to that letter, so
    // this is exact for words made of letters, and cheaper than a call to the BCL's comparison.
    private const uint LowerCaseBits32 = 0x2020_2020;
    private const uint LowerCaseBits16 = 0x2020;

    // "tracepar" and "tracesta" as little-endian 8-byte words, "rent" (the end of "traceparent",
    // overlapping its "r") as a 4-byte word and "te" as a 2-byte one.
    private const ulong TracePar = 0x7261_7065_6361_7274;
    private const ulong TraceSta = 0x6174_7365_6361_7274;
    private const uint Rent = 't' << 24 | 'n' << 16 | 'e' << 8 | 'r';
    private const ushort Te = 'e' << 8 | 't';
    private const ulong LowerCaseBits64 = 0x2020_2020_2020_2020;

    // The shortest line a hit can start: "tracestate:" and a line feed.
    private const int ShortestLineFromHit = 12;

    // TryConfirm's answer, with UsualLayout, for a line that only the general reader can judge.
    private const int NeedsGeneralReader = -2;

    /// <summary>Which lines the confirmation reads itself, as a type so that each choice compiles to its own code.</summary>
    private interface ILayoutMode
    {
        /// <summary>Whether any prefix and any layout is read (with calls); otherwise only the primary prefix in the usual layout (without).</summary>
        static abstract bool IsGeneral { get; }
    }

    /// <summary>
    /// The primary prefix and the usual layout only: the confirmation loop then makes no call, so the
    /// JIT keeps its values in registers instead of saving them across calls it almost never makes.
    /// </summary>
    private readonly struct UsualLayout : ILayoutMode
    {
        public static bool IsGeneral => false;
    }

    /// <summary>Every prefix and layout.</summary>
    private readonly struct AnyLayout : ILayoutMode
    {
        public static bool IsGeneral => true;
    }

    // A traceparent line as injection writes it: after the colon a space, the value and CR, then the
    // line feed (bit 0 is the byte after the colon).
    private const int UsualTraceParentLineFeedAt = 1 + TraceParent.Length + 1;
    private const ulong UsualTraceParentLineFeed = 1UL << UsualTraceParentLineFeedAt;
    private const ulong UsualTraceParentLineFeeds = (UsualTraceParentLineFeed << 1) - 1;

    /// <summary>
    /// Confirms the trace header whose "trace" is at <paramref name="hit"/> and the trace headers on the
    /// lines right after it, recording them from <c>found[count]</c> on.
    /// </summary>
    /// <remarks>
    /// Trace headers usually come together at the end of the header section, where injection puts them.
    /// So the line right after a confirmed one is tried at once, with the same prefix length, rather
    /// than found by the pass in a block of its own, which costs leaving the pass's loop and a call.
    /// Lines confirmed this way are contiguous
    /// header lines, and a header line holds no empty line, so nothing the pass would have found between
    /// them is skipped.
    /// <para>
    /// Not inlined: the scan's loop stays small, and compiled on its own this method has the inlining
    /// budget for the line test (inlined into the scan, the JIT ran out of budget, called the line's
    /// constructor and copied the result). One call per run rather than per line, as a call costs about
    /// as much as the test of a line.
    /// </para>
    /// <para>
    /// Compiled twice: with <see cref="UsualLayout"/> (the primary prefix, the usual layout) its loop
    /// makes no call, and the first line it cannot judge hands the rest of the run, with the count so
    /// far, to the <see cref="AnyLayout"/> form. With calls in the loop (to the other prefixes and the
    /// general line reader, almost never taken) the JIT kept the loop's values on the stack.
    /// </para>
    /// </remarks>
    /// <param name="message">The message.</param>
    /// <param name="hit">The offset of the first line's "trace".</param>
    /// <param name="prefixes">The prefixes to recognise.</param>
    /// <param name="found">The lines found so far, and room for more.</param>
    /// <param name="count">How many lines <paramref name="found"/> holds from earlier runs.</param>
    /// <param name="confirmed">How many lines of this run are confirmed already (0 from the scan).</param>
    /// <param name="lineEnd">The end of this run's last confirmed line (0 when none).</param>
    /// <param name="runEnd">The end of the run's last line, when any was confirmed.</param>
    /// <returns>How many lines of the run were recorded: 0 when the hit is not a trace header, -1 when <paramref name="found"/> overflowed.</returns>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static int ConfirmRun<TLayout, TCopy>(
        ReadOnlySpan<byte> message,
        int hit,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        int count,
        int confirmed,
        int lineEnd,
        out int runEnd)
        where TLayout : struct, ILayoutMode
        where TCopy : struct, ICopyMode
    {
        // Lines are confirmed straight into the caller's buffer; once that is full, into a local, as a
        // line confirmed there is one too many.
        Unsafe.SkipInit(out TraceHeaderLine overflow);
        int name = hit;
        while (true)
        {
            int index = count + confirmed;
            ref TraceHeaderLine slot = ref index < found.Length ? ref found[index] : ref overflow;

            // The next line's name is found from the line end in a register, not from the line just
            // stored: the next line's reads wait for this, and a read back from memory adds a store's
            // round trip to every line of the run.
            int prefixLength = TryConfirm<TLayout, TCopy>(message, name, prefixes, ref slot, out int nextLineEnd);
            if (prefixLength == NeedsGeneralReader)
            {
                // The rest of the run, from this line, with the general reader. Handed over as the last
                // thing this method does, so that its loop has no call to keep registers across.
                return ConfirmRun<AnyLayout, TCopy>(message, name, prefixes, found, count, confirmed, lineEnd, out runEnd);
            }

            if (prefixLength < 0)
            {
                break;
            }

            if (confirmed > 0 && name - prefixLength != lineEnd)
            {
                // The next line is shorter than the last one's prefix, so the name tried lies on a later
                // line, under another prefix. That line is left to the pass, which would otherwise never
                // see the line in between.
                break;
            }

            if (index == found.Length)
            {
                runEnd = 0;
                return -1;
            }

            confirmed++;
            lineEnd = nextLineEnd;
            name = lineEnd + prefixLength;
            if ((uint)name >= (uint)message.Length || (message[name] | LowerCaseBit) != 't')
            {
                break;
            }
        }

        runEnd = lineEnd;
        return confirmed;
    }

    /// <summary>
    /// Confirms that the candidate "trace" at <paramref name="hit"/> ends a recognised prefix at a line
    /// start, and reads the header into <paramref name="line"/> (left as it was otherwise).
    /// </summary>
    /// <remarks>Inlined into <see cref="ConfirmRun"/>, its only caller, which is compiled on its own.</remarks>
    /// <returns>
    /// The prefix's length (<paramref name="lineEnd"/> is then the line's end), -1 when the hit is not a
    /// trace header, or <see cref="NeedsGeneralReader"/> when only the general reader can tell (with
    /// <see cref="UsualLayout"/>: a prefix other than the primary one, or a line not in the usual layout).
    /// </returns>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int TryConfirm<TLayout, TCopy>(ReadOnlySpan<byte> message, int hit, TraceHeaderPrefixes prefixes, ref TraceHeaderLine line, out int lineEnd)
        where TLayout : struct, ILayoutMode
        where TCopy : struct, ICopyMode
    {
        lineEnd = 0;

        // Every read below up to the colon's offset is within these bytes: "tracestate:" and a line feed.
        if (hit + ShortestLineFromHit > message.Length)
        {
            return -1;
        }

        ref byte name = ref Unsafe.Add(ref MemoryMarshal.GetReference(message), hit);

        ulong word = BinaryPrimitives.ReadUInt64LittleEndian(Checked(ref name, 0, sizeof(ulong))) | LowerCaseBits64;
        TraceField field;
        int position;
        if (word == TracePar && (BinaryPrimitives.ReadUInt32LittleEndian(Checked(ref name, 7, sizeof(uint))) | LowerCaseBits32) == Rent)
        {
            field = TraceField.TraceParent;
            position = hit + 11;
        }
        else if (word == TraceSta && (BinaryPrimitives.ReadUInt16LittleEndian(Checked(ref name, 8, sizeof(ushort))) | LowerCaseBits16) == Te)
        {
            field = TraceField.TraceState;
            position = hit + 10;
        }
        else
        {
            return -1;
        }

        // The name must start a line: the bytes between the line feed and "trace" are a prefix.
        int prefixIndex;
        int prefixLength;
        if (TLayout.IsGeneral)
        {
            prefixIndex = prefixes.MatchBefore(message, hit, out prefixLength);
            if (prefixIndex < 0)
            {
                return -1;
            }
        }
        else if (prefixes.MatchesPrimary(message, hit, out prefixLength))
        {
            prefixIndex = 0;
        }
        else
        {
            return NeedsGeneralReader;
        }

        int lineStart = hit - prefixLength;

        // The usual layout, checked byte by byte: "name: value" and the line's end within the 64 bytes
        // after the colon (position is below hit + 12, within the message), the value with nothing to
        // trim but the one space (not checked by the copying scan), and no folding. Anything else goes
        // to the general reader, which gives the same answer for this layout; checking for it first
        // keeps this path short (it runs for every trace header of every message).
        ulong lineFeeds = (TLayout.IsGeneral ? LineFeedsToEnd(message, position) : LineFeedsFrom(message, position)) >> 1;
        if (Unsafe.Add(ref name, position - hit) == ByteColon && lineFeeds != 0)
        {
            // lineFeeds now starts after the colon; its first line feed ends the line. A traceparent
            // line usually has its fixed length (a space, the value, CRLF): its end is then taken as a
            // constant and the line feeds only confirm it, so that the next line of a run need not
            // wait for this line's vector read.
            int lineFeed = field == TraceField.TraceParent && (lineFeeds & UsualTraceParentLineFeeds) == UsualTraceParentLineFeed
                ? position + 1 + UsualTraceParentLineFeedAt
                : position + 1 + BitOperations.TrailingZeroCount(lineFeeds);
            lineEnd = lineFeed + 1;
            bool unfolded = lineEnd == message.Length || Unsafe.Add(ref name, lineEnd - hit) is not ((byte)' ' or (byte)'\t');
            if (TCopy.Copies)
            {
                // Injection reads a line's bounds only, which the general reader would give the same
                // whatever the value holds (it differs only in folded lines): the value is recorded
                // untrimmed, which spares injection the checks of the value's bounds.
                if (unfolded)
                {
                    line = new TraceHeaderLine(prefixIndex, field, lineStart, lineEnd, position + 1, lineFeed, isFolded: false);
                    return prefixLength;
                }
            }
            else
            {
                int valueStart = Unsafe.Add(ref name, position + 1 - hit) == (byte)' ' ? position + 2 : position + 1;
                int valueEnd = Unsafe.Add(ref name, lineFeed - 1 - hit) == ByteCR ? lineFeed - 1 : lineFeed;
                if (valueStart < valueEnd
                    && Unsafe.Add(ref name, valueStart - hit) is not ((byte)' ' or (byte)'\t' or ByteCR)
                    && Unsafe.Add(ref name, valueEnd - 1 - hit) is not ((byte)' ' or (byte)'\t')
                    && unfolded)
                {
                    line = new TraceHeaderLine(prefixIndex, field, lineStart, lineEnd, valueStart, valueEnd, isFolded: false);
                    return prefixLength;
                }
            }
        }

        if (!TLayout.IsGeneral)
        {
            return NeedsGeneralReader;
        }

        if (!TryReadLine(message, prefixIndex, field, lineStart, position, ref line))
        {
            return -1;
        }

        lineEnd = line.LineEnd;
        return prefixLength;
    }

#endif

    /// <summary>
    /// Reads a confirmed trace header's line in general: whitespace before the colon, a value folded
    /// over several lines, or no line feed at all (not a header).
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static bool TryReadLine(ReadOnlySpan<byte> message, int prefixIndex, TraceField field, int lineStart, int nameEnd, ref TraceHeaderLine line)
    {
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

        // A whitespace-only continuation line leaves a line break at the value's end: LWS, trimmed as the
        // reader trims it. (A CR not followed by LF is no line break; the framing check refuses it.)
        int valueEnd = contentEnd;
        while (valueEnd > valueStart
            && (message[valueEnd - 1] is (byte)' ' or (byte)'\t' or ByteLF || (message[valueEnd - 1] == ByteCR && message[valueEnd] == ByteLF)))
        {
            valueEnd--;
        }

        line = new TraceHeaderLine(prefixIndex, field, lineStart, lineEnd, valueStart, valueEnd, folded);
        return true;
    }

#if NET
    /// <summary>The bytes from <paramref name="offset"/> bytes past <paramref name="at"/> on; the caller has checked that <paramref name="length"/> of them are in the message.</summary>
    /// <remarks>A constant length lets the JIT drop the length checks of the reads that follow.</remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ReadOnlySpan<byte> Checked(ref byte at, int offset, int length) =>
        MemoryMarshal.CreateReadOnlySpan(ref Unsafe.Add(ref at, offset), length);

    /// <summary>
    /// <see cref="LineFeedsFrom"/>, also when fewer than 64 bytes are left, from the message's last 64
    /// bytes (no bits past its end): a trace header is often the last line of a message without a body
    /// (most requests and responses but INVITE's), and the general reader took it otherwise.
    /// </summary>
    /// <remarks>
    /// Only for <see cref="AnyLayout"/>, whose loop makes calls anyway: in the usual layout's loop, the
    /// extra code made the common case, a line with 64 bytes after it, measurably slower (the body-less
    /// case then hands over to the general form, as for any line that form has to judge).
    /// </remarks>
    private static ulong LineFeedsToEnd(ReadOnlySpan<byte> message, int from)
    {
        const int Bytes = 64;
        if (from + Bytes <= message.Length || message.Length < Bytes || from >= message.Length)
        {
            return LineFeedsFrom(message, from);
        }

        int windowStart = message.Length - Bytes;
        return LineFeedsFrom(message, windowStart) >> (from - windowStart);
    }

    /// <summary>
    /// One bit per byte of the 64 from <paramref name="from"/> (bit 0 first) for the line feeds among
    /// them; all zero when fewer than 64 bytes are left or vectors are not accelerated.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong LineFeedsFrom(ReadOnlySpan<byte> message, int from)
    {
        const int Bytes = 64;
        if (from + Bytes > message.Length)
        {
            return 0;
        }

        ref byte at = ref Unsafe.Add(ref MemoryMarshal.GetReference(message), from);
        if (Vector512.IsHardwareAccelerated)
        {
            return Vector512.Equals(Vector512.LoadUnsafe(ref at), Vector512.Create(ByteLF)).ExtractMostSignificantBits();
        }

        if (Vector256.IsHardwareAccelerated)
        {
            Vector256<byte> lineFeed = Vector256.Create(ByteLF);
            return Vector256.Equals(Vector256.LoadUnsafe(ref at), lineFeed).ExtractMostSignificantBits()
                | ((ulong)Vector256.Equals(Vector256.LoadUnsafe(ref at, (nuint)Vector256<byte>.Count), lineFeed).ExtractMostSignificantBits() << Vector256<byte>.Count);
        }

        return 0;
    }
#endif

    /// <summary>The offset of the first line feed at or after <paramref name="from"/>, or -1.</summary>
    /// <remarks>
    /// A request's start line, and a header line's next line, usually end within 64 bytes, so one
    /// inlined window read answers it; the BCL's search is a call, which costs more than the compares here.
    /// </remarks>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int IndexOfLineFeed(ReadOnlySpan<byte> message, int from)
    {
#if NET
        ulong bits = LineFeedsFrom(message, from);
        if (bits != 0)
        {
            return from + BitOperations.TrailingZeroCount(bits);
        }
#endif

        int index = message[from..].IndexOf(ByteLF);
        return index < 0 ? -1 : from + index;
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
            int lf = IndexOfLineFeed(message, position);
            if (lf < 0)
            {
                contentEnd = -1;
                return -1;
            }

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
