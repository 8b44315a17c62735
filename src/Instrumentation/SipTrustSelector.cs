using SipTraceContext.Propagation;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation;

/// <summary>
/// Decides, per received request that starts a span, what its trace headers mean: for example
/// <see cref="SipTrustMode.Parent"/> for a peer inside the trust domain and
/// <see cref="SipTrustMode.Link"/> for handsets.
/// </summary>
/// <param name="request">The received request; valid only during the call.</param>
/// <returns>The trust mode to apply.</returns>
public delegate SipTrustMode SipTrustSelector(in SipMessageReader request);
