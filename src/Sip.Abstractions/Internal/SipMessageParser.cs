using static SipTraceContext.Sip.Internal.SipGrammar;

namespace SipTraceContext.Sip.Internal;

/// <summary>
/// One validating pass over a SIP message: start line, every header line, the empty line, and the
/// body against Content-Length. It records offsets only; lookups later walk the validated header
/// section without re-checking it.
/// </summary>
/// <remarks>
/// Leniency (what real stacks send is accepted, what is ambiguous is rejected):
/// <list type="bullet">
/// <item>Blank lines before the start line are skipped (RFC 3261 §7.5; RFC 5626 keep-alives).</item>
/// <item>A bare LF ends a line as CRLF does: several widely deployed stacks and test tools send it and
/// no reading of it is ambiguous. A CR not followed by LF is malformed: stacks disagree on it.</item>
/// <item>SP/HTAB between a header name and its colon is accepted: RFC 3261 HCOLON allows it.</item>
/// <item>Control bytes other than HTAB in the start line or a header line are malformed (the grammar
/// has none; NUL and stray controls are how header smuggling starts). Bytes 0x80-0xFF are not
/// checked for valid UTF-8: values are passed through as bytes.</item>
/// <item>The start line uses single spaces, as the grammar says; extra spaces are malformed.</item>
/// <item>A second Content-Length is malformed even with the same value: two framings are one too many.</item>
/// </list>
/// </remarks>
internal static partial class SipMessageParser
{
    private enum LineResult
    {
        Complete,
        Incomplete,
        Failed,
    }

    public static void Parse(ReadOnlySpan<byte> message, in SipReaderLimits limits, out SipMessageLayout layout)
    {
        layout = default;
        layout.Parsed = true;
        layout.ContentLength = -1;
        int maxSection = limits.MaxHeaderSectionBytes;
        int pos = 0;

        // RFC 3261 §7.5: "Implementations processing SIP messages over stream-oriented transports MUST
        // ignore any CRLF appearing before the start-line".
        while (true)
        {
            if (pos >= message.Length)
            {
                SetIncomplete(ref layout, message.Length, maxSection, SipParseError.IncompleteStartLine);
                return;
            }

            byte b = message[pos];
            if (b == LF)
            {
                pos++;
            }
            else if (b == CR)
            {
                if (pos + 1 == message.Length)
                {
                    SetIncomplete(ref layout, message.Length, maxSection, SipParseError.IncompleteStartLine);
                    return;
                }

                if (message[pos + 1] != LF)
                {
                    Fail(ref layout, SipParseStatus.Malformed, SipParseError.BareCarriageReturn, pos);
                    return;
                }

                pos += 2;
            }
            else
            {
                break;
            }

            if (pos > maxSection)
            {
                Fail(ref layout, SipParseStatus.LimitExceeded, SipParseError.HeaderSectionTooLarge, pos);
                return;
            }
        }

        layout.StartLineOffset = pos;
        LineResult line = ReadLine(message, pos, limits.MaxLineLength, ref layout, out int lineLength, out int next);
        if (line != LineResult.Complete)
        {
            if (line == LineResult.Incomplete)
            {
                SetIncomplete(ref layout, message.Length, maxSection, SipParseError.IncompleteStartLine);
            }

            return;
        }

        layout.StartLineLength = lineLength;
        layout.LineEndings |= next - pos - lineLength == 2 ? LineEndingKinds.Crlf : LineEndingKinds.BareLf;
        if (!ParseStartLine(message.Slice(pos, lineLength), pos, ref layout))
        {
            return;
        }

        pos = next;
        if (pos > maxSection)
        {
            Fail(ref layout, SipParseStatus.LimitExceeded, SipParseError.HeaderSectionTooLarge, pos);
            return;
        }

        layout.HeadersOffset = pos;
        if (!ParseHeaders(message, pos, limits, ref layout))
        {
            return;
        }

        ParseBody(message, limits, ref layout);
    }

