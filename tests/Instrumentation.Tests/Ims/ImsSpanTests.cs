using System.Diagnostics;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Ims;
using static SipTraceContext.Instrumentation.Tests.Ims.ImsMessages;

namespace SipTraceContext.Instrumentation.Tests.Ims;

/// <summary>How an <see cref="ImsSpan"/> ends: by <see cref="ImsSpan.Dispose"/>, once, with the outcome recorded before.</summary>
public sealed class ImsSpanTests
{
    [Fact]
    public void AUsingDeclarationEndsTheSpanWithTheResultCodeRecordedBefore()
    {
        using var harness = new TracerHarness();
        var pcscf = new PcscfInstrumentation();

        Activity? activity = RegisterAndEnd(pcscf, 200);

        Assert.NotNull(activity);
        Assert.True(activity.IsStopped);
        Activity exported = harness.Single(ImsSpanNames.PcscfRegister);
        Assert.Equal(200, exported.GetTagItem(ImsAttributes.ResponseCode));
        Assert.Equal(1, harness.Collect().HistogramCount(ImsMetrics.RegistrationLatency.Name));
    }

    [Fact]
    public void DisposingTwiceEndsAndRecordsOnce()
    {
        using var harness = new TracerHarness();
        var pcscf = new PcscfInstrumentation();
        ImsSpan invite = pcscf.StartInvite(Invite("call-once@192.0.2.10"));
        ImsSpan rx = pcscf.StartRxAar(invite);
        rx.SetResultCode(2001);

        rx.Dispose();
        rx.Dispose();
        invite.Dispose();

        Assert.Single(harness.Spans, s => s.OperationName == ImsSpanNames.PcscfRxAar);
        Assert.Equal(1, harness.Collect().HistogramCount(ImsMetrics.RxAarLatency.Name));
    }

    [Fact]
    public void AnOutcomeRecordedAfterTheEndIsIgnored()
    {
        using var harness = new TracerHarness();
        var scscf = new ScscfInstrumentation();
        ImsSpan invite = scscf.StartInvite(Invite("call-late@192.0.2.10"));
        ImsSpan hss = scscf.StartHssQuery(invite, ImsAttributes.HssCommandValues.Sar);
        hss.SetResultCode(2001);
        hss.Dispose();

        hss.SetResultCode(5001);
        hss.SetErrorType(OtelAttributes.ErrorTypeValues.Timeout);
        hss.Dispose();
        invite.Dispose();

        Activity exported = harness.Single(ImsSpanNames.ScscfHssQuery);
        Assert.Equal(2001, exported.GetTagItem(ImsAttributes.HssResultCode));
        Assert.Null(exported.GetTagItem(OtelAttributes.ErrorType));
        Assert.Equal(ActivityStatusCode.Unset, exported.Status);
        MetricPoints metrics = harness.Collect();
        Assert.Equal(1, metrics.HistogramCount(ImsMetrics.HssQueryLatency.Name));
        Assert.DoesNotContain(OtelAttributes.ErrorType, metrics.TagKeys(ImsMetrics.HssQueryLatency.Name));
    }

    [Fact]
    public void TheLastResultCodeBeforeTheEndIsTheOneRecorded()
    {
        using var harness = new TracerHarness();
        var pcscf = new PcscfInstrumentation();

        using (ImsSpan invite = pcscf.StartInvite(Invite("call-last@192.0.2.10")))
        {
            invite.SetResultCode(503);
            invite.SetResultCode(200);
        }

        Activity exported = harness.Single(ImsSpanNames.PcscfInvite);
        Assert.Equal(200, exported.GetTagItem(ImsAttributes.ResponseCode));
        Assert.Null(exported.GetTagItem(OtelAttributes.ErrorType));
        Assert.Equal(1, harness.Collect().HistogramCount(ImsMetrics.SessionSetupTime.Name));
    }

    [Fact]
    public void AnErrorTypeTakesPrecedenceOverTheResultCodesAndMakesTheSpanAnError()
    {
        using var harness = new TracerHarness();
        var pcscf = new PcscfInstrumentation();

        using (ImsSpan register = pcscf.StartRegister(Register("reg-timeout@192.0.2.10")))
        {
            register.SetErrorType(OtelAttributes.ErrorTypeValues.Timeout);
            register.SetResultCode(408);
        }

        Activity exported = harness.Single(ImsSpanNames.PcscfRegister);
        Assert.Equal(OtelAttributes.ErrorTypeValues.Timeout, exported.GetTagItem(OtelAttributes.ErrorType));
        Assert.Equal(408, exported.GetTagItem(ImsAttributes.ResponseCode));
        Assert.Equal(ActivityStatusCode.Error, exported.Status);
        Assert.Equal(1, harness.Collect().HistogramCount(
            ImsMetrics.RegistrationLatency.Name, (OtelAttributes.ErrorType, OtelAttributes.ErrorTypeValues.Timeout)));
    }

    [Fact]
    public void ASpanEndedWithoutAnOutcomeHasNoResultAndNoOutcomeMetric()
    {
        using var harness = new TracerHarness();
        var pcscf = new PcscfInstrumentation();

        pcscf.StartRegister(Register("reg-abandoned@192.0.2.10")).Dispose();

        Activity exported = harness.Single(ImsSpanNames.PcscfRegister);
        Assert.Null(exported.GetTagItem(ImsAttributes.ResponseCode));
        Assert.Equal(ActivityStatusCode.Unset, exported.Status);
        Assert.Equal(0, harness.Collect().HistogramCount(ImsMetrics.RegistrationLatency.Name));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void AnEmptyErrorTypeIsRefused(string? errorType)
    {
        using ImsSpan span = new PcscfInstrumentation().StartRegister(Register("reg-refused-error@192.0.2.10"));

        Assert.ThrowsAny<ArgumentException>(() => span.SetErrorType(errorType!));
    }

    private static Activity? RegisterAndEnd(PcscfInstrumentation pcscf, int status)
    {
        using ImsSpan register = pcscf.StartRegister(ImsMessages.Register("reg-using@192.0.2.10"));
        register.SetResultCode(status);
        return register.Activity;
    }
}
