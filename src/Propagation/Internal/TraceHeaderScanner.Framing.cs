#if NET
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace SipTraceContext.Propagation.Internal;

/// <summary>The scan the raw propagator acts on: the trace headers, only where the reader frames the message the same way.</summary>
internal static partial class TraceHeaderScanner
{
    /// <summary>
    /// Scans <paramref name="message"/> for its trace headers, as
    /// <see cref="TryScan(ReadOnlySpan{byte}, TraceHeaderPrefixes, Span{TraceHeaderLine}, Span{byte}, out int, out int, out ReadOnlySpan{byte}, out int)"/>,
    /// after the blank lines the reader skips before the start line, and checks that
    /// <see cref="SipTraceContext.Sip.SipMessageReader"/> frames the message exactly as the scan did
    /// (<see cref="ReaderFraming"/>).
    /// </summary>
    /// <param name="message">The raw message.</param>
    /// <param name="prefixes">The name prefixes to recognise, in precedence order.</param>
    /// <param name="found">Receives the lines; at most <see cref="MaxTraceHeaders"/>.</param>
    /// <param name="copy">Empty, or at least as long as <paramref name="message"/>; must not overlap it.</param>
    /// <param name="count">How many lines were found.</param>
    /// <param name="headersEnd">Offset of the empty line that ends the header section.</param>
    /// <param name="lineEnding">The message's line terminator, CRLF or LF.</param>
    /// <param name="copiedEnd">As for the copying scan.</param>
    /// <returns>
    /// How far the message may be acted on: <see cref="MessageFraming.Refused"/> when it has no complete
    /// header section, too many trace headers, or a framing the reader does not share.
    /// </returns>
    public static MessageFraming ScanMessage(
        ReadOnlySpan<byte> message,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        Span<byte> copy,
        out int count,
        out int headersEnd,
        out ReadOnlySpan<byte> lineEnding,
        out int copiedEnd) =>
        Vector512.IsHardwareAccelerated ? ScanMessage<Block512>(message, prefixes, found, copy, out count, out headersEnd, out lineEnding, out copiedEnd)
        : Vector256.IsHardwareAccelerated ? ScanMessage<Block256>(message, prefixes, found, copy, out count, out headersEnd, out lineEnding, out copiedEnd)
        : ScanMessage<Block128>(message, prefixes, found, copy, out count, out headersEnd, out lineEnding, out copiedEnd);

    /// <summary>The scan (no copy) from the start line at <paramref name="startLine"/>, at the widest accelerated width.</summary>
    private static bool TryScanFrom(ReadOnlySpan<byte> message, int startLine, TraceHeaderPrefixes prefixes, Span<TraceHeaderLine> found, out int count, out int headersEnd, out ReadOnlySpan<byte> lineEnding) =>
        Vector512.IsHardwareAccelerated ? TryScan<Block512>(message, prefixes, found, default, out count, out headersEnd, out lineEnding, out _, startLine)
        : Vector256.IsHardwareAccelerated ? TryScan<Block256>(message, prefixes, found, default, out count, out headersEnd, out lineEnding, out _, startLine)
        : TryScan<Block128>(message, prefixes, found, default, out count, out headersEnd, out lineEnding, out _, startLine);

    /// <summary><see cref="ScanMessage"/> with a given vector width, so that tests run every width on any hardware.</summary>
    internal static MessageFraming ScanMessage<TBlock>(
        ReadOnlySpan<byte> message,
        TraceHeaderPrefixes prefixes,
        Span<TraceHeaderLine> found,
        Span<byte> copy,
        out int count,
        out int headersEnd,
        out ReadOnlySpan<byte> lineEnding,
        out int copiedEnd)
        where TBlock : struct, ICandidateBlock
    {
        int startLine = ReaderFraming.StartLineOffset(message);
        if (startLine < 0
            || !TryScan<TBlock>(message, prefixes, found, copy, out count, out headersEnd, out lineEnding, out copiedEnd, startLine))
        {
            count = 0;
            headersEnd = -1;
            lineEnding = default;
            copiedEnd = 0;
            return MessageFraming.Refused;
        }

        MessageFraming framing = ReaderFraming.Check<TBlock>(message, startLine, headersEnd, lineEnding.Length == 2);
        if (framing == MessageFraming.Refused)
        {
            count = 0;
            headersEnd = -1;
            copiedEnd = 0;
        }

        return framing;
    }

