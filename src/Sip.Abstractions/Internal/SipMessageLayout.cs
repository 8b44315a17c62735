namespace SipTraceContext.Sip.Internal;

/// <summary>
/// Where the parts of one SIP message lie in its buffer, as offsets and lengths, found by one pass of
/// <see cref="SipMessageParser"/>. Offsets rather than spans so the reader stays small and copyable.
/// </summary>
internal struct SipMessageLayout
{
    /// <summary>False only in a <c>default</c> reader, which has read nothing and so is incomplete.</summary>
    public bool Parsed;
    public SipParseStatus Status;
    public SipParseError Error;
    public int ErrorOffset;

    public int StartLineOffset;
    public int StartLineLength;
    public bool IsRequest;

    // Request: Method, Request-URI, SIP-Version. Response: SIP-Version, Status-Code, Reason-Phrase.
    public int MethodLength;
    public int RequestUriOffset;
    public int RequestUriLength;
    public int VersionOffset;
    public int VersionLength;
    public int StatusCode;
    public int ReasonOffset;
    public int ReasonLength;

    /// <summary>True once the header section has been read to its empty line without error.</summary>
    public bool HeadersComplete;
    public int HeadersOffset;

    /// <summary>Offset of the empty line that ends the header section.</summary>
    public int HeadersEnd;
    public int BodyOffset;
    public int HeaderCount;

    /// <summary>The Content-Length value, or -1 when the header is absent.</summary>
    public int ContentLength;
    public int BodyLength;
    public int MessageLength;
}
