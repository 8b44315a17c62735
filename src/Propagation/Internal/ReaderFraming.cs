using System.Buffers;
using System.Numerics;
using System.Runtime.CompilerServices;
#if NET
using System.Runtime.InteropServices;
#endif
using System.Text;
using SipTraceContext.Sip;

namespace SipTraceContext.Propagation.Internal;

/// <summary>How much of a message the raw propagator may act on, after <c>ReaderFraming.Check</c>.</summary>
internal enum MessageFraming : byte
{
    /// <summary><see cref="SipMessageReader"/> would reject the message or frame it differently: act on nothing.</summary>
    Refused,

    /// <summary>
    /// The reader frames the start line, every header line and the empty line exactly as the scanner did,
    /// but the body is shorter or longer than its Content-Length: the header section may be read (extract),
    /// not rewritten (inject, strip).
    /// </summary>
    HeaderSection,

    /// <summary>As <see cref="HeaderSection"/>, and the input is exactly one whole message, body included.</summary>
    WholeMessage,
}

/// <summary>The bits of 64 bytes of a header section (bit 0 first), by what the framing check looks for.</summary>
/// <remarks>Returned by value rather than through <c>out</c> parameters, which kept them in memory in the block loop.</remarks>
internal readonly struct FramingMasks
{
    public FramingMasks(ulong controls, ulong lineFeeds, ulong carriageReturns, ulong nonToken, ulong colons)
    {
        Controls = controls;
        LineFeeds = lineFeeds;
        CarriageReturns = carriageReturns;
        NonToken = nonToken;
        Colons = colons;
    }

    /// <summary>Control bytes a header section may not hold: all but HTAB, CR and LF.</summary>
    public ulong Controls { get; }

    /// <summary>Line feeds.</summary>
    public ulong LineFeeds { get; }

    /// <summary>Carriage returns.</summary>
    public ulong CarriageReturns { get; }

    /// <summary>Bytes that cannot be in a header name (not <c>token</c>).</summary>
    public ulong NonToken { get; }

    /// <summary>Colons.</summary>
    public ulong Colons { get; }

    /// <summary>The bits of the bytes from <paramref name="shift"/> on, as if they were the first.</summary>
    public FramingMasks ShiftedRight(int shift) =>
        new(Controls >> shift, LineFeeds >> shift, CarriageReturns >> shift, NonToken >> shift, Colons >> shift);
}

/// <summary>
/// Checks that <see cref="SipMessageReader"/> (with its default limits) reads a message exactly as the
/// trace header scanner did: the same start line, header section, header lines and body. The raw
/// propagator acts on a message only when it does: a trust boundary must never strip, inject or extract
/// from bytes that another SIP parser reads differently (SPEC §7).
/// </summary>
/// <remarks>
/// <para>
/// The scanner finds the empty line by the start line's convention alone (CRLF, or bare LF), while the
/// reader accepts either on every line and skips blank lines before the start line. Those two readings
/// agree exactly when every line of the header section ends the way the start line does, no CR stands
/// alone and no other control byte appears: a message that mixes line endings is valid SIP for the
/// reader but is refused here (the raw APIs return <see langword="false"/>; the reader-based carrier
/// path still handles it).
/// </para>
/// <para>
/// The rest repeats the reader's grammar and limits (start line, header names, continuation lines,
/// header count, line and section length, Content-Length and the body it frames), so that the raw APIs
/// refuse what the reader refuses. One vectorized pass classifies each 64-byte block of the header
/// section once. The usual header line (a token name, then its colon) is checked for all the lines of a
/// block at once, by arithmetic on the block's bits; only the other lines (the start line, the empty
/// line, continuation lines, whitespace before a colon) and Content-Length are read one by one. The
/// property tests in <c>ReaderAgreementProperties</c> compare this with the reader on generated messages.
/// </para>
/// </remarks>
internal static class ReaderFraming
{
    private const byte CR = (byte)'\r';
    private const byte LF = (byte)'\n';
    private const byte SP = (byte)' ';
    private const byte HTAB = (byte)'\t';
    private const byte Colon = (byte)':';
    private const int BlockBytes = 64;

    // token (RFC 3261 §25.1): header names and methods.
    private static readonly SearchValues<byte> s_tokenBytes =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~"u8);