    private static bool ParseHeaders(ReadOnlySpan<byte> message, int pos, in SipReaderLimits limits, ref SipMessageLayout layout)
    {
        int maxSection = limits.MaxHeaderSectionBytes;
        int maxLine = limits.MaxLineLength;
        int maxCount = limits.MaxHeaderCount;
        int sectionStart = pos;

        // The Content-Length field being read, if any; its value is checked when the field ends,
        // because a folded continuation line may still follow.
        int contentLengthValueStart = -1;

        // This loop is the hot path: per line one vectorized search for CR or LF (which also finds a
        // bare CR) and one for the end of the name. The other control bytes are looked for once over
        // the whole section afterwards (CheckBytes), not line by line.
        while (true)
        {
            if (pos >= message.Length)
            {
                return Incomplete(message, sectionStart, message.Length, maxSection, ref layout);
            }

            byte first = message[pos];
            if (first is CR or LF)
            {
                // The empty line: CRLF (or a bare LF) that ends the header section.
                int bodyOffset;
                if (first == LF)
                {
                    bodyOffset = pos + 1;
                    layout.LineEndings |= LineEndingKinds.BareLf;
                }
                else if (pos + 1 == message.Length)
                {
                    return Incomplete(message, sectionStart, message.Length, maxSection, ref layout);
                }
                else if (message[pos + 1] != LF)
                {
                    // The bytes before it are checked first so the first error in the message is the one reported.
                    if (CheckBytes(message, sectionStart, pos, ref layout))
                    {
                        Fail(ref layout, SipParseStatus.Malformed, SipParseError.BareCarriageReturn, pos);
                    }

                    return false;
                }
                else
                {
                    bodyOffset = pos + 2;
                    layout.LineEndings |= LineEndingKinds.Crlf;
                }

                if (bodyOffset > maxSection)
                {
                    Fail(ref layout, SipParseStatus.LimitExceeded, SipParseError.HeaderSectionTooLarge, pos);
                    return false;
                }

                if (!CheckBytes(message, sectionStart, pos, ref layout))
                {
                    return false;
                }

                if (contentLengthValueStart >= 0 && !SetContentLength(message[contentLengthValueStart..pos], contentLengthValueStart, limits, ref layout))
                {
                    return false;
                }

                if (layout.IndexedCount < HeaderOffsets.Capacity || layout.HeaderCount == HeaderOffsets.Capacity)
                {
                    layout.Offsets[layout.IndexedCount] = pos;
                }

                layout.HeadersEnd = pos;
                layout.BodyOffset = bodyOffset;
                layout.HeadersComplete = true;
                return true;
            }

            // The search stops one byte past the longest line allowed (content + CR + LF), so a line
            // that never ends costs no more than the limit.
            ReadOnlySpan<byte> rest = message.Slice(pos, Math.Min(message.Length - pos, maxLine + 2));
            int contentLength = rest.IndexOfAny(CR, LF);
            int lineLength;
            if (contentLength < 0)
            {
                if (message.Length - pos <= maxLine + 1)
                {
                    return Incomplete(message, sectionStart, message.Length, maxSection, ref layout);
                }

                if (CheckBytes(message, sectionStart, pos + rest.Length, ref layout))
                {
                    Fail(ref layout, SipParseStatus.LimitExceeded, SipParseError.LineTooLong, pos);
                }

                return false;
            }

            if (rest[contentLength] == LF)
            {
                lineLength = contentLength + 1;
                layout.LineEndings |= LineEndingKinds.BareLf;
            }
            else if (pos + contentLength + 1 == message.Length)
            {
                // A CR at the end of the input: the LF may still come.
                return Incomplete(message, sectionStart, message.Length, maxSection, ref layout);
            }
            else if (message[pos + contentLength + 1] == LF)
            {
                lineLength = contentLength + 2;
                layout.LineEndings |= LineEndingKinds.Crlf;
            }
            else
            {
                if (CheckBytes(message, sectionStart, pos + contentLength, ref layout))
                {
                    Fail(ref layout, SipParseStatus.Malformed, SipParseError.BareCarriageReturn, pos + contentLength);
                }

                return false;
            }

            if (contentLength > maxLine)
            {
                if (CheckBytes(message, sectionStart, pos + contentLength, ref layout))
                {
                    Fail(ref layout, SipParseStatus.LimitExceeded, SipParseError.LineTooLong, pos);
                }

                return false;
            }

            if (IsWhitespace(first))
            {
                // LWS = [*WSP CRLF] 1*WSP: a line that starts with whitespace continues the field above.
                if (layout.HeaderCount == 0)
                {
                    if (CheckBytes(message, sectionStart, pos + contentLength, ref layout))
                    {
                        Fail(ref layout, SipParseStatus.Malformed, SipParseError.ContinuationWithoutHeader, pos);
                    }

                    return false;
                }

                if (layout.HeaderCount <= HeaderOffsets.Capacity)
                {
                    layout.FoldedMask |= 1u << (layout.HeaderCount - 1);
                }
            }
            else
            {
                if (contentLengthValueStart >= 0)
                {
                    if (!SetContentLength(message[contentLengthValueStart..pos], contentLengthValueStart, limits, ref layout))
                    {
                        return false;
                    }

                    contentLengthValueStart = -1;
                }

                if (layout.HeaderCount == maxCount)
                {
                    Fail(ref layout, SipParseStatus.LimitExceeded, SipParseError.TooManyHeaders, pos);
                    return false;
                }

                // message-header = header-name HCOLON header-value CRLF
                // header-name    = token
                // HCOLON         = *( SP / HTAB ) ":" SWS
                ReadOnlySpan<byte> content = rest[..contentLength];
                int nameLength = content.IndexOfAnyExcept(TokenBytes);
                int colon = nameLength;
                if (nameLength > 0 && content[nameLength] != Colon)
                {
                    colon = content[nameLength..].IndexOfAnyExcept(Whitespace);
                    colon = colon < 0 ? -1 : nameLength + colon;
                }

                if (nameLength <= 0 || colon < 0 || content[colon] != Colon)
                {
                    if (CheckBytes(message, sectionStart, pos + contentLength, ref layout))
                    {
                        SipParseError error = nameLength < 0 || (colon < 0 && content.IndexOf(Colon) < 0) ? SipParseError.MissingColon : SipParseError.InvalidHeaderName;
                        Fail(ref layout, SipParseStatus.Malformed, error, pos);
                    }

                    return false;
                }

                if (MayBeTraceField(content[..nameLength]))
                {
                    if (layout.HeaderCount < HeaderOffsets.Capacity)
                    {
                        layout.TraceFieldMask |= 1u << layout.HeaderCount;
                    }
                    else
                    {
                        layout.TraceFieldPastIndex = true;
                    }
                }

                int valueStart = pos + colon + 1;
                switch (Classify(content[..nameLength]))
                {
                    case NameClass.Other:
                        break;
                    case NameClass.ContentLength:
                        contentLengthValueStart = valueStart;
                        break;
                    case NameClass.CallId:
                        RecordFirst(ref layout.First.CallId, layout.HeaderCount, valueStart);
                        break;
                    case NameClass.CSeq:
                        RecordFirst(ref layout.First.CSeq, layout.HeaderCount, valueStart);
                        break;
                    case NameClass.Via:
                        RecordFirst(ref layout.First.Via, layout.HeaderCount, valueStart);
                        if (layout.HeaderCount < HeaderOffsets.Capacity)
                        {
                            layout.ViaMask |= 1u << layout.HeaderCount;
                        }

                        break;
                    case NameClass.From:
                        RecordFirst(ref layout.First.From, layout.HeaderCount, valueStart);
                        break;
                    case NameClass.XCid:
                        RecordFirst(ref layout.First.XCid, layout.HeaderCount, valueStart);
                        break;
                    case NameClass.SessionId:
                        RecordFirst(ref layout.First.SessionId, layout.HeaderCount, valueStart);
                        break;
                    case NameClass.PChargingVector:
                        RecordFirst(ref layout.First.PChargingVector, layout.HeaderCount, valueStart);
                        break;
                    case NameClass.UserAgent:
                        RecordFirst(ref layout.First.UserAgent, layout.HeaderCount, valueStart);
                        break;
                    default:
                        RecordFirst(ref layout.First.To, layout.HeaderCount, valueStart);
                        break;
                }

                if (layout.HeaderCount < HeaderOffsets.Capacity)
                {
                    layout.Offsets[layout.HeaderCount] = pos;
                    layout.IndexedCount = layout.HeaderCount + 1;
                }
                else if (layout.HeaderCount == HeaderOffsets.Capacity)
                {
                    // Where the first field past the index starts: lookups walk lines from here.
                    layout.Offsets[HeaderOffsets.Capacity] = pos;
                }

                layout.HeaderCount++;
            }

            pos += lineLength;
            if (pos > maxSection)
            {
                Fail(ref layout, SipParseStatus.LimitExceeded, SipParseError.HeaderSectionTooLarge, pos);
                return false;
            }
        }
    }