    // One lookup classifies a byte: the entry of its high nibble (one bit per row 0x0_ to 0x7_; none from
    // 0x80) ANDed with the entry of its low nibble. Bits 0x01-0x20 (rows 0x2_-0x7_) mark token characters
    // (RFC 3261 header names: alphanum and -.!%*_+`'~); bits 0x40 and 0x80 (rows 0x0_ and 0x1_) mark the
    // control bytes a header section may not hold (all of 0x00-0x1F but HTAB, LF and CR). DEL (0x7F),
    // the one other such byte, is compared on its own.
    private const byte TokenClasses = 0x3F;
    private const byte ForbiddenControlClasses = 0xC0;

    private static Vector128<byte> ClassesByLowNibble => Vector128.Create(
        (byte)0xFA, 0xFF, 0xFE, 0xFE, 0xFE, 0xFF, 0xFE, 0xFF, 0xFE, 0xBE, 0xBD, 0xD5, 0xD4, 0x95, 0xF5, 0xDC);

    private static Vector128<byte> ClassesByHighNibble => Vector128.Create(
        (byte)0x40, 0x80, 0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0, 0, 0, 0, 0, 0, 0, 0);

    // The tables once per 128-bit lane (the shuffles look up within each lane), as fields: built in the
    // method, the JIT assembled them again for every block.
    private static readonly Vector256<byte> s_classesByLowNibble256 = Vector256.Create(ClassesByLowNibble, ClassesByLowNibble);
    private static readonly Vector256<byte> s_classesByHighNibble256 = Vector256.Create(ClassesByHighNibble, ClassesByHighNibble);
    private static readonly Vector512<byte> s_classesByLowNibble512 = Vector512.Create(s_classesByLowNibble256, s_classesByLowNibble256);
    private static readonly Vector512<byte> s_classesByHighNibble512 = Vector512.Create(s_classesByHighNibble256, s_classesByHighNibble256);

    internal readonly partial struct Block512
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static FramingMasks FramingBits(ref byte start, nuint offset)
        {
            Vector512<byte> bytes = Vector512.LoadUnsafe(ref start, offset);
            ulong lineFeeds = Vector512.Equals(bytes, Vector512.Create(ByteLF)).ExtractMostSignificantBits();
            ulong carriageReturns = Vector512.Equals(bytes, Vector512.Create(ByteCR)).ExtractMostSignificantBits();
            ulong delete = Vector512.Equals(bytes, Vector512.Create((byte)0x7F)).ExtractMostSignificantBits();
            ulong colons = Vector512.Equals(bytes, Vector512.Create((byte)':')).ExtractMostSignificantBits();
            if (Avx512BW.IsSupported)
            {
                Vector512<byte> nibble = Vector512.Create((byte)0x0F);
                Vector512<byte> classes = Avx512BW.Shuffle(s_classesByLowNibble512, bytes & nibble)
                    & Avx512BW.Shuffle(s_classesByHighNibble512, Vector512.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & nibble);
                return new FramingMasks(
                    ~Vector512.Equals(classes & Vector512.Create(ForbiddenControlClasses), Vector512<byte>.Zero).ExtractMostSignificantBits() | delete,
                    lineFeeds,
                    carriageReturns,
                    Vector512.Equals(classes & Vector512.Create(TokenClasses), Vector512<byte>.Zero).ExtractMostSignificantBits(),
                    colons);
            }

            ulong tabs = Vector512.Equals(bytes, Vector512.Create((byte)'\t')).ExtractMostSignificantBits();
            ulong low = Vector512.LessThan(bytes, Vector512.Create((byte)0x20)).ExtractMostSignificantBits();
            return new FramingMasks((low & ~(lineFeeds | carriageReturns | tabs)) | delete, lineFeeds, carriageReturns, ~IsToken(bytes).ExtractMostSignificantBits(), colons);
        }

