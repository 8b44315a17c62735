namespace SipTraceContext.Propagation;

/// <summary>Which trace headers a strip operation removes.</summary>
[Flags]
public enum SipTraceHeaderScope
{
    /// <summary>No header.</summary>
    None = 0,

    /// <summary>The X-OTel style headers (with the configured prefix).</summary>
    XOTel = 1,

    /// <summary>The P-OTel style headers (with the configured prefix): strip these on egress from an IMS trust domain.</summary>
    POTel = 2,

    /// <summary>The fallback spellings accepted on extract (<c>OTel-Traceparent</c>, <c>X-Traceparent</c>, <c>Traceparent</c>, ...).</summary>
    Fallback = 4,

    /// <summary>Every trace header: what to strip from an untrusted handset's messages.</summary>
    All = XOTel | POTel | Fallback,
}