    /// <summary>
    /// Checks the header lines in [<paramref name="start"/>, <paramref name="end"/>) for control bytes
    /// other than HTAB, CR and LF in one vectorized pass. (CR and LF themselves were checked as each
    /// line was found.)
    /// </summary>
    /// <returns><see langword="false"/> (with the error set) when a bad byte was found.</returns>
    private static bool CheckBytes(ReadOnlySpan<byte> message, int start, int end, ref SipMessageLayout layout)
    {
        int bad = message[start..end].IndexOfAny(ControlExceptLineBreakAndTabBytes);
        if (bad < 0)
        {
            return true;
        }

        Fail(ref layout, SipParseStatus.Malformed, SipParseError.InvalidCharacter, start + bad);
        return false;
    }

    /// <summary>
    /// The input ends inside the header section: malformed if the bytes so far already are, over the
    /// limit if they can no longer fit it, incomplete otherwise.
    /// </summary>
    private static bool Incomplete(ReadOnlySpan<byte> message, int sectionStart, int end, int maxSection, ref SipMessageLayout layout)
    {
        if (CheckBytes(message, sectionStart, end, ref layout))
        {
            SetIncomplete(ref layout, message.Length, maxSection, SipParseError.IncompleteHeaders);
        }

        return false;
    }

    // Content-Length  =  ( "Content-Length" / "l" ) HCOLON 1*DIGIT
    private static bool SetContentLength(ReadOnlySpan<byte> rawValue, int offset, in SipReaderLimits limits, ref SipMessageLayout layout)
    {
        if (layout.ContentLength >= 0)
        {
            Fail(ref layout, SipParseStatus.Malformed, SipParseError.DuplicateContentLength, offset);
            return false;
        }

        ReadOnlySpan<byte> digits = TrimLinearWhitespace(rawValue);
        if (digits.IsEmpty || digits.ContainsAnyExceptInRange((byte)'0', (byte)'9'))
        {
            Fail(ref layout, SipParseStatus.Malformed, SipParseError.InvalidContentLength, offset);
            return false;
        }

        // Leading zeros are legal ("0009"); more significant digits than int.MaxValue has is not.
        digits = digits.TrimStart((byte)'0');
        const int MaxSignificantDigits = 10; // int.MaxValue.ToString().Length
        long value = 0;
        if (digits.Length > MaxSignificantDigits)
        {
            Fail(ref layout, SipParseStatus.Malformed, SipParseError.InvalidContentLength, offset);
            return false;
        }

        foreach (byte digit in digits)
        {
            value = (value * 10) + (digit - '0');
        }

        if (value > int.MaxValue)
        {
            Fail(ref layout, SipParseStatus.Malformed, SipParseError.InvalidContentLength, offset);
            return false;
        }

        if (value > limits.MaxBodyBytes)
        {
            Fail(ref layout, SipParseStatus.LimitExceeded, SipParseError.BodyTooLarge, offset);
            return false;
        }

        layout.ContentLength = (int)value;
        return true;
    }

