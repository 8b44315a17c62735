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
    public FramingMasks(ulong controls, ulong lineFeeds, ulong carriageReturns, ulong nonToken)
    {
        Controls = controls;
        LineFeeds = lineFeeds;
        CarriageReturns = carriageReturns;
        NonToken = nonToken;
    }

    /// <summary>Control bytes a header section may not hold: all but HTAB, CR and LF.</summary>
    public ulong Controls { get; }

    /// <summary>Line feeds.</summary>
    public ulong LineFeeds { get; }

    /// <summary>Carriage returns.</summary>
    public ulong CarriageReturns { get; }

    /// <summary>Bytes that cannot be in a header name (not <c>token</c>).</summary>
    public ulong NonToken { get; }

    /// <summary>The bits of the bytes from <paramref name="shift"/> on, as if they were the first.</summary>
    public FramingMasks ShiftedRight(int shift) =>
        new(Controls >> shift, LineFeeds >> shift, CarriageReturns >> shift, NonToken >> shift);
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
/// refuse what the reader refuses. One vectorized pass over the header section finds the line feeds and
/// the bytes that cannot appear; only the start of each line is then looked at. The property tests in
/// <c>ReaderAgreementProperties</c> compare this with the reader on generated messages.
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
    /// Not inlined: compiled as its own root it has the inlining budget for the block test; inlined
    /// into the propagator's methods, the JIT ran out of budget and called it (and the vector helpers
    /// under it) for every block, passing vectors through memory.
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

        var lines = new LineChecker(startLine, headersEnd, crlf);
#if NET
        ref byte start = ref MemoryMarshal.GetReference(message);
