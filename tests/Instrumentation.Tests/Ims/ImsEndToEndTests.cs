using System.Diagnostics;
using System.Text;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Ims;
using static SipTraceContext.Instrumentation.Tests.Ims.ImsMessages;

namespace SipTraceContext.Instrumentation.Tests.Ims;

/// <summary>
/// A VoLTE registration and call through UE -> P-CSCF -> I-CSCF -> S-CSCF -> AS -> terminating side, every node
/// in-process with the real OpenTelemetry SDK, the SIP messages passed between the nodes as bytes.
/// </summary>
public sealed class ImsEndToEndTests
{
    private readonly PcscfInstrumentation _pcscf = new();
    private readonly IcscfInstrumentation _icscf = new();
    private readonly ScscfInstrumentation _scscf = new();
    private readonly ApplicationServerInstrumentation _as = new();
    private readonly PcscfInstrumentation _terminatingPcscf = new();

    [Fact]
    public void VoLteRegistrationAndCallMakeOneTraceEachWithTheSeedTree()
    {
        using var harness = new TracerHarness();

        // Registration: UE -> P-CSCF -> I-CSCF -> S-CSCF.
        byte[] register = Register("reg-1@192.0.2.10");
        ImsSpan pcscfRegister = _pcscf.StartRegister(register);
        ImsSpan ipsec = _pcscf.StartIpsecSetup(pcscfRegister);
        ipsec.EndWith(3929102);

        byte[] toIcscf = pcscfRegister.Rewrite(register);
        ImsSpan icscfRegister = _icscf.StartRegister(toIcscf);
        ImsSpan uar = _icscf.StartHssQuery(icscfRegister, ImsAttributes.HssCommandValues.Uar);
        uar.EndWith(2001);

        ImsSpan sar = _scscf.StartHssQuery(icscfRegister.Rewrite(toIcscf), ImsAttributes.HssCommandValues.Sar);
        sar.EndWith(2001);

        byte[] registered = Ok("reg-1@192.0.2.10", "REGISTER");
        icscfRegister.EndWithStatusOf(registered);
        pcscfRegister.EndWithStatusOf(registered);

        // Call: UE-A -> P-CSCF -> S-CSCF (-> MMTel AS -> S-CSCF) -> I-CSCF -> terminating P-CSCF -> UE-B.
        const string CallId = "call-1@192.0.2.10";
        byte[] fromUe = Invite(CallId);
        ImsSpan pcscfInvite = _pcscf.StartInvite(fromUe);
        ImsSpan rx = _pcscf.StartRxAar(pcscfInvite, "pcscf1.ims.example.com;1096298391;1");
        rx.EndWith(2001);

        byte[] toScscf = pcscfInvite.Rewrite(fromUe);
        ImsSpan scscfInvite = _scscf.StartInvite(toScscf);
        ImsSpan profile = _scscf.StartHssQuery(scscfInvite, ImsAttributes.HssCommandValues.Sar);
        profile.EndWith(2001);
        ImsSpan ifc = _scscf.StartIfcEvaluation(scscfInvite);
        ImsSpan asInvoke = _scscf.StartAsInvoke(ifc, "sip:mmtel-as.ims.example.com;lr", "mmtel");
        byte[] toAs = asInvoke.Rewrite(toScscf);

        ActivityContext atAs = _as.Receive(toAs);
        Assert.Equal(asInvoke.Activity!.SpanId, atAs.SpanId);
        Assert.Equal(asInvoke.Activity.TraceId, atAs.TraceId);
        byte[] backFromAs = toAs;
        asInvoke.EndWith(200);
        ifc.EndWith(1);

        byte[] toIcscfInvite = scscfInvite.Rewrite(backFromAs);
        ImsSpan icscfInvite = _icscf.StartInvite(toIcscfInvite);
        ImsSpan lir = _icscf.StartHssQuery(icscfInvite, ImsAttributes.HssCommandValues.Lir);
        lir.EndWith(2001);

        byte[] toTerminating = icscfInvite.Rewrite(toIcscfInvite);
        ImsSpan terminating = _terminatingPcscf.StartInvite(toTerminating, ImsLeg.Terminating);
        string toUeB = Text(terminating.Rewrite(toTerminating));
        Assert.DoesNotContain("OTel", toUeB, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("a=rtpmap:97 AMR-WB/16000/1", toUeB, StringComparison.Ordinal);

        byte[] answered = Ok(CallId, "INVITE");
        terminating.EndWithStatusOf(answered);
        icscfInvite.EndWithStatusOf(answered);
        scscfInvite.EndWithStatusOf(answered);
        pcscfInvite.EndWithStatusOf(answered);

        // Traces: one per flow, with exactly the seed's tree.
        Activity registerSpan = harness.Single(ImsSpanNames.PcscfRegister);
        Assert.Equal(
            """
            ims.pcscf.register
              ims.icscf.register
                ims.icscf.hss_query
                ims.scscf.hss_query
              ims.pcscf.ipsec_setup

            """.ReplaceLineEndings("\n"),
            Tree(harness.Spans, registerSpan));

        Activity callRoot = harness.Spans.Single(s => s.OperationName == ImsSpanNames.PcscfInvite && s.ParentSpanId == default);
        Assert.Equal(
            """
            ims.pcscf.invite
              ims.pcscf.rx_aar
              ims.scscf.invite
                ims.icscf.invite
                  ims.icscf.hss_query
                  ims.pcscf.invite
                ims.scscf.hss_query
                ims.scscf.ifc_eval
                  ims.scscf.as_invoke

            """.ReplaceLineEndings("\n"),
            Tree(harness.Spans, callRoot));

        Assert.Equal(5, harness.Spans.Count(s => s.TraceId == registerSpan.TraceId));
        Assert.Equal(9, harness.Spans.Count(s => s.TraceId == callRoot.TraceId));
        Assert.Equal(5 + 9, harness.Spans.Count);

        // Attributes.
        Assert.Equal(ImsMessages.Impu, registerSpan.GetTagItem(ImsAttributes.Impu));
        Assert.Equal(ImsAttributes.AccessTypeValues.EUtranFdd, registerSpan.GetTagItem(ImsAttributes.AccessType));
        Assert.Equal("reg-1@192.0.2.10", registerSpan.GetTagItem(SipAttributes.CallId));
        Assert.Equal("REGISTER", registerSpan.GetTagItem(SipAttributes.Method));
        Assert.Equal(200, registerSpan.GetTagItem(ImsAttributes.ResponseCode));
        Assert.Equal(ActivityKind.Server, registerSpan.Kind);
        Assert.Equal(3929102, harness.Single(ImsSpanNames.PcscfIpsecSetup).GetTagItem(ImsAttributes.IpsecSpi));
        Assert.Equal(ImsMessages.Impu, harness.Single(ImsSpanNames.IcscfRegister).GetTagItem(ImsAttributes.Impu));
        Activity uarSpan = harness.Spans.Single(s => s.OperationName == ImsSpanNames.IcscfHssQuery && s.TraceId == registerSpan.TraceId);
        Assert.Equal(ImsAttributes.HssCommandValues.Uar, uarSpan.GetTagItem(ImsAttributes.HssCommand));
        Assert.Equal(2001, uarSpan.GetTagItem(ImsAttributes.HssResultCode));
        Assert.IsType<double>(uarSpan.GetTagItem(ImsAttributes.HssResponseTimeMs));

        Assert.Equal("tel:+15551234567", callRoot.GetTagItem(ImsAttributes.CallingParty));
        Assert.Equal(ImsMessages.Callee, callRoot.GetTagItem(ImsAttributes.CalledParty));
        Assert.Equal(CallId, callRoot.GetTagItem(SipAttributes.CallId));
        Assert.Equal("INVITE", callRoot.GetTagItem(SipAttributes.Method));
        Assert.Equal(ImsAttributes.AccessTypeValues.EUtranFdd, callRoot.GetTagItem(ImsAttributes.AccessType));
        Assert.Equal(ImsMessages.Icid, callRoot.GetTagItem(ImsAttributes.Icid));
        Assert.Equal("AMR-WB", callRoot.GetTagItem(ImsAttributes.SdpCodec));
        Assert.Equal(49L, callRoot.GetTagItem(ImsAttributes.SdpBandwidth));
        Assert.Equal(200, callRoot.GetTagItem(ImsAttributes.ResponseCode));
        Assert.Equal(ActivityStatusCode.Unset, callRoot.Status);
        Assert.Empty(callRoot.Links);

        Activity rxSpan = harness.Single(ImsSpanNames.PcscfRxAar);
        Assert.Equal(2001, rxSpan.GetTagItem(ImsAttributes.RxResultCode));
        Assert.Equal("pcscf1.ims.example.com;1096298391;1", rxSpan.GetTagItem(ImsAttributes.RxSessionId));
        Assert.Equal(ActivityKind.Client, rxSpan.Kind);

        Activity scscfSpan = harness.Single(ImsSpanNames.ScscfInvite);
        Assert.Equal("tel:+15551234567", scscfSpan.GetTagItem(ImsAttributes.CallingParty));
        Assert.Equal(ImsMessages.Icid, scscfSpan.GetTagItem(ImsAttributes.Icid));
        Assert.Equal(200, scscfSpan.GetTagItem(ImsAttributes.ResponseCode));
        Assert.Equal(1, harness.Single(ImsSpanNames.ScscfIfcEval).GetTagItem(ImsAttributes.IfcMatchingCount));
        Activity asSpan = harness.Single(ImsSpanNames.ScscfAsInvoke);
        Assert.Equal("sip:mmtel-as.ims.example.com;lr", asSpan.GetTagItem(ImsAttributes.AsUri));
        Assert.Equal("mmtel", asSpan.GetTagItem(ImsAttributes.AsService));
        Assert.Equal(200, asSpan.GetTagItem(ImsAttributes.AsResponse));

        Activity icscfSpan = harness.Single(ImsSpanNames.IcscfInvite);
        Assert.Equal(ImsMessages.Callee, icscfSpan.GetTagItem(ImsAttributes.CalledParty));
        Assert.Equal(ImsMessages.Icid, icscfSpan.GetTagItem(ImsAttributes.Icid));
        Activity terminatingSpan = harness.Spans.Single(s => s.OperationName == ImsSpanNames.PcscfInvite && s.ParentSpanId != default);
        Assert.Equal("AMR-WB", terminatingSpan.GetTagItem(ImsAttributes.SdpCodec));
        Assert.Empty(terminatingSpan.Links);

        // Metrics, from the spans the helpers ended.
        MetricPoints metrics = harness.Collect();
        Assert.Equal(1, metrics.HistogramCount(ImsMetrics.RegistrationLatency.Name, (ImsAttributes.AccessType, ImsAttributes.AccessTypeValues.EUtranFdd)));
        Assert.Equal(1, metrics.HistogramCount(ImsMetrics.SessionSetupTime.Name, (ImsAttributes.AccessType, ImsAttributes.AccessTypeValues.EUtranFdd)));
        Assert.Equal(4, metrics.HistogramCount(ImsMetrics.HssQueryLatency.Name));
        Assert.Equal(2, metrics.HistogramCount(ImsMetrics.HssQueryLatency.Name, (ImsAttributes.HssCommand, ImsAttributes.HssCommandValues.Sar)));
        Assert.Equal(1, metrics.HistogramCount(ImsMetrics.HssQueryLatency.Name, (ImsAttributes.HssCommand, ImsAttributes.HssCommandValues.Lir)));
        Assert.Equal(1, metrics.HistogramCount(ImsMetrics.AsInvocationLatency.Name, (ImsAttributes.AsService, "mmtel")));
        Assert.Equal(1, metrics.HistogramCount(ImsMetrics.RxAarLatency.Name));
        Assert.Equal(1, metrics.Value(ImsMetrics.SessionActiveCount.Name));
        Assert.Equal(ImsMetrics.HssQueryLatency.ExplicitBucketBoundaries, metrics.Bounds(ImsMetrics.HssQueryLatency.Name).Where(double.IsFinite));
        Assert.DoesNotContain(ImsAttributes.Impu, metrics.TagKeys(ImsMetrics.RegistrationLatency.Name));
        Assert.DoesNotContain(OtelAttributes.ErrorType, metrics.TagKeys(ImsMetrics.RegistrationLatency.Name));

        _scscf.EndSession();
        Assert.Equal(0, harness.Collect().Value(ImsMetrics.SessionActiveCount.Name));
    }

    [Fact]
    public void ForgedTraceHeadersFromTheHandsetAreOnlyALinkAndNeverEnterTheCore()
    {
        using var harness = new TracerHarness();

        byte[] forged = Invite(
            "call-forged@192.0.2.10",
            $"P-OTel-Traceparent: {ForgedTraceParent}",
            "P-OTel-Tracestate: evil=1",
            $"X-OTel-Traceparent: {ForgedTraceParent}");
        ImsSpan pcscfInvite = _pcscf.StartInvite(forged);
        byte[] intoCoreBytes = pcscfInvite.Rewrite(forged);
        string intoCore = Text(intoCoreBytes);
        ImsSpan scscfInvite = _scscf.StartInvite(intoCoreBytes);
        scscfInvite.EndWith(486);
        pcscfInvite.EndWith(486);

        Activity root = harness.Single(ImsSpanNames.PcscfInvite);
        Activity core = harness.Single(ImsSpanNames.ScscfInvite);

        Assert.Equal(default, root.ParentSpanId);
        Assert.NotEqual(ForgedTraceId, root.TraceId.ToHexString());
        ActivityLink link = Assert.Single(root.Links);
        Assert.Equal(ForgedTraceId, link.Context.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", link.Context.SpanId.ToHexString());

        Assert.Equal(root.TraceId, core.TraceId);
        Assert.Equal(root.SpanId, core.ParentSpanId);
        Assert.Empty(core.Links);

        Assert.DoesNotContain(ForgedTraceId, intoCore, StringComparison.Ordinal);
        Assert.DoesNotContain("evil=1", intoCore, StringComparison.Ordinal);
        Assert.DoesNotContain("X-OTel", intoCore, StringComparison.OrdinalIgnoreCase);
        // The root's own flags: sampled, and with OpenTelemetry 1.21 (System.Diagnostics.DiagnosticSource 11)
        // also W3C Trace Context level 2's random flag (0x02), which a new root trace now carries.
        Assert.True(root.ActivityTraceFlags.HasFlag(ActivityTraceFlags.Recorded));
        Assert.Contains($"P-OTel-Traceparent: 00-{root.TraceId.ToHexString()}-{root.SpanId.ToHexString()}-{(byte)root.ActivityTraceFlags:x2}", intoCore, StringComparison.Ordinal);

        Assert.Equal(486, root.GetTagItem(ImsAttributes.ResponseCode));
        Assert.Equal("486", root.GetTagItem(OtelAttributes.ErrorType));
        Assert.Equal(ActivityStatusCode.Unset, root.Status);
        Assert.Equal(0, harness.Collect().HistogramCount(ImsMetrics.SessionSetupTime.Name));
    }

    [Fact]
    public void TrustedHandsetHeadersCanBeConfiguredAsTheParent()
    {
        using var harness = new TracerHarness();
        var trusting = new PcscfInstrumentation(new ImsNodeOptions { AccessTrust = Propagation.SipTrustMode.Parent });

        ImsSpan span = trusting.StartInvite(Invite("call-trusted@192.0.2.10", $"P-OTel-Traceparent: {ForgedTraceParent}"));
        span.EndWith(200);

        Activity root = harness.Single(ImsSpanNames.PcscfInvite);
        Assert.Equal(ForgedTraceId, root.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", root.ParentSpanId.ToHexString());
        Assert.Empty(root.Links);
    }

    /// <summary>The subtree under <paramref name="root"/>, one span name a line, children sorted by name.</summary>
    private static string Tree(List<Activity> spans, Activity root)
    {
        var text = new StringBuilder();
        Append(root, 0);
        return text.ToString();

        void Append(Activity span, int depth)
        {
            text.Append(' ', depth * 2).Append(span.OperationName).Append('\n');
            foreach (Activity child in spans
                .Where(s => s.TraceId == span.TraceId && s.ParentSpanId == span.SpanId)
                .OrderBy(s => s.OperationName, StringComparer.Ordinal))
            {
                Append(child, depth + 1);
            }
        }
    }
}