    // RFC 3261 §18.3: with Content-Length the body is that many bytes and anything after it belongs to
    // the next message (stream) or is discarded (datagram); without it the body runs to the end.
    private static void ParseBody(ReadOnlySpan<byte> message, in SipReaderLimits limits, ref SipMessageLayout layout)
    {
        int available = message.Length - layout.BodyOffset;
        if (layout.ContentLength >= 0)
        {
            if (available < layout.ContentLength)
            {
                layout.BodyLength = available;
                layout.MessageLength = message.Length;
                layout.Status = SipParseStatus.Incomplete;
                layout.Error = SipParseError.IncompleteBody;
                layout.ErrorOffset = message.Length;
                return;
            }

            layout.BodyLength = layout.ContentLength;
        }
        else
        {
            if (available > limits.MaxBodyBytes)
            {
                Fail(ref layout, SipParseStatus.LimitExceeded, SipParseError.BodyTooLarge, layout.BodyOffset);
                return;
            }

            layout.BodyLength = available;
        }

        layout.MessageLength = layout.BodyOffset + layout.BodyLength;
        layout.Status = SipParseStatus.Complete;
        layout.Error = SipParseError.None;
    }

    private static void SetIncomplete(ref SipMessageLayout layout, int length, int maxSection, SipParseError error)
    {
        // Waiting for more bytes is only worth it while the header section can still fit the limit.
        if (length > maxSection)
        {
            Fail(ref layout, SipParseStatus.LimitExceeded, SipParseError.HeaderSectionTooLarge, maxSection);
            return;
        }

        layout.Status = SipParseStatus.Incomplete;
        layout.Error = error;
        layout.ErrorOffset = length;
    }

    private static void Fail(ref SipMessageLayout layout, SipParseStatus status, SipParseError error, int offset)
    {
        layout.Status = status;
        layout.Error = error;
        layout.ErrorOffset = offset;
    }
}
