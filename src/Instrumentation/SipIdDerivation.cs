namespace SipTraceContext.Instrumentation;

/// <summary>
/// Whether a call tracer derives span and trace ids from the SIP messages (Call-ID, Via branches,
/// X-CID), so that nodes that never talk to each other, and send no trace headers, put one call in one
/// trace: each node's setup span is the child of the previous node's (docs/zero-touch-call-trees.md).
/// </summary>
public enum SipIdDerivation
{
    /// <summary>Random ids; a call through nodes that send no trace headers is one trace per node.</summary>
    Off = 0,

    /// <summary>
    /// The default. Where no trusted header gives the setup span a parent, its trace, span and parent ids
    /// are derived. Under a trusted header the header's trace is kept; with a
    /// <see cref="SipCallTracerOptions.DerivationKey"/> set, the span id is derived too and the parent is
    /// the previous hop's derived span, so proxies that forward the caller's headers unchanged still chain.
    /// </summary>
    Derive = 1,

    /// <summary>Always the derived trace and parent; a trusted header's context becomes a link, never the parent.</summary>
    DeriveAndLink = 2,
}
