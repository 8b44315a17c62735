using SipTraceContext.Propagation;

namespace SipTraceContext.Instrumentation.Ims;

/// <summary>Options of an IMS node helper (<see cref="PcscfInstrumentation"/>, <see cref="IcscfInstrumentation"/>,
/// <see cref="ScscfInstrumentation"/>, <see cref="ApplicationServerInstrumentation"/>).</summary>
public sealed class ImsNodeOptions
{
    /// <summary>
    /// The trace header options. Defaults to <see cref="SipHeaderStyle.POTel"/> headers (<c>P-OTel-Traceparent</c>,
    /// <c>P-OTel-Tracestate</c>), the private-header style an IMS core strips at its edges.
    /// </summary>
    public SipPropagationOptions Propagation { get; set; } = new() { Style = SipHeaderStyle.POTel };

    /// <summary>
    /// How the P-CSCF treats trace headers in requests from handsets (the access side). Defaults to
    /// <see cref="SipTrustMode.Link"/>: a handset can send anything, so its context becomes a link, never the parent.
    /// </summary>
    public SipTrustMode AccessTrust { get; set; } = SipTrustMode.Link;

    /// <summary>
    /// How a node treats trace headers in requests from other IMS core nodes. Defaults to
    /// <see cref="SipTrustMode.Parent"/>: the core is one trust domain.
    /// </summary>
    public SipTrustMode CoreTrust { get; set; } = SipTrustMode.Parent;
}
