namespace SipTraceContext.Sip;

/// <summary>The outcome of reading a SIP message with <see cref="SipMessageReader"/>.</summary>
public enum SipParseStatus
{
    /// <summary>The start line, the header section and the body (per Content-Length) are all present and well formed.</summary>
    Complete = 0,

    /// <summary>
    /// Everything present so far is well formed but the message is cut short: more bytes may complete it.
    /// Every strict prefix of a valid message reads as incomplete. <see cref="SipMessageReader.Error"/> says which part is missing.
    /// </summary>
    Incomplete = 1,

    /// <summary>The bytes break the RFC 3261 grammar in a way no further bytes can fix. <see cref="SipMessageReader.Error"/> says how.</summary>
    Malformed = 2,

    /// <summary>The message exceeds one of the <see cref="SipReaderLimits"/>. <see cref="SipMessageReader.Error"/> says which.</summary>
    LimitExceeded = 3,
}
