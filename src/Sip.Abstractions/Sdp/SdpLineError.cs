namespace SipTraceContext.Sip.Sdp;

/// <summary>Why a line of an SDP body does not follow the <c>&lt;type&gt;=&lt;value&gt;</c> form (RFC 8866 §5).</summary>
internal enum SdpLineError
{
    /// <summary>The line is well formed.</summary>
    None = 0,

    /// <summary>The second byte is not <c>=</c> (the line is shorter than two bytes, or has whitespace or more than one letter before the <c>=</c>).</summary>
    MissingEquals = 1,

    /// <summary>The type is not one lower-case ASCII letter.</summary>
    InvalidType = 2,

    /// <summary>The line holds a NUL byte, which no SDP field may contain.</summary>
    NulByte = 3,

    /// <summary>A CR not followed by LF ends the line: senders and readers disagree on where such a line ends.</summary>
    BareCarriageReturn = 4,
}