    /// <summary>
    /// The offset of the start line: past the blank lines (CRLF or bare LF) that the reader skips before
    /// it (RFC 3261 §7.5), or -1 when a CR stands alone among them or nothing else follows.
    /// </summary>
    public static int StartLineOffset(ReadOnlySpan<byte> message)
    {
        int position = 0;
        while (position < message.Length)
        {
            byte b = message[position];
            if (b == LF)
            {
                position++;
            }
            else if (b == CR)
            {
                if (position + 1 == message.Length || message[position + 1] != LF)
                {
                    return -1;
                }

                position += 2;
            }
            else
            {
                return position;
            }
        }

        return -1;
    }

    /// <summary>
    /// Checks the framing of a message whose start line begins at <paramref name="startLine"/> and whose
    /// empty line the scanner found at <paramref name="headersEnd"/>.
    /// </summary>
    /// <param name="message">The whole input.</param>
    /// <param name="startLine">From <see cref="StartLineOffset"/>.</param>
    /// <param name="headersEnd">The offset of the empty line, by the start line's convention.</param>
    /// <param name="crlf">Whether the start line ends with CRLF (otherwise a bare LF).</param>
    /// <remarks>
    /// <para>
    /// The lines of a block, all at once: a line starts at the byte after a line feed, and adding the
    /// line starts to the token bits carries each start through the token bytes after it, leaving one
    /// bit on the byte that ends the line's name (the addition's carry goes on to the next block, for a
    /// name that crosses into it). A usual header line's name is not empty and ends at a colon. The
    /// other lines, and the names 1 or 14 bytes long (Content-Length's short and long forms), are left
    /// to <see cref="UnusualLines.Check"/>.
    /// </para>
    /// <para>
    /// Not inlined: compiled as its own root it has the inlining budget for the block test; inlined
    /// into the propagator's methods, the JIT ran out of budget and called it (and the vector helpers
    /// under it) for every block, passing vectors through memory.
    /// </para>
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
#if NET
    public static MessageFraming Check<TBlock>(ReadOnlySpan<byte> message, int startLine, int headersEnd, bool crlf)
        where TBlock : struct, TraceHeaderScanner.ICandidateBlock
#else
    // netstandard2.0: every block's bits one byte at a time (the vector build's tail path).
    public static MessageFraming Check(ReadOnlySpan<byte> message, int startLine, int headersEnd, bool crlf)
#endif
    {
        int terminator = crlf ? 2 : 1;
        int bodyOffset = headersEnd + terminator;
        if (startLine < 0 || headersEnd <= startLine || bodyOffset > message.Length || bodyOffset > SipReaderLimits.DefaultMaxHeaderSectionBytes)
        {
            return MessageFraming.Refused;
        }

        // The start line, on its own: the block loop then makes no call but for the rare lines.
        int startLineFeed = message[startLine..bodyOffset].IndexOf(LF);
        int startLineLength = startLineFeed + 1 - terminator;
        if (startLineFeed < 0 || startLineLength > SipReaderLimits.DefaultMaxLineLength || !IsStartLine(message.Slice(startLine, startLineLength)))
        {
            return MessageFraming.Refused;
        }

        var lines = new UnusualLines(headersEnd, firstHeaderLine: startLine + startLineLength + terminator);
        var blocks = new Blocks(startLine);
#if NET
        ref byte start = ref MemoryMarshal.GetReference(message);
#endif
        while (true)
        {
            // The whole blocks with usual lines only, up to one with lines to read one by one.
#if NET
            if (!TryReadUsualBlocks<TBlock>(message, bodyOffset, crlf, ref blocks))
#else
            if (!TryReadUsualBlocks(message, bodyOffset, crlf, ref blocks))
#endif
            {
                return MessageFraming.Refused;
            }

            int offset = blocks.Offset;
            if (offset >= bodyOffset)
            {
                break;
            }

            // That block, or the last bytes (fewer than a block).
            int count = Math.Min(BlockBytes, bodyOffset - offset);
            FramingMasks masks;
#if NET
            if (message.Length >= BlockBytes)
            {
                // Near the end of a short body-less message, its last 64 bytes, shifted.
                int window = Math.Min(offset, message.Length - BlockBytes);
                masks = TBlock.FramingBits(ref start, (nuint)window).ShiftedRight(offset - window);
            }
            else
#endif
            {
                masks = ScalarFramingBits(message[offset..]);
            }

            int openLineStart = blocks.OpenLineStart;
            if (!blocks.TryRead(masks, count, crlf, stopAtUnusualLines: false, out ulong lineFeeds, out ulong unusual, out ulong contentLengthNames)
                || ((unusual | contentLengthNames) != 0 && !lines.Check(message, offset, lineFeeds, openLineStart, unusual, contentLengthNames)))
            {
                return MessageFraming.Refused;
            }
        }

        // Every line start but the empty line's and the continuation lines' starts a header line.
        if (blocks.PendingCarriageReturn != 0 || !lines.IsComplete
            || blocks.LineStartCount - lines.NonHeaderLines > SipReaderLimits.DefaultMaxHeaderCount)
        {
            return MessageFraming.Refused;
        }

        return lines.FrameBody(message, bodyOffset);
    }

