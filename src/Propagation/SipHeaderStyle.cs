namespace SipTraceContext.Propagation;

/// <summary>How trace context travels in SIP headers.</summary>
public enum SipHeaderStyle
{
    /// <summary>
    /// Each OpenTelemetry propagator field <c>k</c> travels as the header <c>X-OTel-</c> + <c>k</c>:
    /// <c>X-OTel-traceparent</c>, <c>X-OTel-tracestate</c>, <c>X-OTel-baggage</c>. Works across any SIP network.
    /// </summary>
    XOTel,

    /// <summary>
    /// IMS private-header style: <c>P-OTel-Traceparent</c>, <c>P-OTel-Tracestate</c> (and <c>P-OTel-Baggage</c>).
    /// Meant for use inside an IMS trust domain and stripped on egress out of it.
    /// </summary>
    POTel,
}
