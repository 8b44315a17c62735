using System.Diagnostics;
using System.Text;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Ims;
using static SipTraceContext.Instrumentation.Tests.Ims.ImsMessages;

namespace SipTraceContext.Instrumentation.Tests.Ims;

/// <summary>The IMS helpers' edge cases: unrecorded spans, challenges, failures, egress.</summary>
public sealed class ImsNodeTests
{
    private const string TrustedParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Fact]
    public void WithoutAListenerTheTrustedContextIsForwardedUnchanged()
    {
        using var harness = new TracerHarness(traces: false);
        var scscf = new ScscfInstrumentation();

        byte[] request = Invite("call-unrecorded@192.0.2.10", $"P-OTel-Traceparent: {TrustedParent}");
        ImsSpan span = scscf.StartInvite(request);
        string forwarded = Text(span.Rewrite(request));
        span.EndWith(200);

        Assert.Null(span.Activity);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", span.Context.TraceId.ToHexString());
        Assert.Contains($"P-OTel-Traceparent: {TrustedParent}", forwarded, StringComparison.Ordinal);

        ImsSpan child = scscf.StartIfcEvaluation(span);
        Assert.Null(child.Activity);
        Assert.Equal(span.Context, child.Context);
        child.EndWith(0);

        Assert.Equal(1, harness.Collect().Value(ImsMetrics.SessionActiveCount.Name));
        scscf.EndSession();
    }

    [Fact]
    public void ASpanTheSamplerDropsIsNotStartedButItsContextIsForwarded()
    {
        // The SDK creates a dropped span only to propagate it: the helper hands out no Activity, and the
        // forwarded request carries the dropped span's own context, in the trusted trace, unsampled.
        using var harness = new TracerHarness(sampler: new OpenTelemetry.Trace.AlwaysOffSampler());
        var scscf = new ScscfInstrumentation();

        byte[] request = Invite("call-dropped@192.0.2.10", $"P-OTel-Traceparent: {TrustedParent}");
        ImsSpan span = scscf.StartInvite(request);
        string forwarded = Text(span.Rewrite(request));
        span.EndWith(200);

        Assert.Null(span.Activity);
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", span.Context.TraceId.ToHexString());
        Assert.NotEqual("00f067aa0ba902b7", span.Context.SpanId.ToHexString());
        Assert.NotEqual(default, span.Context.SpanId);
        Assert.Contains($"P-OTel-Traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-{span.Context.SpanId.ToHexString()}-00", forwarded, StringComparison.Ordinal);
        Assert.Empty(harness.Spans);
        Assert.Equal(1, harness.Collect().Value(ImsMetrics.SessionActiveCount.Name));
        scscf.EndSession();
    }

    [Fact]
    public void WithoutAListenerAnUntrustedHandsetContextIsNotForwarded()
    {
        using var harness = new TracerHarness(traces: false);
        var pcscf = new PcscfInstrumentation();

        byte[] request = Invite("call-unrecorded-ue@192.0.2.10", $"P-OTel-Traceparent: {ForgedTraceParent}");
        ImsSpan span = pcscf.StartInvite(request);
        string forwarded = Text(span.Rewrite(request));
        span.EndWith(180);

        Assert.Null(span.Activity);
        Assert.DoesNotContain("OTel", forwarded, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void ARegistrationChallengeIsNotAFailureAndNotARegistration()
    {
        using var harness = new TracerHarness();
        var pcscf = new PcscfInstrumentation();

        ImsSpan challenged = pcscf.StartRegister(Register("reg-challenge@192.0.2.10"));
        challenged.EndWith(401);
        ImsSpan refused = pcscf.StartRegister(Register("reg-refused@192.0.2.10"));
        refused.EndWith(403);

        Activity first = harness.Spans.Single(s => Equals(s.GetTagItem(SipAttributes.CallId), "reg-challenge@192.0.2.10"));
        Assert.Equal(401, first.GetTagItem(ImsAttributes.ResponseCode));
        Assert.Equal(ActivityStatusCode.Unset, first.Status);
        Assert.Null(first.GetTagItem(OtelAttributes.ErrorType));

        Activity second = harness.Spans.Single(s => Equals(s.GetTagItem(SipAttributes.CallId), "reg-refused@192.0.2.10"));
        Assert.Equal("403", second.GetTagItem(OtelAttributes.ErrorType));

        // The P-CSCF's Server span: a 403 is the handset's problem, not the node's (error.type records it).
        Assert.Equal(ActivityStatusCode.Unset, second.Status);

        MetricPoints metrics = harness.Collect();
        Assert.Equal(1, metrics.HistogramCount(ImsMetrics.RegistrationLatency.Name));
        Assert.Equal(1, metrics.HistogramCount(ImsMetrics.RegistrationLatency.Name, (OtelAttributes.ErrorType, "403")));
    }

    [Fact]
    public void FailedDiameterQueriesCarryTheirErrorTypeOnSpanAndMetric()
    {
        using var harness = new TracerHarness();
        var icscf = new IcscfInstrumentation();

        ImsSpan invite = icscf.StartInvite(Invite("call-lir@192.0.2.10", $"P-OTel-Traceparent: {TrustedParent}"));
        ImsSpan lir = icscf.StartHssQuery(invite, ImsAttributes.HssCommandValues.Lir);
        lir.EndWith(5001);
        invite.SetErrorType("user_unknown");
        invite.EndWith(404);

        Activity query = harness.Single(ImsSpanNames.IcscfHssQuery);
        Assert.Equal("5001", query.GetTagItem(OtelAttributes.ErrorType));
        Activity span = harness.Single(ImsSpanNames.IcscfInvite);
        Assert.Equal("user_unknown", span.GetTagItem(OtelAttributes.ErrorType));
        Assert.Equal(404, span.GetTagItem(ImsAttributes.ResponseCode));
        Assert.Equal("4bf92f3577b34da6a3ce929d0e0e4736", span.TraceId.ToHexString());

        MetricPoints metrics = harness.Collect();
        Assert.Equal(1, metrics.HistogramCount(
            ImsMetrics.HssQueryLatency.Name,
            (ImsAttributes.HssCommand, ImsAttributes.HssCommandValues.Lir),
            (OtelAttributes.ErrorType, "5001")));
    }

    [Fact]
    public void EndingTwiceRecordsOnceAndAmbientActivityIsNeitherUsedNorChanged()
    {
        using var harness = new TracerHarness();
        using var ambient = new Activity("ambient").Start();
        var pcscf = new PcscfInstrumentation();

        ImsSpan span = pcscf.StartInvite(Invite("call-twice@192.0.2.10"));
        Assert.Same(ambient, Activity.Current);
        Assert.NotEqual(ambient.TraceId, span.Activity!.TraceId);
        span.EndWith(200);
        span.EndWith(500);
        span.Dispose();

        Assert.Equal(200, harness.Single(ImsSpanNames.PcscfInvite).GetTagItem(ImsAttributes.ResponseCode));
        Assert.Equal(1, harness.Collect().HistogramCount(ImsMetrics.SessionSetupTime.Name));
    }

    [Theory]
    [InlineData("icid-value=AyretyU0dm+6O2IrT5tAFrbHLso=;orig-ioi=home1.net", "AyretyU0dm+6O2IrT5tAFrbHLso=")] // unquoted base64
    [InlineData("icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=\";icid-generated-at=192.0.2.1", "AyretyU0dm+6O2IrT5tAFrbHLso=")]
    [InlineData("icid-value=\"x;y=z\";orig-ioi=a", "x;y=z")]
    [InlineData("icid-value=1234bc9876e;x-info=two words", "1234bc9876e")] // a parameter no generic-param
    public void TheCallTracerAndTheImsHelpersReportTheSameIcid(string chargingVector, string icid)
    {
        using var harness = new TracerHarness();
        const string CallId = "call-icid@192.0.2.10";
        byte[] invite = Tests.Sip.Invite(CallId, extra: [$"P-Charging-Vector: {chargingVector}"]);

        harness.In(invite);
        harness.Out(Tests.Sip.Response(486, "Busy Here", CallId));
        new ScscfInstrumentation().StartInvite(invite).EndWith(486);
        new PcscfInstrumentation().StartInvite(invite).EndWith(486);

        Assert.Equal(icid, harness.Single(SipSpanNames.CallSetup).GetTagItem(ImsAttributes.Icid));
        Assert.Equal(icid, harness.Single(ImsSpanNames.ScscfInvite).GetTagItem(ImsAttributes.Icid));
        Assert.Equal(icid, harness.Single(ImsSpanNames.PcscfInvite).GetTagItem(ImsAttributes.Icid));
    }

    [Fact]
    public void EgressToAnotherNetworkStripsEveryTraceHeader()
    {
        var icscf = new IcscfInstrumentation();
        byte[] message = Invite("call-egress@192.0.2.10", $"P-OTel-Traceparent: {TrustedParent}", "P-OTel-Tracestate: a=1", $"X-OTel-Traceparent: {TrustedParent}");

        string stripped = Encoding.UTF8.GetString(icscf.StripToArray(message));

        Assert.DoesNotContain("OTel", stripped, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("P-Charging-Vector: icid-value=", stripped, StringComparison.Ordinal);
        Assert.EndsWith(Sdp, stripped, StringComparison.Ordinal);
    }
}