        // token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~"), by ranges.
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector512<byte> IsToken(Vector512<byte> bytes) =>
            Vector512.LessThanOrEqual((bytes | Vector512.Create((byte)0x20)) - Vector512.Create((byte)'a'), Vector512.Create((byte)25))
            | Vector512.LessThanOrEqual(bytes - Vector512.Create((byte)'0'), Vector512.Create((byte)9))
            | Vector512.LessThanOrEqual(bytes - Vector512.Create((byte)'*'), Vector512.Create((byte)1))
            | Vector512.LessThanOrEqual(bytes - Vector512.Create((byte)'-'), Vector512.Create((byte)1))
            | Vector512.LessThanOrEqual(bytes - Vector512.Create((byte)'_'), Vector512.Create((byte)1))
            | Vector512.Equals(bytes, Vector512.Create((byte)'!'))
            | Vector512.Equals(bytes, Vector512.Create((byte)'%'))
            | Vector512.Equals(bytes, Vector512.Create((byte)'\''))
            | Vector512.Equals(bytes, Vector512.Create((byte)'~'));
    }

    internal readonly partial struct Block256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static FramingMasks FramingBits(ref byte start, nuint offset)
        {
            ulong controls = Half(ref start, offset, out uint lowLineFeeds, out uint lowCarriageReturns, out uint lowNonToken, out uint lowColons)
                | ((ulong)Half(ref start, offset + 32, out uint highLineFeeds, out uint highCarriageReturns, out uint highNonToken, out uint highColons) << 32);
            return new FramingMasks(
                controls,
                lowLineFeeds | ((ulong)highLineFeeds << 32),
                lowCarriageReturns | ((ulong)highCarriageReturns << 32),
                lowNonToken | ((ulong)highNonToken << 32),
                lowColons | ((ulong)highColons << 32));
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static uint Half(ref byte start, nuint offset, out uint lineFeeds, out uint carriageReturns, out uint nonToken, out uint colons)
        {
            Vector256<byte> bytes = Vector256.LoadUnsafe(ref start, offset);
            colons = Vector256.Equals(bytes, Vector256.Create((byte)':')).ExtractMostSignificantBits();
            lineFeeds = Vector256.Equals(bytes, Vector256.Create(ByteLF)).ExtractMostSignificantBits();
            carriageReturns = Vector256.Equals(bytes, Vector256.Create(ByteCR)).ExtractMostSignificantBits();
            uint delete = Vector256.Equals(bytes, Vector256.Create((byte)0x7F)).ExtractMostSignificantBits();
            if (Avx2.IsSupported)
            {
                Vector256<byte> nibble = Vector256.Create((byte)0x0F);
                Vector256<byte> classes = Avx2.Shuffle(s_classesByLowNibble256, bytes & nibble)
                    & Avx2.Shuffle(s_classesByHighNibble256, Vector256.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & nibble);
                nonToken = Vector256.Equals(classes & Vector256.Create(TokenClasses), Vector256<byte>.Zero).ExtractMostSignificantBits();
                return ~Vector256.Equals(classes & Vector256.Create(ForbiddenControlClasses), Vector256<byte>.Zero).ExtractMostSignificantBits() | delete;
            }

            uint tabs = Vector256.Equals(bytes, Vector256.Create((byte)'\t')).ExtractMostSignificantBits();
            uint low = Vector256.LessThan(bytes, Vector256.Create((byte)0x20)).ExtractMostSignificantBits();
            nonToken = ~IsToken(bytes).ExtractMostSignificantBits();
            return (low & ~(lineFeeds | carriageReturns | tabs)) | delete;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector256<byte> IsToken(Vector256<byte> bytes) =>
            Vector256.LessThanOrEqual((bytes | Vector256.Create((byte)0x20)) - Vector256.Create((byte)'a'), Vector256.Create((byte)25))
            | Vector256.LessThanOrEqual(bytes - Vector256.Create((byte)'0'), Vector256.Create((byte)9))
            | Vector256.LessThanOrEqual(bytes - Vector256.Create((byte)'*'), Vector256.Create((byte)1))
            | Vector256.LessThanOrEqual(bytes - Vector256.Create((byte)'-'), Vector256.Create((byte)1))
            | Vector256.LessThanOrEqual(bytes - Vector256.Create((byte)'_'), Vector256.Create((byte)1))
            | Vector256.Equals(bytes, Vector256.Create((byte)'!'))
            | Vector256.Equals(bytes, Vector256.Create((byte)'%'))
            | Vector256.Equals(bytes, Vector256.Create((byte)'\''))
            | Vector256.Equals(bytes, Vector256.Create((byte)'~'));
    }

    internal readonly partial struct Block128
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static FramingMasks FramingBits(ref byte start, nuint offset)
        {
            ulong controls = 0;
            ulong lineFeeds = 0;
            ulong carriageReturns = 0;
            ulong nonToken = 0;
            ulong colons = 0;
            for (int quarter = 0; quarter < 4; quarter++)
            {
                Vector128<byte> bytes = Vector128.LoadUnsafe(ref start, offset + (nuint)(quarter * 16));
                uint lineFeed = Vector128.Equals(bytes, Vector128.Create(ByteLF)).ExtractMostSignificantBits();
                uint carriageReturn = Vector128.Equals(bytes, Vector128.Create(ByteCR)).ExtractMostSignificantBits();
                uint delete = Vector128.Equals(bytes, Vector128.Create((byte)0x7F)).ExtractMostSignificantBits();
                uint colon = Vector128.Equals(bytes, Vector128.Create((byte)':')).ExtractMostSignificantBits();
                uint control;
                uint token;
                if (Ssse3.IsSupported)
                {
                    Vector128<byte> nibble = Vector128.Create((byte)0x0F);
                    Vector128<byte> classes = Ssse3.Shuffle(ClassesByLowNibble, bytes & nibble)
                        & Ssse3.Shuffle(ClassesByHighNibble, Vector128.ShiftRightLogical(bytes.AsUInt16(), 4).AsByte() & nibble);
                    token = ~Vector128.Equals(classes & Vector128.Create(TokenClasses), Vector128<byte>.Zero).ExtractMostSignificantBits() & 0xFFFF;
                    control = (~Vector128.Equals(classes & Vector128.Create(ForbiddenControlClasses), Vector128<byte>.Zero).ExtractMostSignificantBits() & 0xFFFF) | delete;
                }
                else
                {
                    uint tabs = Vector128.Equals(bytes, Vector128.Create((byte)'\t')).ExtractMostSignificantBits();
                    uint low = Vector128.LessThan(bytes, Vector128.Create((byte)0x20)).ExtractMostSignificantBits();
                    token = IsToken(bytes).ExtractMostSignificantBits();
                    control = (low & ~(lineFeed | carriageReturn | tabs)) | delete;
                }

                int shift = quarter * 16;
                lineFeeds |= (ulong)lineFeed << shift;
                carriageReturns |= (ulong)carriageReturn << shift;
                controls |= (ulong)control << shift;
                nonToken |= (ulong)(~token & 0xFFFF) << shift;
                colons |= (ulong)colon << shift;
            }

            return new FramingMasks(controls, lineFeeds, carriageReturns, nonToken, colons);
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static Vector128<byte> IsToken(Vector128<byte> bytes) =>
            Vector128.LessThanOrEqual((bytes | Vector128.Create((byte)0x20)) - Vector128.Create((byte)'a'), Vector128.Create((byte)25))
            | Vector128.LessThanOrEqual(bytes - Vector128.Create((byte)'0'), Vector128.Create((byte)9))
            | Vector128.LessThanOrEqual(bytes - Vector128.Create((byte)'*'), Vector128.Create((byte)1))
            | Vector128.LessThanOrEqual(bytes - Vector128.Create((byte)'-'), Vector128.Create((byte)1))
            | Vector128.LessThanOrEqual(bytes - Vector128.Create((byte)'_'), Vector128.Create((byte)1))
            | Vector128.Equals(bytes, Vector128.Create((byte)'!'))
            | Vector128.Equals(bytes, Vector128.Create((byte)'%'))
            | Vector128.Equals(bytes, Vector128.Create((byte)'\''))
            | Vector128.Equals(bytes, Vector128.Create((byte)'~'));
    }
}
#endif
