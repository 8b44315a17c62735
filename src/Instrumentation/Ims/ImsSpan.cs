using System.Diagnostics;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Propagation;

namespace SipTraceContext.Instrumentation.Ims;

/// <summary>
/// One span an IMS node helper started: the <see cref="System.Diagnostics.Activity"/> (or <c>null</c> when
/// nobody listens or it was not sampled), its outcome, and the trace headers of the messages the node sends for
/// it. Disposing it ends it and records the IMS metric of the span, if it has one.
/// </summary>
/// <remarks>
/// <para>
/// End it by disposing it, best with a <c>using</c> declaration, after recording its outcome with
/// <see cref="SetResultCode"/> and, for a failure the node itself sees, <see cref="SetErrorType"/>. The meaning of
/// the result code depends on the span:
/// </para>
/// <list type="bullet">
/// <item><description>CSCF request spans (<c>ims.pcscf.register</c>, <c>ims.pcscf.invite</c>, <c>ims.icscf.*</c> requests,
/// <c>ims.scscf.invite</c>): the SIP status code of the final response, recorded as <c>ims.response_code</c>.</description></item>
/// <item><description><c>ims.pcscf.ipsec_setup</c>: the security parameter index, recorded as <c>ims.ipsec.spi</c>.</description></item>
/// <item><description><c>ims.pcscf.rx_aar</c>: the Diameter Result-Code of the AA-Answer, <c>ims.rx.result_code</c>.</description></item>
/// <item><description>HSS queries: the Diameter Result-Code of the answer, <c>ims.hss.result_code</c>.</description></item>
/// <item><description><c>ims.scscf.ifc_eval</c>: the number of matching filter criteria, <c>ims.ifc.matching_count</c>.</description></item>
/// <item><description><c>ims.scscf.as_invoke</c>: the status code of the application server's response, <c>ims.as.response</c>.</description></item>
/// </list>
/// <para>
/// It ends once: disposing it again does nothing, and neither does recording an outcome after it ended. Recording
/// and ending are not meant to race on two threads.
/// </para>
/// </remarks>
public sealed class ImsSpan : IDisposable
{
    private const double MillisecondsPerSecond = 1000.0;

    private readonly ImsNode _node;
    private readonly ImsSpanRole _role;
    private readonly ActivityContext _context;
    private readonly bool _recordMetrics;

    // Whether the messages of this span carry its context; not on a span towards a handset.
    private readonly bool _injects;
    private readonly long _started;
    private string? _errorType;
    private int _code;
    private bool _hasCode;
    private int _ended;

    internal ImsSpan(ImsNode node, Activity? activity, ImsSpanRole role, bool injects, bool recordMetrics, in ActivityContext context)
    {
        _injects = injects;
        _node = node;
        Activity = activity;
        _role = role;
        _context = context;
        _recordMetrics = recordMetrics;
        _started = Stopwatch.GetTimestamp();
    }

    /// <summary>The span, or <c>null</c> when it is not recorded.</summary>
    public Activity? Activity { get; }

    /// <summary>
    /// The context this span propagates: its own (a span the sampler dropped has one too, though it is
    /// never started), or when nobody listens the context it continues (the trusted parent), so the trace
    /// is not cut at a node that does not trace.
    /// </summary>
    public ActivityContext Context => _context;

    /// <summary>The access type read from P-Access-Network-Info, tagged on the registration and session metrics.</summary>
    internal string? AccessType { get; init; }

    /// <summary>The Diameter command of an HSS query, tagged on <c>ims.hss.query_latency</c>.</summary>
    internal string? HssCommand { get; init; }

    /// <summary>The service of an application server invocation, tagged on <c>ims.as.invocation_latency</c>.</summary>
    internal string? AsService { get; init; }

    /// <summary>Whether ending an originating INVITE with a 2xx records <c>ims.session.setup_time</c>.</summary>
    internal bool RecordsSetupTime { get; init; }

    /// <summary>
    /// Writes a message the node sends for this span (the request that started it, or a later one such as the
    /// request an application server routed back) to <paramref name="destination"/> with its trace headers
    /// rewritten: every one it came with removed and this span's <see cref="Context"/> written, or none written on
    /// a span towards a handset (<see cref="ImsLeg.Terminating"/>), whose messages leave the trust domain.
    /// </summary>
    /// <param name="message">The raw SIP message.</param>
    /// <param name="destination">
    /// Where the message goes; <paramref name="message"/>'s length plus the node's <see cref="ImsNode.MaxAddedBytes"/>
    /// is always enough. It must not overlap <paramref name="message"/>.
    /// </param>
    /// <param name="bytesWritten">The length written, or 0 when this returns <see langword="false"/>.</param>
    /// <returns>
    /// <see langword="false"/> when <paramref name="destination"/> is too small (it is then left as it was), or when
    /// the message must not be forwarded at all, as <see cref="ImsNode.TryStripTraceHeaders"/> decides.
    /// </returns>
    public bool TryRewriteTraceHeaders(ReadOnlySpan<byte> message, Span<byte> destination, out int bytesWritten) =>
        _node.TryRewrite(message, _context, _injects && TraceParent.FromActivityContext(_context).IsValid, destination, out bytesWritten);

