using System.Diagnostics;
using SipTraceContext.Conventions;

namespace SipTraceContext.Instrumentation.Ims;

/// <summary>
/// Spans of an S-CSCF: the INVITE it serves, its HSS queries (SAR, MAR), the evaluation of initial filter
/// criteria and each application server it routes the request through; and the count of active sessions.
/// </summary>
public sealed class ScscfInstrumentation : ImsNode
{
    /// <summary>Creates the helper with the default options.</summary>
    public ScscfInstrumentation()
        : base(null)
    {
    }

    /// <summary>Creates the helper.</summary>
    /// <param name="options">The options, read once here.</param>
    public ScscfInstrumentation(ImsNodeOptions options)
        : base(options ?? throw new ArgumentNullException(nameof(options)))
    {
    }

    /// <summary>
    /// Starts <c>ims.scscf.invite</c> under the context of the INVITE, with <c>ims.calling_party</c>,
    /// <c>ims.called_party</c>, <c>ims.icid</c>, <c>sip.call_id</c> and <c>sip.method</c>. A 2xx result code
    /// (<see cref="ImsSpan.SetResultCode"/>) adds one to <c>ims.session.active_count</c>; call <see cref="EndSession"/> when that session ends.
    /// </summary>
    /// <param name="request">The raw INVITE as received.</param>
    /// <returns>The span; its <see cref="ImsSpan.TryRewriteTraceHeaders"/> writes the INVITE to route on, with this span's context.</returns>
    public ImsSpan StartInvite(ReadOnlySpan<byte> request) =>
        StartHop(request, ImsSpanNames.ScscfInvite, ImsSpanRole.ScscfInvite, ImsFacts.CallingParty | ImsFacts.CalledParty | ImsFacts.Icid, CoreTrust, injectOnForward: true);

    /// <summary>
    /// Starts <c>ims.scscf.hss_query</c> under one of this node's spans; its result code is the Diameter Result-Code,
    /// and ending it records <c>ims.hss.query_latency</c>.
    /// </summary>
    /// <param name="parent">The span the query belongs to, usually <c>ims.scscf.invite</c>.</param>
    /// <param name="command">The Cx command, one of <see cref="ImsAttributes.HssCommandValues"/>.</param>
    /// <returns>The span.</returns>
    public ImsSpan StartHssQuery(ImsSpan parent, string command)
    {
        ArgumentNullException.ThrowIfNull(parent);
        return StartHssQuery(parent.Context, command);
    }

    /// <summary>
    /// Starts <c>ims.scscf.hss_query</c> for a request that has no S-CSCF span of its own (a REGISTER, whose
    /// SAR/MAR then sits under the I-CSCF's span), with the request's context trusted as <see cref="ImsNodeOptions.CoreTrust"/>.
    /// </summary>
    /// <param name="request">The raw request as received.</param>
    /// <param name="command">The Cx command, one of <see cref="ImsAttributes.HssCommandValues"/>.</param>
    /// <returns>The span.</returns>
    public ImsSpan StartHssQuery(ReadOnlySpan<byte> request, string command) =>
        StartHssQuery(Resolve(request, CoreTrust).Parent, command);

    /// <summary>Starts <c>ims.scscf.ifc_eval</c> under an INVITE; its result code is the number of matching filter criteria.</summary>
    /// <param name="invite">The <c>ims.scscf.invite</c> span.</param>
    /// <returns>The span.</returns>
    public ImsSpan StartIfcEvaluation(ImsSpan invite) =>
        StartChild(invite, ImsSpanNames.ScscfIfcEval, ActivityKind.Internal, ImsSpanRole.IfcEval);

    /// <summary>
    /// Starts <c>ims.scscf.as_invoke</c> for routing a request through one application server; its result code is the
    /// status code of the server's response, and ending it records <c>ims.as.invocation_latency</c>.
    /// </summary>
    /// <param name="parent">The span the invocation belongs to, usually <c>ims.scscf.ifc_eval</c>.</param>
    /// <param name="asUri">The application server's SIP URI.</param>
    /// <param name="service">The service it provides, if known.</param>
    /// <returns>The span; its <see cref="ImsSpan.TryRewriteTraceHeaders"/> writes the request to send to the server, with this span's context.</returns>
    public ImsSpan StartAsInvoke(ImsSpan parent, string asUri, string? service = null)
    {
        ArgumentNullException.ThrowIfNull(parent);
        ArgumentException.ThrowIfNullOrEmpty(asUri);
        ImsSpan span = StartChild(parent, ImsSpanNames.ScscfAsInvoke, ActivityKind.Client, ImsSpanRole.AsInvoke, asService: service);
        if (span.Activity is { } activity)
        {
            activity.SetTag(ImsAttributes.AsUri, asUri);
            if (service is not null)
            {
                activity.SetTag(ImsAttributes.AsService, service);
            }
        }

        return span;
    }

    /// <summary>
    /// Subtracts one from <c>ims.session.active_count</c>: call it on the node whose <see cref="StartInvite"/> span
    /// counted the session (a 2xx) when that session ends, so the decrement carries the same
    /// <see cref="ImsNodeOptions.MetricTags"/> as the increment.
    /// </summary>
    public void EndSession() => Metrics.SessionActiveChanged(-1);

    private ImsSpan StartHssQuery(in ActivityContext parent, string command)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ImsSpan span = StartUnder(parent, ImsSpanNames.ScscfHssQuery, ActivityKind.Client, ImsSpanRole.HssQuery, hssCommand: command);
        span.Activity?.SetTag(ImsAttributes.HssCommand, command);
        return span;
    }
}