#endif
        ulong pendingCarriageReturn = 0;
        int offset = startLine;
        while (offset < bodyOffset)
        {
            int count = Math.Min(BlockBytes, bodyOffset - offset);
            ulong controls;
            ulong lineFeeds;
            ulong carriageReturns;
            ulong nonToken;
            FramingMasks masks;
#if NET
            if (offset + BlockBytes <= message.Length)
            {
                masks = TBlock.FramingBits(ref start, (nuint)offset);
            }
            else if (message.Length >= BlockBytes)
            {
                // The last bytes of a short body-less message: the message's last 64 bytes, shifted.
                int window = message.Length - BlockBytes;
                masks = TBlock.FramingBits(ref start, (nuint)window).ShiftedRight(offset - window);
            }
            else
#endif
            {
                masks = ScalarFramingBits(message[offset..]);
            }

            controls = masks.Controls;
            lineFeeds = masks.LineFeeds;
            carriageReturns = masks.CarriageReturns;
            nonToken = masks.NonToken;

            if (count < BlockBytes)
            {
                ulong keep = (1UL << count) - 1;
                controls &= keep;
                lineFeeds &= keep;
                carriageReturns &= keep;
                nonToken &= keep;
            }

            if (controls != 0)
            {
                return MessageFraming.Refused;
            }

            if (crlf)
            {
                // Every CR is followed by LF and every LF preceded by CR; a CR ending the block is
                // carried to the next one's first byte.
                if (lineFeeds != ((carriageReturns << 1) | pendingCarriageReturn))
                {
                    return MessageFraming.Refused;
                }

                pendingCarriageReturn = carriageReturns >> (count - 1);
            }
            else if (carriageReturns != 0)
            {
                return MessageFraming.Refused;
            }

            while (lineFeeds != 0)
            {
                int bit = BitOperations.TrailingZeroCount(lineFeeds);
                lineFeeds &= lineFeeds - 1;
                if (!lines.TryEndPlainHeaderLine(message, offset + bit) && !lines.EndLine(message, offset + bit))
                {
                    return MessageFraming.Refused;
                }

                // Where the name of the line after it ends, from this block's bits when it ends in the block
                // (bits past the block or the checked bytes are clear, which leaves it to the line's own search).
                ulong after = bit < BlockBytes - 1 ? nonToken >> (bit + 1) : 0;
                lines.NextNameLength = after != 0 ? BitOperations.TrailingZeroCount(after) : -1;
            }

            offset += count;
        }

        if (pendingCarriageReturn != 0 || !lines.IsComplete)
        {
            return MessageFraming.Refused;
        }

        return lines.FrameBody(message, bodyOffset);
    }

    /// <summary>The bits of <c>TraceHeaderScanner.ICandidateBlock.FramingBits</c> for up to 64 bytes, one at a time.</summary>
    private static FramingMasks ScalarFramingBits(ReadOnlySpan<byte> bytes)
    {
        ulong controls = 0;
        ulong lineFeeds = 0;
        ulong carriageReturns = 0;
        ulong token = 0;
        byte[] classes = s_byteClasses;
        int count = Math.Min(bytes.Length, BlockBytes);
        for (int i = 0; i < count; i++)
        {
            ulong byteClass = classes[bytes[i]];
            token |= (byteClass & TokenClass) << i;
            lineFeeds |= ((byteClass & LineFeedClass) >> 1) << i;
            carriageReturns |= ((byteClass & CarriageReturnClass) >> 2) << i;
            controls |= ((byteClass & ForbiddenControlClass) >> 3) << i;
        }

        ulong valid = count == BlockBytes ? ulong.MaxValue : (1UL << count) - 1;
        return new FramingMasks(controls, lineFeeds, carriageReturns, ~token & valid);
    }

    private const byte TokenClass = 1;
    private const byte LineFeedClass = 2;
    private const byte CarriageReturnClass = 4;
    private const byte ForbiddenControlClass = 8;

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
                | (IsForbiddenControl((byte)b) ? ForbiddenControlClass : 0));
        }

        return classes;
    }

    /// <summary>A control byte other than HTAB, CR and LF: none may appear in a start line or header section.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static bool IsForbiddenControl(byte b) => (b < 0x20 && b is not (HTAB or LF or CR)) || b == 0x7F;

    /// <summary>The reader's checks of each line, fed the line feeds in order.</summary>
    private struct LineChecker
    {
        private readonly int _headersEnd;
        private readonly int _terminatorLength;
        private int _lineStart;
        private int _headerCount;
        private int _contentLengthValueStart;
        private int _contentLengthValueEnd;
        private bool _startLineRead;
        private bool _complete;

        public LineChecker(int startLine, int headersEnd, bool crlf)
        {
            _headersEnd = headersEnd;
            _terminatorLength = crlf ? 2 : 1;
            _lineStart = startLine;
            _contentLengthValueStart = -1;
            _contentLengthValueEnd = -1;
            NextNameLength = -1;
        }

        /// <summary>How many token bytes the next line starts with, when the caller knows it; otherwise -1.</summary>
        public int NextNameLength { get; set; }

        /// <summary>Whether the empty line was reached.</summary>
        public readonly bool IsComplete => _complete;

        /// <summary>
        /// The usual line, checked in the block loop without a call: a header line whose name's end the
        /// block bits gave, followed by its colon, not Content-Length, within the limits. Anything else
        /// (and a line that fails this) is left to <see cref="EndLine"/>, which gives the same answer.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool TryEndPlainHeaderLine(ReadOnlySpan<byte> message, int lineFeed)
        {
            int lineStart = _lineStart;
            int nameLength = NextNameLength;
            int contentLength = lineFeed + 1 - _terminatorLength - lineStart;
            if (!_startLineRead || _complete || nameLength <= 1 || nameLength == ContentLengthName.Length
                || contentLength > SipReaderLimits.DefaultMaxLineLength || nameLength >= contentLength
                || _headerCount >= SipReaderLimits.DefaultMaxHeaderCount
                || (_contentLengthValueStart >= 0 && _contentLengthValueEnd < 0)
                || message[lineStart + nameLength] != Colon)
            {
                return false;
            }

            _headerCount++;
            _lineStart = lineFeed + 1;
            return true;
        }

        /// <summary>Checks the line that the line feed at <paramref name="lineFeed"/> ends.</summary>
        /// <remarks>Not inlined: inlined, it left the block loop too few registers for its masks.</remarks>
        [MethodImpl(MethodImplOptions.NoInlining)]
        public bool EndLine(ReadOnlySpan<byte> message, int lineFeed)
        {
            int lineStart = _lineStart;
            _lineStart = lineFeed + 1;
            if (_complete)
            {
                // Nothing follows the empty line within the checked bytes.
                return false;
            }

            int contentLength = lineFeed + 1 - _terminatorLength - lineStart;
            if (contentLength > SipReaderLimits.DefaultMaxLineLength)
            {
                return false;
            }

            ReadOnlySpan<byte> content = message.Slice(lineStart, contentLength);
            if (!_startLineRead)
            {
                _startLineRead = true;
                return IsStartLine(content);
            }

            if (contentLength == 0)
            {
                // The empty line: the scanner's, or the reader would have ended the section earlier.
                EndContentLength(lineStart);
                _complete = lineStart == _headersEnd;
                return _complete;
            }

            byte first = content[0];
            if (first is SP or HTAB)
            {
                // A continuation line (LWS) of the field above; there must be one.
                return _headerCount > 0;
            }

            EndContentLength(lineStart);
            if (++_headerCount > SipReaderLimits.DefaultMaxHeaderCount)
            {
                return false;
            }

            // header-name HCOLON: token, then *( SP / HTAB ) ":".
            int nameLength = NextNameLength >= 0 ? NextNameLength : content.IndexOfAnyExcept(s_tokenBytes);
            if (nameLength <= 0)
            {
                return false;
            }

            int colon = nameLength;
            while (colon < content.Length && content[colon] is SP or HTAB)
            {
                colon++;
            }

            if (colon == content.Length || content[colon] != Colon)
            {
                return false;
            }

            if (IsContentLength(content[..nameLength]))
            {
                if (_contentLengthValueStart >= 0)
                {
                    // A second Content-Length is malformed, even with the same value.
                    return false;
                }

                _contentLengthValueStart = lineStart + colon + 1;
            }

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

            int length = ParseContentLength(message[_contentLengthValueStart.._contentLengthValueEnd]);
            return length < 0 ? MessageFraming.Refused
                : length == available ? MessageFraming.WholeMessage
                : MessageFraming.HeaderSection;
        }

        private void EndContentLength(int nextLineStart)
        {
            if (_contentLengthValueStart >= 0 && _contentLengthValueEnd < 0)
            {
                _contentLengthValueEnd = nextLineStart;
            }
        }

        private static bool IsContentLength(ReadOnlySpan<byte> name) =>
            name.Length == 1
                ? (name[0] | 0x20) == 'l'
                : name.Length == ContentLengthName.Length && Ascii.EqualsIgnoreCase(name, ContentLengthName);

        private static ReadOnlySpan<byte> ContentLengthName => "Content-Length"u8;

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