    /// <summary>
    /// Reads the whole blocks from <c>blocks.Offset</c> on that end within the header section, up to the
    /// first one with lines to read one by one, which is left unread.
    /// </summary>
    /// <returns><see langword="false"/> when a block breaks the framing.</returns>
    /// <remarks>
    /// Not inlined, and without calls: the loop then keeps what it carries from block to block in
    /// registers (a local copy, written back once), which a loop with calls did not.
    /// </remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
#if NET
    private static bool TryReadUsualBlocks<TBlock>(ReadOnlySpan<byte> message, int bodyOffset, bool crlf, ref Blocks blocks)
        where TBlock : struct, TraceHeaderScanner.ICandidateBlock
#else
    private static bool TryReadUsualBlocks(ReadOnlySpan<byte> message, int bodyOffset, bool crlf, ref Blocks blocks)
#endif
    {
#if NET
        ref byte start = ref MemoryMarshal.GetReference(message);
#endif
        Blocks local = blocks;
        bool framed = true;
        while (local.Offset + BlockBytes <= bodyOffset)
        {
#if NET
            FramingMasks masks = TBlock.FramingBits(ref start, (nuint)local.Offset);
#else
            FramingMasks masks = ScalarFramingBits(message.Slice(local.Offset, BlockBytes));
#endif
            if (!local.TryRead(masks, BlockBytes, crlf, stopAtUnusualLines: true, out _, out ulong unusual, out ulong contentLengthNames))
            {
                framed = false;
                break;
            }

            if ((unusual | contentLengthNames) != 0)
            {
                break;
            }
        }

        blocks = local;
        return framed;
    }

    /// <summary>The bits of <c>TraceHeaderScanner.ICandidateBlock.FramingBits</c> for up to 64 bytes, one at a time.</summary>
    private static FramingMasks ScalarFramingBits(ReadOnlySpan<byte> bytes)
    {
        ulong controls = 0;
        ulong lineFeeds = 0;
        ulong carriageReturns = 0;
        ulong token = 0;
        ulong colons = 0;
        byte[] classes = s_byteClasses;
        int count = Math.Min(bytes.Length, BlockBytes);
        for (int i = 0; i < count; i++)
        {
            ulong byteClass = classes[bytes[i]];
            token |= (byteClass & TokenClass) << i;
            lineFeeds |= ((byteClass & LineFeedClass) >> 1) << i;
            carriageReturns |= ((byteClass & CarriageReturnClass) >> 2) << i;
            controls |= ((byteClass & ForbiddenControlClass) >> 3) << i;
            colons |= ((byteClass & ColonClass) >> 4) << i;
        }

        ulong valid = count == BlockBytes ? ulong.MaxValue : (1UL << count) - 1;
        return new FramingMasks(controls, lineFeeds, carriageReturns, ~token & valid, colons);
    }

    private const byte TokenClass = 1;
    private const byte LineFeedClass = 2;
    private const byte CarriageReturnClass = 4;
    private const byte ForbiddenControlClass = 8;
    private const byte ColonClass = 16;

    // What each byte value is to the framing check, for the one-byte-at-a-time path (netstandard2.0,
    // and the last bytes of a short message): one table read a byte instead of a set search.
    private static readonly byte[] s_byteClasses = CreateByteClasses();

    private static byte[] CreateByteClasses()
    {
        byte[] classes = new byte[256];
        for (int b = 0; b < 256; b++)
        {
            classes[b] = (byte)((s_tokenBytes.Contains((byte)b) ? TokenClass : 0)
                | (b == LF ? LineFeedClass : 0)
                | (b == CR ? CarriageReturnClass : 0)
                | (IsForbiddenControl((byte)b) ? ForbiddenControlClass : 0)
                | (b == Colon ? ColonClass : 0));
        }

        return classes;
    }

