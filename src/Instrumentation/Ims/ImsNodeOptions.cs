using SipTraceContext.Propagation;

namespace SipTraceContext.Instrumentation.Ims;

/// <summary>Options of an IMS node helper (<see cref="PcscfInstrumentation"/>, <see cref="IcscfInstrumentation"/>,
/// <see cref="ScscfInstrumentation"/>, <see cref="ApplicationServerInstrumentation"/>). They are read once, when the
/// helper is created; changing them afterwards has no effect on that helper.</summary>
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

    /// <summary>
    /// Tags added to every IMS measurement this node records: what tells several nodes in one process apart
    /// (two S-CSCFs, or a P-CSCF and an S-CSCF that both query the HSS), since every node records into the same
    /// instruments and so the same metric streams. Keep them few (up to 4 keeps recording allocation-free) and
    /// low-cardinality; they are copied when the node is created. Default: none.
    /// </summary>
    public IReadOnlyList<KeyValuePair<string, object?>> MetricTags { get; set; } = [];

    /// <summary>
    /// How the subscriber identities the node records (<c>ims.impu</c>, <c>ims.calling_party</c>,
    /// <c>ims.called_party</c>) are written on its spans, as the call tracer writes <c>sip.from</c> and <c>sip.to</c>.
    /// Default <see cref="SipAddressPrivacy.AsIs"/>. The bytes the node forwards are never changed by it.
    /// </summary>
    public SipAddressPrivacy AddressPrivacy { get; set; } = SipAddressPrivacy.AsIs;

    /// <summary>
    /// The HMAC key for <see cref="SipAddressPrivacy.HashUser"/>. Set it (at least 16 bytes, kept secret) for hashes
    /// that stay the same across nodes, processes and restarts (the same key as a <see cref="SipCallTracer"/>'s
    /// <see cref="SipCallTracerOptions.HashKey"/> hashes a user the same way there); when <see langword="null"/> a
    /// random key is drawn per node. There is no unkeyed mode: a phone number hashed without a secret key can be
    /// recovered by trying every number.
    /// </summary>
    public byte[]? HashKey { get; set; }

    /// <summary>
    /// A shallow copy of these options, for creating several nodes that differ in an option or two (for example
    /// their <see cref="MetricTags"/>); the propagation options and the hash key are shared, not copied.
    /// </summary>
    /// <returns>The copy.</returns>
    public ImsNodeOptions Clone() => (ImsNodeOptions)MemberwiseClone();
}
