namespace SipTraceContext.Capture;

/// <summary>Which generic (vendor 0) HEPv3 fields a decoded packet carried (for HEPv1/v2: the fields of their fixed headers).</summary>
[Flags]
public enum HepFields
{
    /// <summary>No field.</summary>
    None = 0,

    /// <summary>IP family (chunk 1).</summary>
    IPFamily = 1 << 0,

    /// <summary>IP protocol id (chunk 2).</summary>
    IPProtocol = 1 << 1,

    /// <summary>Source address (chunk 3 or 5).</summary>
    SourceAddress = 1 << 2,

    /// <summary>Destination address (chunk 4 or 6).</summary>
    DestinationAddress = 1 << 3,

    /// <summary>Source port (chunk 7).</summary>
    SourcePort = 1 << 4,

    /// <summary>Destination port (chunk 8).</summary>
    DestinationPort = 1 << 5,

    /// <summary>Timestamp seconds (chunk 9).</summary>
    TimestampSeconds = 1 << 6,

    /// <summary>Timestamp microseconds (chunk 10).</summary>
    TimestampMicroseconds = 1 << 7,

    /// <summary>Protocol type (chunk 11; implied SIP for HEPv1/v2).</summary>
    ProtocolType = 1 << 8,

    /// <summary>Capture agent id (chunk 12).</summary>
    CaptureAgentId = 1 << 9,

    /// <summary>Authentication key (chunk 14).</summary>
    AuthKey = 1 << 10,

    /// <summary>Payload (chunk 15, or 16 when compressed).</summary>
    Payload = 1 << 11,

    /// <summary>Correlation id (chunk 17).</summary>
    CorrelationId = 1 << 12,
}
