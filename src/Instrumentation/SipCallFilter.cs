using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation;

/// <summary>
/// Decides whether a new call gets spans. Called once per call, with the request that starts it
/// (an initial INVITE, or a BYE for a dialog the tracer never saw). Metrics are recorded either way.
/// </summary>
/// <param name="request">The request; valid only during the call.</param>
/// <param name="direction">Whether the node received or sent it.</param>
/// <returns><see langword="true"/> to trace the call.</returns>
public delegate bool SipCallFilter(in SipMessageReader request, SipDirection direction);
