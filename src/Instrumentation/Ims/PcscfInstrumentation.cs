using System.Diagnostics;
using SipTraceContext.Conventions;

namespace SipTraceContext.Instrumentation.Ims;

/// <summary>
/// Spans of a P-CSCF, the trust edge of the IMS core: requests from handsets are trusted as
/// <see cref="ImsNodeOptions.AccessTrust"/> (a link by default, never the parent) and their trace headers are
/// replaced before they go into the core; requests the P-CSCF delivers to handsets leave without trace headers.
/// </summary>
public sealed class PcscfInstrumentation : ImsNode
{
    /// <summary>Creates the helper with the default options.</summary>
    public PcscfInstrumentation()
        : base(null)
    {
    }

    /// <summary>Creates the helper.</summary>
    /// <param name="options">The options, read once here.</param>
    public PcscfInstrumentation(ImsNodeOptions options)
        : base(options ?? throw new ArgumentNullException(nameof(options)))
    {
    }

    /// <summary>
    /// Starts <c>ims.pcscf.register</c> for a REGISTER from a handset, with <c>ims.impu</c> (P-Preferred-Identity,
    /// else From), <c>sip.call_id</c>, <c>sip.method</c> and <c>ims.access_type</c>. Its result code (<see cref="ImsSpan.SetResultCode"/>) is the status of
    /// the final response; one that is not a 401/407 challenge records <c>ims.registration.latency</c>.
    /// </summary>
    /// <param name="request">The raw REGISTER as received.</param>
    /// <returns>The span; its <see cref="ImsSpan.TryRewriteTraceHeaders"/> writes the REGISTER to send to the I-CSCF.</returns>
    public ImsSpan StartRegister(ReadOnlySpan<byte> request) =>
        StartHop(request, ImsSpanNames.PcscfRegister, ImsSpanRole.PcscfRegister, ImsFacts.Impu | ImsFacts.AccessType, AccessTrust, injectOnForward: true);

    /// <summary>
    /// Starts <c>ims.pcscf.invite</c> with <c>ims.calling_party</c>, <c>ims.called_party</c>, <c>sip.call_id</c>,
    /// <c>ims.access_type</c>, <c>ims.icid</c>, <c>ims.sdp.codec</c> and <c>ims.sdp.bandwidth</c>. On the
    /// originating leg, a 2xx result code records <c>ims.session.setup_time</c>.
    /// </summary>
    /// <param name="request">The raw INVITE as received.</param>
    /// <param name="leg">
    /// <see cref="ImsLeg.Originating"/> (from a handset, forwarded into the core with this span's context) or
    /// <see cref="ImsLeg.Terminating"/> (from the core, forwarded to the handset without trace headers).
    /// </param>
    /// <returns>The span; its <see cref="ImsSpan.TryRewriteTraceHeaders"/> writes the INVITE to send on (towards a handset, without trace headers).</returns>
    public ImsSpan StartInvite(ReadOnlySpan<byte> request, ImsLeg leg = ImsLeg.Originating)
    {
        const ImsFacts facts = ImsFacts.CallingParty | ImsFacts.CalledParty | ImsFacts.AccessType | ImsFacts.Icid | ImsFacts.Sdp;
        return leg == ImsLeg.Terminating
            ? StartHop(request, ImsSpanNames.PcscfInvite, ImsSpanRole.PcscfInvite, facts, CoreTrust, injectOnForward: false)
            : StartHop(request, ImsSpanNames.PcscfInvite, ImsSpanRole.PcscfInvite, facts, AccessTrust, injectOnForward: true, recordsSetupTime: true);
    }

    /// <summary>Starts <c>ims.pcscf.ipsec_setup</c> under a registration; its result code is the SPI of the association.</summary>
    /// <param name="register">The <c>ims.pcscf.register</c> span.</param>
    /// <returns>The span.</returns>
    public ImsSpan StartIpsecSetup(ImsSpan register) =>
        StartChild(register, ImsSpanNames.PcscfIpsecSetup, ActivityKind.Internal, ImsSpanRole.IpsecSetup);

    /// <summary>
    /// Starts <c>ims.pcscf.rx_aar</c> under an INVITE; its result code is the Result-Code of the AA-Answer, and ending it
    /// records
    /// <c>ims.rx.aar_latency</c>.
    /// </summary>
    /// <param name="invite">The <c>ims.pcscf.invite</c> span.</param>
    /// <param name="rxSessionId">The Diameter Session-Id of the Rx session, if known.</param>
    /// <returns>The span.</returns>
    public ImsSpan StartRxAar(ImsSpan invite, string? rxSessionId = null)
    {
        ImsSpan span = StartChild(invite, ImsSpanNames.PcscfRxAar, ActivityKind.Client, ImsSpanRole.RxAar);
        if (rxSessionId is not null)
        {
            span.Activity?.SetTag(ImsAttributes.RxSessionId, rxSessionId);
        }

        return span;
    }
}