    /// <summary>A control byte other than HTAB, CR and LF: none may appear in a start line or header section.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsForbiddenControl(byte b) => (b < 0x20 && b is not (HTAB or LF or CR)) || b == 0x7F;

    private const int ContentLengthNameLength = 14;

    private static ReadOnlySpan<byte> ContentLengthName => "Content-Length"u8;

    /// <summary>The block loop's place, and what it carries from one block to the next.</summary>
    private struct Blocks
    {
        // The last block's line feeds and line starts, and the carry of the name addition out of it.
        private ulong _lineFeeds;
        private ulong _lineStarts;
        private ulong _nameCarry;

        public Blocks(int startLine)
        {
            Offset = startLine;
            OpenLineStart = startLine;
        }

        /// <summary>The next block's offset.</summary>
        public int Offset { readonly get; private set; }

        /// <summary>The start of the line that runs into the next block.</summary>
        public int OpenLineStart { readonly get; private set; }

        /// <summary>How many lines started after a line feed (the start line did not).</summary>
        public int LineStartCount { readonly get; private set; }

        /// <summary>With CRLF, 1 when the last block ended with a CR.</summary>
        public ulong PendingCarriageReturn { readonly get; private set; }

        /// <summary>
        /// Reads <paramref name="count"/> bytes of the block at <see cref="Offset"/> and moves on to the
        /// next, or stays when <paramref name="stopAtUnusualLines"/> and the block has lines to read one by one.
        /// </summary>
        /// <param name="masks">The block's bits.</param>
        /// <param name="count">How many of its bytes are in the header section.</param>
        /// <param name="crlf">Whether lines end with CRLF (otherwise a bare LF).</param>
        /// <param name="stopAtUnusualLines">Whether to stay at a block with lines to read one by one.</param>
        /// <param name="lineFeeds">The block's line feeds.</param>
        /// <param name="unusual">Its name ends not at a colon, or at their line's first byte.</param>
        /// <param name="contentLengthNames">Its name ends at a colon, maybe 1 or 14 bytes after their line's start.</param>
        /// <returns><see langword="false"/> when the block breaks the framing.</returns>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryRead(FramingMasks masks, int count, bool crlf, bool stopAtUnusualLines, out ulong lineFeeds, out ulong unusual, out ulong contentLengthNames)
        {
            ulong keep = count < BlockBytes ? (1UL << count) - 1 : ulong.MaxValue;
            lineFeeds = masks.LineFeeds & keep;
            ulong carriageReturns = masks.CarriageReturns & keep;
            unusual = 0;
            contentLengthNames = 0;
            if ((masks.Controls & keep) != 0)
            {
                return false;
            }

            // Every CR is followed by LF and every LF preceded by CR; a CR ending the block is carried
            // to the next one's first byte.
            if (crlf ? lineFeeds != ((carriageReturns << 1) | PendingCarriageReturn) : carriageReturns != 0)
            {
                return false;
            }

            // Only the block's first line can be longer than the block.
            if (lineFeeds != 0
                && Offset + BitOperations.TrailingZeroCount(lineFeeds) + 1 - (crlf ? 2 : 1) - OpenLineStart > SipReaderLimits.DefaultMaxLineLength)
            {
                return false;
            }

            // The start line is not among the line starts: it starts at startLine, not after a line feed.
            ulong lineStarts = ((lineFeeds << 1) | (_lineFeeds >> (BlockBytes - 1))) & keep;
            ulong tokens = ~masks.NonToken & keep;
            ulong nameEnds = tokens + lineStarts + _nameCarry;

            // The addition's carry out of bit 63, without a branch.
            ulong nameCarry = ((tokens & lineStarts) | ((tokens | lineStarts) & ~nameEnds)) >> (BlockBytes - 1);
            nameEnds &= ~tokens & keep;
            unusual = nameEnds & (~masks.Colons | lineStarts);
            ulong shortOrLongNames = (lineStarts << 1) | (_lineStarts >> (BlockBytes - 1))
                | (lineStarts << ContentLengthNameLength) | (_lineStarts >> (BlockBytes - ContentLengthNameLength));
            contentLengthNames = nameEnds & ~unusual & shortOrLongNames;
            if (stopAtUnusualLines && (unusual | contentLengthNames) != 0)
            {
                return true;
            }

            PendingCarriageReturn = crlf ? carriageReturns >> (count - 1) : 0;
            _lineFeeds = lineFeeds;
            _lineStarts = lineStarts;
            _nameCarry = nameCarry;
            LineStartCount += BitOperations.PopCount(lineStarts);
            if (lineFeeds != 0)
            {
                OpenLineStart = Offset + BlockBytes - BitOperations.LeadingZeroCount(lineFeeds);
            }

            Offset += count;
            return true;
        }
    }

