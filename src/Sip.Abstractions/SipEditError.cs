namespace SipTraceContext.Sip;

/// <summary>Why <see cref="SipMessageEditor"/> wrote nothing.</summary>
internal enum SipEditError
{
    /// <summary>No error: the edited message was written.</summary>
    None = 0,

    /// <summary>The source message's start line or header section is incomplete, malformed or over a limit.</summary>
    InvalidMessage,

    /// <summary>An edit's header name is empty or not an RFC 3261 token (it could not be read back as the same header).</summary>
    InvalidHeaderName,

    /// <summary>
    /// An edit's value holds CR, LF, NUL or another control byte but HTAB. Writing it could end the
    /// header line early and smuggle in a header of the value's choosing, so nothing is written.
    /// </summary>
    InvalidHeaderValue,

    /// <summary>The destination is too small for the edited message.</summary>
    DestinationTooSmall,

    /// <summary>A <see cref="SipHeaderValueWriter"/> returned <see langword="false"/> although it had its maximum length available.</summary>
    ValueWriterFailed,

    /// <summary>
    /// The edited message would be over the <see cref="SipReaderLimits"/> of the <see cref="SipWireMessage"/> it
    /// was applied to (most often: more header fields than <see cref="SipReaderLimits.MaxHeaderCount"/>), so the
    /// message was kept as it was. Replace or remove headers rather than add them.
    /// </summary>
    LimitExceeded,
}
