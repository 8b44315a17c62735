using System.Diagnostics;
using SipTraceContext.Conventions;

namespace SipTraceContext.Instrumentation.Ims;

/// <summary>Spans of an I-CSCF: the REGISTER and terminating INVITE it routes and its HSS queries (UAR, LIR).</summary>
public sealed class IcscfInstrumentation : ImsNode
{
    /// <summary>Creates the helper with the default options.</summary>
    public IcscfInstrumentation()
        : base(null)
    {
    }

    /// <summary>Creates the helper.</summary>
    /// <param name="options">The options, read once here.</param>
    public IcscfInstrumentation(ImsNodeOptions options)
        : base(options ?? throw new ArgumentNullException(nameof(options)))
    {
    }

    /// <summary>
    /// Starts <c>ims.icscf.register</c> under the context of the REGISTER (trusted as <see cref="ImsNodeOptions.CoreTrust"/>),
    /// with <c>ims.impu</c>, <c>sip.call_id</c> and <c>sip.method</c>.
    /// </summary>
    /// <param name="request">The raw REGISTER as received.</param>
    /// <returns>The span; its <see cref="ImsSpan.TryRewriteTraceHeaders"/> writes the REGISTER to send to the S-CSCF.</returns>
    public ImsSpan StartRegister(ReadOnlySpan<byte> request) =>
        StartHop(request, ImsSpanNames.IcscfRegister, ImsSpanRole.CscfRequest, ImsFacts.Impu, CoreTrust, injectOnForward: true);

    /// <summary>
    /// Starts <c>ims.icscf.invite</c> under the context of a terminating INVITE, with <c>ims.called_party</c>,
    /// <c>ims.icid</c>, <c>sip.call_id</c> and <c>sip.method</c>.
    /// </summary>
    /// <param name="request">The raw INVITE as received.</param>
    /// <returns>The span; its <see cref="ImsSpan.TryRewriteTraceHeaders"/> writes the INVITE to send to the serving S-CSCF or P-CSCF.</returns>
    public ImsSpan StartInvite(ReadOnlySpan<byte> request) =>
        StartHop(request, ImsSpanNames.IcscfInvite, ImsSpanRole.CscfRequest, ImsFacts.CalledParty | ImsFacts.Icid, CoreTrust, injectOnForward: true);

    /// <summary>
    /// Starts <c>ims.icscf.hss_query</c> under one of this node's spans; its result code is the Diameter Result-Code,
    /// and ending it records <c>ims.hss.query_latency</c>.
    /// </summary>
    /// <param name="parent">The <c>ims.icscf.register</c> or <c>ims.icscf.invite</c> span.</param>
    /// <param name="command">The Cx command, one of <see cref="ImsAttributes.HssCommandValues"/> (UAR or LIR).</param>
    /// <returns>The span.</returns>
    public ImsSpan StartHssQuery(ImsSpan parent, string command)
    {
        ArgumentException.ThrowIfNullOrEmpty(command);
        ImsSpan span = StartChild(parent, ImsSpanNames.IcscfHssQuery, ActivityKind.Client, ImsSpanRole.HssQuery, hssCommand: command);
        span.Activity?.SetTag(ImsAttributes.HssCommand, command);
        return span;
    }
}