    /// <summary>The lines the block bits leave to be read one by one, and what the check learns from them.</summary>
    private struct UnusualLines
    {
        private readonly int _headersEnd;

        // The line after the start line, where a continuation line may not be.
        private readonly int _firstHeaderLine;
        private int _contentLengthValueStart;

        public UnusualLines(int headersEnd, int firstHeaderLine)
        {
            _headersEnd = headersEnd;
            _firstHeaderLine = firstHeaderLine;
            _contentLengthValueStart = -1;
        }

        /// <summary>How many line starts were the empty line or continuation lines.</summary>
        public int NonHeaderLines { get; private set; }

        /// <summary>Whether the empty line was reached.</summary>
        public bool IsComplete { get; private set; }

        /// <summary>
        /// Checks the lines of a block whose names end at its <paramref name="unusual"/> bits, and the
        /// usual lines whose names may be Content-Length.
        /// </summary>
        /// <param name="message">The whole input.</param>
        /// <param name="offset">The block's offset.</param>
        /// <param name="lineFeeds">The block's line feeds.</param>
        /// <param name="openLineStart">The start of the line that runs into the block.</param>
        /// <param name="unusual">Name ends not at a colon, or at their line's first byte.</param>
        /// <param name="contentLengthNames">Name ends at a colon, maybe 1 or 14 bytes after their line's start.</param>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public bool Check(ReadOnlySpan<byte> message, int offset, ulong lineFeeds, int openLineStart, ulong unusual, ulong contentLengthNames)
        {
            while (unusual != 0)
            {
                int bit = BitOperations.TrailingZeroCount(unusual);
                unusual &= unusual - 1;

                // A name holds no line feed: its line starts after the last one before the name's end.
                ulong before = lineFeeds & ((1UL << bit) - 1);
                int lineStart = before != 0 ? offset + BlockBytes - BitOperations.LeadingZeroCount(before) : openLineStart;
                if (!CheckLine(message, lineStart, offset + bit))
                {
                    return false;
                }
            }

            while (contentLengthNames != 0)
            {
                int nameEnd = offset + BitOperations.TrailingZeroCount(contentLengthNames);
                contentLengthNames &= contentLengthNames - 1;

                // The bits put a line start 1 or 14 bytes before the name's end, maybe another line's:
                // the name is the line's when the bytes between are the name (no line feed among them).
                bool isContentLength = (message[nameEnd - 2] == LF && (message[nameEnd - 1] | 0x20) == 'l')
                    || (nameEnd > ContentLengthNameLength && message[nameEnd - ContentLengthNameLength - 1] == LF
                        && Ascii.EqualsIgnoreCase(message.Slice(nameEnd - ContentLengthNameLength, ContentLengthNameLength), ContentLengthName));
                if (isContentLength && !TrySetContentLength(nameEnd + 1))
                {
                    return false;
                }
            }

            return true;
        }

        /// <summary>Checks a line that is not a usual header line: its name (maybe empty) ends at <paramref name="nameEnd"/>.</summary>
        private bool CheckLine(ReadOnlySpan<byte> message, int lineStart, int nameEnd)
        {
            if (nameEnd == lineStart)
            {
                byte first = message[lineStart];
                NonHeaderLines++;
                if (first is CR or LF)
                {
                    // The empty line: the scanner's, or the reader would have ended the section earlier.
                    IsComplete = lineStart == _headersEnd;
                    return IsComplete;
                }

                // A continuation line (LWS) of the field above; there must be one.
                return first is SP or HTAB && lineStart != _firstHeaderLine;
            }

            // header-name HCOLON: token, then *( SP / HTAB ) ":".
            int colon = nameEnd;
            while (message[colon] is SP or HTAB)
            {
                colon++;
            }

            if (message[colon] != Colon)
            {
                return false;
            }

            ReadOnlySpan<byte> name = message[lineStart..nameEnd];
            bool isContentLength = name.Length == 1
                ? (name[0] | 0x20) == 'l'
                : Ascii.EqualsIgnoreCase(name, ContentLengthName);
            return !isContentLength || TrySetContentLength(colon + 1);
        }

