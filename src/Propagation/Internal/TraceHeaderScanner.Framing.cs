#if NET
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

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

    internal readonly partial struct Block512
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong FramingBits(ref byte start, nuint offset, out ulong lineFeeds, out ulong carriageReturns)
        {
            Vector512<byte> bytes = Vector512.LoadUnsafe(ref start, offset);
            Vector512<byte> lineFeed = Vector512.Equals(bytes, Vector512.Create(ByteLF));
            Vector512<byte> carriageReturn = Vector512.Equals(bytes, Vector512.Create(ByteCR));
            Vector512<byte> allowed = lineFeed | carriageReturn | Vector512.Equals(bytes, Vector512.Create((byte)'\t'));
            Vector512<byte> controls = Vector512.AndNot(Vector512.LessThan(bytes, Vector512.Create((byte)0x20)), allowed)
                | Vector512.Equals(bytes, Vector512.Create((byte)0x7F));
            lineFeeds = lineFeed.ExtractMostSignificantBits();
            carriageReturns = carriageReturn.ExtractMostSignificantBits();
            return controls.ExtractMostSignificantBits();
        }
    }

    internal readonly partial struct Block256
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong FramingBits(ref byte start, nuint offset, out ulong lineFeeds, out ulong carriageReturns)
        {
            ulong controls = Half(ref start, offset, out uint lowLineFeeds, out uint lowCarriageReturns)
                | ((ulong)Half(ref start, offset + 32, out uint highLineFeeds, out uint highCarriageReturns) << 32);
            lineFeeds = lowLineFeeds | ((ulong)highLineFeeds << 32);
            carriageReturns = lowCarriageReturns | ((ulong)highCarriageReturns << 32);
            return controls;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static uint Half(ref byte start, nuint offset, out uint lineFeeds, out uint carriageReturns)
        {
            Vector256<byte> bytes = Vector256.LoadUnsafe(ref start, offset);
            Vector256<byte> lineFeed = Vector256.Equals(bytes, Vector256.Create(ByteLF));
            Vector256<byte> carriageReturn = Vector256.Equals(bytes, Vector256.Create(ByteCR));
            Vector256<byte> allowed = lineFeed | carriageReturn | Vector256.Equals(bytes, Vector256.Create((byte)'\t'));
            Vector256<byte> controls = Vector256.AndNot(Vector256.LessThan(bytes, Vector256.Create((byte)0x20)), allowed)
                | Vector256.Equals(bytes, Vector256.Create((byte)0x7F));
            lineFeeds = lineFeed.ExtractMostSignificantBits();
            carriageReturns = carriageReturn.ExtractMostSignificantBits();
            return controls.ExtractMostSignificantBits();
        }
    }

    internal readonly partial struct Block128
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static ulong FramingBits(ref byte start, nuint offset, out ulong lineFeeds, out ulong carriageReturns)
        {
            ulong controls = 0;
            lineFeeds = 0;
            carriageReturns = 0;
            for (int quarter = 0; quarter < 4; quarter++)
            {
                Vector128<byte> bytes = Vector128.LoadUnsafe(ref start, offset + (nuint)(quarter * 16));
                Vector128<byte> lineFeed = Vector128.Equals(bytes, Vector128.Create(ByteLF));
                Vector128<byte> carriageReturn = Vector128.Equals(bytes, Vector128.Create(ByteCR));
                Vector128<byte> allowed = lineFeed | carriageReturn | Vector128.Equals(bytes, Vector128.Create((byte)'\t'));
                Vector128<byte> control = Vector128.AndNot(Vector128.LessThan(bytes, Vector128.Create((byte)0x20)), allowed)
                    | Vector128.Equals(bytes, Vector128.Create((byte)0x7F));
                int shift = quarter * 16;
                lineFeeds |= (ulong)lineFeed.ExtractMostSignificantBits() << shift;
                carriageReturns |= (ulong)carriageReturn.ExtractMostSignificantBits() << shift;
                controls |= (ulong)control.ExtractMostSignificantBits() << shift;
            }

            return controls;
        }
    }
}
#endif
