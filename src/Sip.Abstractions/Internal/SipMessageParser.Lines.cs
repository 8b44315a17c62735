using System.Text;
using static SipTraceContext.Sip.Internal.SipGrammar;

namespace SipTraceContext.Sip.Internal;

// The line reader and the start line (RFC 3261 §7.1, §7.2) of SipMessageParser.
internal static partial class SipMessageParser
{
    /// <summary>
    /// Finds the end of the line that starts at <paramref name="start"/> and checks it holds no control
    /// byte but HTAB, in one vectorized scan bounded by the line-length limit.
    /// </summary>
    private static LineResult ReadLine(ReadOnlySpan<byte> message, int start, int maxLine, ref SipMessageLayout layout, out int lineLength, out int next)
    {
        ReadOnlySpan<byte> window = message.Slice(start, Math.Min(message.Length - start, maxLine + 1));
        int index = window.IndexOfAny(ControlExceptTabBytes);
        lineLength = 0;
        next = 0;
        if (index < 0)
        {
            if (window.Length > maxLine)
            {
                Fail(ref layout, SipParseStatus.LimitExceeded, SipParseError.LineTooLong, start);
                return LineResult.Failed;
            }

            return LineResult.Incomplete;
        }

        int at = start + index;
        byte b = message[at];
        if (b == LF)
        {
            next = at + 1;
        }
        else if (b == CR)
        {
            if (at + 1 == message.Length)
            {
                return LineResult.Incomplete;
            }

            if (message[at + 1] != LF)
            {
                Fail(ref layout, SipParseStatus.Malformed, SipParseError.BareCarriageReturn, at);
                return LineResult.Failed;
            }

            next = at + 2;
        }
        else
        {
            Fail(ref layout, SipParseStatus.Malformed, SipParseError.InvalidCharacter, at);
            return LineResult.Failed;
        }

        if (index > maxLine)
        {
            Fail(ref layout, SipParseStatus.LimitExceeded, SipParseError.LineTooLong, start);
            return LineResult.Failed;
        }

        lineLength = index;
        return LineResult.Complete;
    }

    // start-line    =  Request-Line / Status-Line
    // Request-Line  =  Method SP Request-URI SP SIP-Version CRLF
    // Status-Line   =  SIP-Version SP Status-Code SP Reason-Phrase CRLF
    private static bool ParseStartLine(ReadOnlySpan<byte> line, int offset, ref SipMessageLayout layout)
    {
        int firstSpace = line.IndexOf(SP);
        if (firstSpace < 0)
        {
            // A one-word line: a response with no status code, or a request with no URI.
            Fail(ref layout, SipParseStatus.Malformed, SipParseError.InvalidStartLine, offset);
            return false;
        }

        // Method is a token and has no "/", so a line starting "SIP/" can only be a Status-Line.
        if (line.Length >= 4 && Ascii.EqualsIgnoreCase(line[..4], "SIP/"u8))
        {
            return ParseStatusLine(line, firstSpace, offset, ref layout);
        }

        return ParseRequestLine(line, firstSpace, offset, ref layout);
    }

    private static bool ParseRequestLine(ReadOnlySpan<byte> line, int firstSpace, int offset, ref SipMessageLayout layout)
    {
        // Method = INVITEm / ACKm / ... / extension-method ; extension-method = token
        if (!IsToken(line[..firstSpace]))
        {
            Fail(ref layout, SipParseStatus.Malformed, SipParseError.InvalidMethod, offset);
            return false;
        }

        ReadOnlySpan<byte> rest = line[(firstSpace + 1)..];
        int secondSpace = rest.IndexOf(SP);
        if (secondSpace < 0)
        {
            Fail(ref layout, SipParseStatus.Malformed, SipParseError.InvalidStartLine, offset);
            return false;
        }

        if (secondSpace == 0 || rest[..secondSpace].Contains(HTAB))
        {
            Fail(ref layout, SipParseStatus.Malformed, SipParseError.InvalidRequestUri, offset + firstSpace + 1);
            return false;
        }

        ReadOnlySpan<byte> version = rest[(secondSpace + 1)..];
        if (!IsVersion(version))
        {
            Fail(ref layout, SipParseStatus.Malformed, SipParseError.InvalidVersion, offset + firstSpace + 1 + secondSpace + 1);
            return false;
        }

        layout.IsRequest = true;
        layout.MethodLength = firstSpace;
        layout.RequestUriOffset = offset + firstSpace + 1;
        layout.RequestUriLength = secondSpace;
        layout.VersionOffset = layout.RequestUriOffset + secondSpace + 1;
        layout.VersionLength = version.Length;
        return true;
    }

    private static bool ParseStatusLine(ReadOnlySpan<byte> line, int firstSpace, int offset, ref SipMessageLayout layout)
    {
        if (!IsVersion(line[..firstSpace]))
        {
            Fail(ref layout, SipParseStatus.Malformed, SipParseError.InvalidVersion, offset);
            return false;
        }

        // Status-Code = 3DIGIT, 100-699 (RFC 3261 §21: the first digit is the class, 1 to 6).
        ReadOnlySpan<byte> rest = line[(firstSpace + 1)..];
        const int StatusCodeLength = 3;
        if (rest.Length < StatusCodeLength || (rest.Length > StatusCodeLength && rest[StatusCodeLength] != SP)
            || rest[..StatusCodeLength].ContainsAnyExceptInRange((byte)'0', (byte)'9')
            || rest[0] is < (byte)'1' or > (byte)'6')
        {
            Fail(ref layout, SipParseStatus.Malformed, SipParseError.InvalidStatusCode, offset + firstSpace + 1);
            return false;
        }

        layout.IsRequest = false;
        layout.VersionOffset = offset;
        layout.VersionLength = firstSpace;
        layout.StatusCode = ((rest[0] - '0') * 100) + ((rest[1] - '0') * 10) + (rest[2] - '0');

        // Reason-Phrase may be empty; "SIP/2.0 100\r\n" without the SP is accepted as an empty phrase.
        int reasonOffset = offset + firstSpace + 1 + StatusCodeLength + (rest.Length > StatusCodeLength ? 1 : 0);
        layout.ReasonOffset = reasonOffset;
        layout.ReasonLength = offset + line.Length - reasonOffset;
        return true;
    }

    // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT   (ABNF literals are case-insensitive)
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