        private bool TrySetContentLength(int valueStart)
        {
            if (_contentLengthValueStart >= 0)
            {
                // A second Content-Length is malformed, even with the same value.
                return false;
            }

            _contentLengthValueStart = valueStart;
            return true;
        }

        /// <summary>Checks the body against Content-Length, as the reader frames it (RFC 3261 §18.3).</summary>
        public readonly MessageFraming FrameBody(ReadOnlySpan<byte> message, int bodyOffset)
        {
            int available = message.Length - bodyOffset;
            if (_contentLengthValueStart < 0)
            {
                return available <= SipReaderLimits.DefaultMaxBodyBytes ? MessageFraming.WholeMessage : MessageFraming.Refused;
            }

            // The value runs to the next line that is not a continuation line (the empty line at the latest).
            int valueEnd = _contentLengthValueStart;
            do
            {
                int lineFeed = message[valueEnd.._headersEnd].IndexOf(LF);
                valueEnd = lineFeed < 0 ? _headersEnd : valueEnd + lineFeed + 1;
            }
            while (valueEnd < _headersEnd && message[valueEnd] is SP or HTAB);

            int length = ParseContentLength(message[_contentLengthValueStart..valueEnd]);
            return length < 0 ? MessageFraming.Refused
                : length == available ? MessageFraming.WholeMessage
                : MessageFraming.HeaderSection;
        }
    }

    // Content-Length = ( "Content-Length" / "l" ) HCOLON 1*DIGIT, within the reader's body limit.
    private static int ParseContentLength(ReadOnlySpan<byte> value)
    {
        value = value.Trim(" \t\r\n"u8);
        if (value.IsEmpty || value.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            return -1;
        }

        value = value.TrimStart((byte)'0');
        const int MaxSignificantDigits = 10;
        if (value.Length > MaxSignificantDigits)
        {
            return -1;
        }

        long length = 0;
        foreach (byte digit in value)
        {
            length = (length * 10) + (digit - '0');
        }

        return length > SipReaderLimits.DefaultMaxBodyBytes ? -1 : (int)length;
    }

    // start-line   = Request-Line / Status-Line
    // Request-Line = Method SP Request-URI SP SIP-Version
    // Status-Line  = SIP-Version SP Status-Code SP Reason-Phrase (the reader accepts "SIP/2.0 100" too)
    private static bool IsStartLine(ReadOnlySpan<byte> line)
    {
        int firstSpace = line.IndexOf(SP);
        if (firstSpace < 0)
        {
            return false;
        }

        ReadOnlySpan<byte> rest = line[(firstSpace + 1)..];
        if (line.Length >= 4 && Ascii.EqualsIgnoreCase(line[..4], "SIP/"u8))
        {
            const int StatusCodeLength = 3;
            return IsVersion(line[..firstSpace])
                && rest.Length >= StatusCodeLength
                && (rest.Length == StatusCodeLength || rest[StatusCodeLength] == SP)
                && !rest[..StatusCodeLength].ContainsAnyExceptInRange((byte)'0', (byte)'9')
                && rest[0] is >= (byte)'1' and <= (byte)'6';
        }

        int secondSpace = rest.IndexOf(SP);
        return firstSpace > 0
            && line[..firstSpace].IndexOfAnyExcept(s_tokenBytes) < 0
            && secondSpace > 0
            && !rest[..secondSpace].Contains(HTAB)
            && IsVersion(rest[(secondSpace + 1)..]);
    }

    // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT (ABNF literals are case-insensitive)
    private static bool IsVersion(ReadOnlySpan<byte> version)
    {
        if (version.Length < "SIP/2.0".Length || !Ascii.EqualsIgnoreCase(version[..4], "SIP/"u8))
        {
            return false;
        }

        ReadOnlySpan<byte> numbers = version[4..];
        int dot = numbers.IndexOf((byte)'.');
        return dot > 0 && dot < numbers.Length - 1
            && !numbers[..dot].ContainsAnyExceptInRange((byte)'0', (byte)'9')
            && !numbers[(dot + 1)..].ContainsAnyExceptInRange((byte)'0', (byte)'9');
    }
}
