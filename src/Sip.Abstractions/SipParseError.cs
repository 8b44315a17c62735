namespace SipTraceContext.Sip;

/// <summary>Why a <see cref="SipMessageReader"/> did not reach <see cref="SipParseStatus.Complete"/>.</summary>
public enum SipParseError
{
    /// <summary>No error: the message is complete.</summary>
    None = 0,

    /// <summary>Incomplete: the start line has not ended yet (or the input is empty or only blank lines).</summary>
    IncompleteStartLine,

    /// <summary>Incomplete: the header section has not ended with an empty line yet.</summary>
    IncompleteHeaders,

    /// <summary>Incomplete: the header section is complete but the body is shorter than Content-Length.</summary>
    IncompleteBody,

    /// <summary>Malformed: a control byte other than HTAB (for example NUL) in the start line or a header line.</summary>
    InvalidCharacter,

    /// <summary>Malformed: a CR not followed by LF; such a line end is read differently by different stacks.</summary>
    BareCarriageReturn,

    /// <summary>Malformed: the start line is neither a Request-Line nor a Status-Line (wrong number of parts, extra spaces).</summary>
    InvalidStartLine,

    /// <summary>Malformed: the request method is not a token.</summary>
    InvalidMethod,

    /// <summary>Malformed: the Request-URI is empty.</summary>
    InvalidRequestUri,

    /// <summary>Malformed: the SIP-Version is not <c>SIP/</c>digits<c>.</c>digits.</summary>
    InvalidVersion,

    /// <summary>Malformed: the status code is not three digits between 100 and 699.</summary>
    InvalidStatusCode,

    /// <summary>Malformed: a header name is empty or not a token.</summary>
    InvalidHeaderName,

    /// <summary>Malformed: a header line has no colon.</summary>
    MissingColon,

    /// <summary>Malformed: a line that starts with whitespace (a folded continuation) right after the start line, with no header to continue.</summary>
    ContinuationWithoutHeader,

    /// <summary>Malformed: Content-Length is not a non-negative decimal number that fits in 32 bits.</summary>
    InvalidContentLength,

    /// <summary>Malformed: Content-Length appears more than once; two framings of one message are a smuggling risk.</summary>
    DuplicateContentLength,

    /// <summary>Limit: a line is longer than <see cref="SipReaderLimits.MaxLineLength"/>.</summary>
    LineTooLong,

    /// <summary>Limit: the start line and header section are longer than <see cref="SipReaderLimits.MaxHeaderSectionBytes"/>.</summary>
    HeaderSectionTooLarge,

    /// <summary>Limit: more header fields than <see cref="SipReaderLimits.MaxHeaderCount"/>.</summary>
    TooManyHeaders,

    /// <summary>Limit: the body (per Content-Length, or the rest of the input without one) is longer than <see cref="SipReaderLimits.MaxBodyBytes"/>.</summary>
    BodyTooLarge,
}
