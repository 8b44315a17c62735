using System.Diagnostics;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation;

/// <summary>
/// Adds what the host knows to a span: called with the request that started it, or with the final
/// response that ends it, and only when the span is recorded.
/// </summary>
/// <param name="activity">The span.</param>
/// <param name="message">The request or response; valid only during the call.</param>
public delegate void SipActivityEnricher(Activity activity, in SipMessageReader message);