    /// <summary>
    /// Records the outcome of the span, applied when it ends: a code whose meaning depends on the span (see the
    /// remarks of <see cref="ImsSpan"/>). A later call replaces an earlier one; a call after the span ended is ignored.
    /// </summary>
    /// <param name="code">The result code: for a CSCF request span, the status code of the final SIP response.</param>
    public void SetResultCode(int code)
    {
        if (Volatile.Read(ref _ended) == 0)
        {
            _code = code;
            _hasCode = true;
        }
    }

    /// <summary>
    /// Marks the span failed, applied when it ends: <c>error.type</c> and the Error status (a failure the node
    /// itself reports, such as a timeout, is an error on any span kind). It takes precedence over the error type a
    /// failed <see cref="SetResultCode"/> would record. A call after the span ended is ignored.
    /// </summary>
    /// <param name="errorType">A low-cardinality error type, such as a timeout or a Diameter result name.</param>
    /// <exception cref="ArgumentException"><paramref name="errorType"/> is <see langword="null"/> or empty.</exception>
    public void SetErrorType(string errorType)
    {
        ArgumentException.ThrowIfNullOrEmpty(errorType);
        if (Volatile.Read(ref _ended) == 0)
        {
            _errorType = errorType;
        }
    }

    /// <summary>
    /// Ends the span with the outcome recorded so far, and records its IMS metric if it has one. Only the first
    /// call ends it; later calls do nothing.
    /// </summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _ended, 1) != 0)
        {
            return;
        }

        if (_errorType is not null && Activity is { } activity)
        {
            activity.SetTag(OtelAttributes.ErrorType, _errorType);
            activity.SetStatus(ActivityStatusCode.Error);
        }

        if (_hasCode)
        {
            ApplyCode(_code);
        }

        Activity?.Stop();
        double elapsed = Stopwatch.GetElapsedTime(_started).TotalSeconds * MillisecondsPerSecond;
        if (_recordMetrics)
        {
            Record(elapsed, _code, _hasCode);
        }
    }

    private void ApplyCode(int code)
    {
        string? attribute = _role switch
        {
            ImsSpanRole.PcscfRegister or ImsSpanRole.PcscfInvite or ImsSpanRole.CscfRequest or ImsSpanRole.ScscfInvite => ImsAttributes.ResponseCode,
            ImsSpanRole.IpsecSetup => ImsAttributes.IpsecSpi,
            ImsSpanRole.RxAar => ImsAttributes.RxResultCode,
            ImsSpanRole.HssQuery => ImsAttributes.HssResultCode,
            ImsSpanRole.IfcEval => ImsAttributes.IfcMatchingCount,
            ImsSpanRole.AsInvoke => ImsAttributes.AsResponse,
            _ => null,
        };

        if (attribute is null)
        {
            return;
        }

        bool failed = _role switch
        {
            ImsSpanRole.PcscfRegister => IsSipFailure(code) && !IsChallenge(code),
            ImsSpanRole.PcscfInvite or ImsSpanRole.CscfRequest or ImsSpanRole.ScscfInvite or ImsSpanRole.AsInvoke => IsSipFailure(code),
            ImsSpanRole.RxAar or ImsSpanRole.HssQuery => !IsDiameterSuccess(code),
            _ => false,
        };

        if (failed && _errorType is null)
        {
            // error.type records every failed outcome; the Error status follows the SIP mapping by span
            // kind (a 4xx or 6xx a CSCF returns is not its fault), and any failed Diameter answer.
            _errorType = ImsTelemetry.ErrorType(code);
            if (Activity is { } activity)
            {
                activity.SetTag(OtelAttributes.ErrorType, _errorType);
                bool isSip = _role is not (ImsSpanRole.RxAar or ImsSpanRole.HssQuery);
                if (!isSip || SipSpanStatus.IsError(activity.Kind, code, cancelled: false))
                {
                    activity.SetStatus(ActivityStatusCode.Error);
                }
            }
        }

        Activity?.SetTag(attribute, code);
        if (_role == ImsSpanRole.HssQuery)
        {
            Activity?.SetTag(ImsAttributes.HssResponseTimeMs, Stopwatch.GetElapsedTime(_started).TotalSeconds * MillisecondsPerSecond);
        }
    }

    private void Record(double elapsedMs, int code, bool hasCode)
    {
        ImsNodeMetrics metrics = _node.Metrics;
        switch (_role)
        {
            case ImsSpanRole.PcscfRegister:
                if (hasCode && !IsChallenge(code))
                {
                    metrics.RegistrationLatency(elapsedMs, AccessType, _errorType);
                }

                break;
            case ImsSpanRole.PcscfInvite:
                if (RecordsSetupTime && hasCode && code is >= 200 and < 300)
                {
                    metrics.SessionSetupTime(elapsedMs, AccessType);
                }

                break;
            case ImsSpanRole.ScscfInvite:
                if (hasCode && code is >= 200 and < 300)
                {
                    metrics.SessionActiveChanged(1);
                }

                break;
            case ImsSpanRole.HssQuery:
                metrics.HssQueryLatency(elapsedMs, HssCommand, _errorType);
                break;
            case ImsSpanRole.AsInvoke:
                metrics.AsInvocationLatency(elapsedMs, AsService, _errorType);
                break;
            case ImsSpanRole.RxAar:
                metrics.RxAarLatency(elapsedMs, _errorType);
                break;
            default:
                break;
        }
    }

    private static bool IsSipFailure(int code) => code >= 300;

    private static bool IsChallenge(int code) => code is 401 or 407;

    private static bool IsDiameterSuccess(int code) => code is >= 2000 and < 3000;
}
