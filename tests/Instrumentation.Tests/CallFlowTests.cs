using System.Diagnostics;
using SipTraceContext.Conventions;
using A = SipTraceContext.Conventions.SipAttributes;
using M = SipTraceContext.Conventions.SipMetrics;
using O = SipTraceContext.Conventions.OtelAttributes;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>One test per call flow, from the point of view of the callee's node (UAS) unless said otherwise.</summary>
public sealed class CallFlowTests
{
    private const string CallId = "a84b4c76e66710@pc33.atlanta.example.com";

    [Fact]
    public void Answered_call_makes_a_setup_span_and_a_child_teardown_span_with_events_attributes_and_metrics()
    {
        // Random ids: a call with no trace header is a root here (DerivedIdsTests cover derived ids).
        using var h = new TracerHarness(new SipCallTracerOptions { IdDerivation = SipIdDerivation.Off });
        ActivityContext setupContext = h.In(Sip.Invite(CallId, extra:
        [
            "Session-ID: ab30317f1a784dc48ff824d0d3715d86;remote=00000000000000000000000000000000",
            "X-CID: 4f1c2a7e-90b3-4b8e-a0c4-1d2e3f405162",
            "P-Charging-Vector: icid-value=\"AyretyU0dm+6O2IrT5tAFrbHLso=\";icid-generated-at=192.0.2.1",
        ]));
        h.Advance(10);
        h.Out(Sip.Response(100, "Trying", CallId, toTag: null));
        h.Advance(490);
        h.Out(Sip.Response(180, "Ringing", CallId));
        Assert.Equal(1, h.Collect().Value(M.CallsActive.Name));
        h.Advance(1500);
        h.Out(Sip.Response(200, "OK", CallId));
        h.Advance(40);
        h.In(Sip.Ack(CallId));
        h.Advance(60_000);
        ActivityContext teardownContext = h.In(Sip.Bye(CallId));
        h.Advance(25);
        h.Out(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));

        Assert.Equal(2, h.Spans.Count);
        Activity setup = h.Single(SipSpanNames.CallSetup);
        Activity teardown = h.Single(SipSpanNames.CallTeardown);

        Assert.Equal(ActivityKind.Server, setup.Kind);
        Assert.Equal(default, setup.ParentSpanId);
        Assert.Equal(setupContext, setup.Context);
        Assert.Equal(TracerHarness.Start.UtcDateTime, setup.StartTimeUtc);
        Assert.Equal(TimeSpan.FromMilliseconds(2000), setup.Duration);
        Assert.Equal(ActivityStatusCode.Unset, setup.Status);
        AssertTags(setup, new Dictionary<string, object?>
        {
            [A.CallId] = CallId,
            [A.Method] = "INVITE",
            [A.From] = "\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774",
            [A.To] = "<sip:bob@biloxi.example.com>",
            [A.Via] = "SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKinv1",
            [A.Cseq] = 1L,
            [A.Branch] = "z9hG4bKinv1",
            [A.FromTag] = "1928301774",
            [A.ToTag] = "b1",
            [A.Direction] = "in",
            [A.StatusCode] = 200,
            [A.SetupTimeMs] = 2000.0,
            [A.SessionId] = "ab30317f1a784dc48ff824d0d3715d86",
            [A.XCid] = "4f1c2a7e-90b3-4b8e-a0c4-1d2e3f405162",
            [ImsAttributes.Icid] = "AyretyU0dm+6O2IrT5tAFrbHLso=",
            [O.NetworkTransport] = "udp",
            [O.ServerAddress] = "biloxi.example.com",
            [O.ServerPort] = 5062,
        });

        // 100 Trying is hop-by-hop: no event unless asked for.
        Assert.Collection(
            setup.Events,
            e =>
            {
                Assert.Equal(SipEventNames.Ringing, e.Name);
                Assert.Equal(TracerHarness.Start.AddMilliseconds(500), e.Timestamp);
                AssertTags(e.Tags, new() { [A.StatusCode] = 180, [A.ElapsedMs] = 500.0, [A.ToTag] = "b1" });
            },
            e =>
            {
                Assert.Equal(SipEventNames.Answered, e.Name);
                AssertTags(e.Tags, new() { [A.StatusCode] = 200, [A.SetupTimeMs] = 2000.0, [A.ToTag] = "b1" });
            });

        Assert.Equal(ActivityKind.Server, teardown.Kind);
        Assert.Equal(setup.TraceId, teardown.TraceId);
        Assert.Equal(setup.SpanId, teardown.ParentSpanId);
        Assert.Equal(teardownContext, teardown.Context);
        Assert.Equal(TimeSpan.FromMilliseconds(25), teardown.Duration);
        Assert.Equal(ActivityStatusCode.Unset, teardown.Status);
        AssertTags(teardown, new Dictionary<string, object?>
        {
            [A.CallId] = CallId,
            [A.Method] = "BYE",
            [A.InitiatedBy] = "\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774",
            [A.Cseq] = 2L,
            [A.Branch] = "z9hG4bKbye1",
            [A.Direction] = "in",
            [A.StatusCode] = 200,
            [O.NetworkTransport] = "udp",
            [O.ServerAddress] = "biloxi.example.com",
            [O.ServerPort] = 5062,
        });
        Assert.Empty(teardown.Events);

        MetricPoints m = h.Collect();
        Assert.Equal(1, m.HistogramCount(M.CallSetupLatency.Name, (O.NetworkTransport, "udp")));
        Assert.Equal(2000, m.HistogramSum(M.CallSetupLatency.Name));
        Assert.Equal(M.CallSetupLatency.ExplicitBucketBoundaries.Append(double.PositiveInfinity), m.Bounds(M.CallSetupLatency.Name));
        Assert.Equal(1, m.HistogramCount(M.CallTeardownDuration.Name, (O.NetworkTransport, "udp")));
        Assert.Equal(0.025, m.HistogramSum(M.CallTeardownDuration.Name), 9);
        Assert.Equal(M.CallTeardownDuration.ExplicitBucketBoundaries.Append(double.PositiveInfinity), m.Bounds(M.CallTeardownDuration.Name));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 100), (A.Method, "INVITE")));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 180), (A.Method, "INVITE")));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "INVITE")));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "BYE")));
        Assert.Equal(4, m.Value(M.ResponseCount.Name));
        Assert.Equal(0, m.Value(M.CallsActive.Name));
        Assert.Equal(0, m.Value(M.CallFailed.Name));
        Assert.Equal(0, m.Value(M.MessageRetransmissions.Name));
        Assert.Equal(0, m.Value(M.MessageMalformed.Name));
        Assert.Equal(0, m.Value(M.CallEvictions.Name));
        Assert.Equal(SipCallTracerOptions.DefaultMaxTrackedCalls, m.Value(M.CallLimit.Name));

        // No Call-ID, address or other per-call value on any metric.
        foreach (string name in new[] { M.CallSetupLatency.Name, M.ResponseCount.Name, M.CallsActive.Name })
        {
            Assert.DoesNotContain(A.CallId, m.TagKeys(name));
        }
    }

    [Fact]
    public void Busy_here_ends_the_server_setup_span_unset_with_error_type_reason_and_a_failed_call()
    {
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId));
        h.Advance(300);
        h.Out(Sip.Response(180, "Ringing", CallId));
        h.Advance(4700);
        h.Out(Sip.Response(486, "Busy Here", CallId));
        h.In(Sip.Ack(CallId, branch: "z9hG4bKinv1"));

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(SipSpanNames.CallSetup, setup.OperationName);
        Assert.Equal(TimeSpan.FromSeconds(5), setup.Duration);

        // A 486 the callee's side answers is not this server's fault: Unset, as OpenTelemetry's HTTP
        // conventions leave a 4xx on a server span; error.type and sip.call.failed still record it.
        Assert.Equal(ActivityKind.Server, setup.Kind);
        Assert.Equal(ActivityStatusCode.Unset, setup.Status);
        Assert.Null(setup.StatusDescription);
        Assert.Equal(486, setup.GetTagItem(A.StatusCode));
        Assert.Equal("Busy Here", setup.GetTagItem(A.ReasonPhrase));
        Assert.Equal("486", setup.GetTagItem(O.ErrorType));
        Assert.Equal("b1", setup.GetTagItem(A.ToTag));
        Assert.Null(setup.GetTagItem(A.SetupTimeMs));
        Assert.Equal([SipEventNames.Ringing], setup.Events.Select(e => e.Name));

        MetricPoints m = h.Collect();
        Assert.Equal(1, m.Value(M.CallFailed.Name, (O.ErrorType, "486")));
        Assert.Equal(1, m.Value(M.CallFailed.Name));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 486), (A.Method, "INVITE")));
        Assert.Equal(0, m.Value(M.CallsActive.Name));
        Assert.Equal(0, m.HistogramCount(M.CallSetupLatency.Name));
    }

    [Fact]
    public void Cancel_then_487_records_the_cancel_event_and_fails_the_call_as_cancelled()
    {
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId));
        h.Advance(200);
        h.Out(Sip.Response(180, "Ringing", CallId));
        h.Advance(2800);
        h.In(Sip.Cancel(CallId));
        h.Out(Sip.Response(200, "OK", CallId, method: "CANCEL", toTag: null));
        h.Advance(20);
        h.Out(Sip.Response(487, "Request Terminated", CallId));

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(TimeSpan.FromMilliseconds(3020), setup.Duration);
        Assert.Equal(ActivityStatusCode.Unset, setup.Status);
        Assert.Equal("cancelled", setup.GetTagItem(O.ErrorType));
        Assert.Equal(487, setup.GetTagItem(A.StatusCode));
        Assert.Equal([SipEventNames.Ringing, SipEventNames.Cancelled], setup.Events.Select(e => e.Name));
        ActivityEvent cancelled = setup.Events.Last();
        Assert.Equal(TracerHarness.Start.AddMilliseconds(3000), cancelled.Timestamp);
        AssertTags(cancelled.Tags, new() { [A.ElapsedMs] = 3000.0, [A.InitiatedBy] = "\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774" });

        MetricPoints m = h.Collect();
        Assert.Equal(1, m.Value(M.CallFailed.Name, (O.ErrorType, "cancelled")));
        Assert.Equal(0, m.Value(M.CallFailed.Name, (O.ErrorType, "487")));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "CANCEL")));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 487), (A.Method, "INVITE")));
        Assert.Equal(0, m.Value(M.CallsActive.Name));
    }

    [Theory]
    [InlineData(404, "Not Found", false)]
    [InlineData(302, "Moved Temporarily", false)]
    [InlineData(407, "Proxy Authentication Required", false)]
    [InlineData(503, "Service Unavailable", true)]
    [InlineData(603, "Decline", false)]
    public void Every_non_2xx_final_fails_the_call_by_its_status_code(int status, string reason, bool serverError)
    {
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId));
        h.Advance(80);
        h.Out(Sip.Response(status, reason, CallId));

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(TimeSpan.FromMilliseconds(80), setup.Duration);

        // The UAS's own span: only a 5xx is its fault (see SpanStatusTests for the whole mapping).
        Assert.Equal(serverError ? ActivityStatusCode.Error : ActivityStatusCode.Unset, setup.Status);
        Assert.Equal(serverError ? reason : null, setup.StatusDescription);
        Assert.Equal(status, setup.GetTagItem(A.StatusCode));
        Assert.Equal(reason, setup.GetTagItem(A.ReasonPhrase));
        Assert.Equal(status.ToString(System.Globalization.CultureInfo.InvariantCulture), setup.GetTagItem(O.ErrorType));
        Assert.Empty(setup.Events);

        MetricPoints m = h.Collect();
        Assert.Equal(1, m.Value(M.CallFailed.Name, (O.ErrorType, status.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, status), (A.Method, "INVITE")));
        Assert.Equal(0, m.Value(M.CallsActive.Name));
    }

    [Fact]
    public void Invite_without_any_response_times_out_at_timer_b()
    {
        using var h = new TracerHarness();
        h.Out(Sip.Invite(CallId));
        h.Advance(31_000);
        Assert.Empty(h.Spans);
        h.Advance(1_500);

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(ActivityKind.Client, setup.Kind);
        Assert.Equal(TimeSpan.FromSeconds(32), setup.Duration);
        Assert.Equal(ActivityStatusCode.Error, setup.Status);
        Assert.Equal("timeout", setup.GetTagItem(O.ErrorType));
        Assert.Equal("out", setup.GetTagItem(A.Direction));
        ActivityEvent timeout = Assert.Single(setup.Events);
        Assert.Equal(SipEventNames.Timeout, timeout.Name);
        Assert.Equal(TracerHarness.Start.AddSeconds(32), timeout.Timestamp);
        AssertTags(timeout.Tags, new() { [A.Method] = "INVITE", [A.ElapsedMs] = 32_000.0 });

        MetricPoints m = h.Collect();
        Assert.Equal(1, m.Value(M.CallFailed.Name, (O.ErrorType, "timeout")));
        Assert.Equal(0, m.Value(M.CallsActive.Name));

        // A final response after the timeout changes nothing but the response count.
        h.In(Sip.Response(200, "OK", CallId));
        Assert.Single(h.Spans);
        Assert.Equal(0, h.Collect().HistogramCount(M.CallSetupLatency.Name));
    }

    [Fact]
    public void A_ringing_invite_waits_for_timer_c_not_timer_b()
    {
        using var h = new TracerHarness(new SipCallTracerOptions { TimerC = TimeSpan.FromSeconds(90) });
        h.Out(Sip.Invite(CallId));
        h.Advance(1_000);
        h.In(Sip.Response(180, "Ringing", CallId));
        h.Advance(60_000);
        Assert.Empty(h.Spans);
        h.Advance(31_000);

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(TimeSpan.FromSeconds(90), setup.Duration);
        Assert.Equal("timeout", setup.GetTagItem(O.ErrorType));
        Assert.Equal("Timer C fired", setup.StatusDescription);
        Assert.Equal([SipEventNames.Ringing, SipEventNames.Timeout], setup.Events.Select(e => e.Name));
    }

    [Fact]
    public void Bye_without_final_response_ends_the_teardown_as_a_timeout()
    {
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId));
        h.Out(Sip.Response(200, "OK", CallId));
        h.Advance(10_000);
        h.Out(Sip.Bye(CallId, fromCallee: true));
        h.Advance(33_000);

        Activity setup = h.Single(SipSpanNames.CallSetup);
        Activity teardown = h.Single(SipSpanNames.CallTeardown);
        Assert.Equal(ActivityStatusCode.Unset, setup.Status);
        Assert.Equal(setup.SpanId, teardown.ParentSpanId);
        Assert.Equal(ActivityKind.Client, teardown.Kind);
        Assert.Equal(TimeSpan.FromSeconds(32), teardown.Duration);
        Assert.Equal(ActivityStatusCode.Error, teardown.Status);
        Assert.Equal("timeout", teardown.GetTagItem(O.ErrorType));
        ActivityEvent timeout = Assert.Single(teardown.Events);
        AssertTags(timeout.Tags, new() { [A.Method] = "BYE", [A.ElapsedMs] = 32_000.0 });

        MetricPoints m = h.Collect();
        Assert.Equal(0, m.Value(M.CallsActive.Name));
        Assert.Equal(0, m.Value(M.CallFailed.Name));
        Assert.Equal(0, m.HistogramCount(M.CallTeardownDuration.Name));
    }

    [Theory]
    [InlineData(false, SipDirection.In)]
    [InlineData(true, SipDirection.Out)]
    public void Bye_from_either_side_is_a_child_of_the_setup_span_initiated_by_its_sender(bool fromCallee, SipDirection direction)
    {
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId));
        h.Out(Sip.Response(200, "OK", CallId));
        h.In(Sip.Ack(CallId));
        h.Advance(5_000);
        h.Tracer.Record(Sip.Bye(CallId, fromCallee: fromCallee), direction);
        h.Advance(120);
        h.Tracer.Record(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"), direction == SipDirection.In ? SipDirection.Out : SipDirection.In);

        Activity setup = h.Single(SipSpanNames.CallSetup);
        Activity teardown = h.Single(SipSpanNames.CallTeardown);
        Assert.Equal(setup.TraceId, teardown.TraceId);
        Assert.Equal(setup.SpanId, teardown.ParentSpanId);
        Assert.Equal(direction == SipDirection.In ? ActivityKind.Server : ActivityKind.Client, teardown.Kind);
        Assert.Equal(TimeSpan.FromMilliseconds(120), teardown.Duration);
        Assert.Equal(fromCallee ? "<sip:bob@biloxi.example.com>;tag=b1" : "\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774", teardown.GetTagItem(A.InitiatedBy));
        Assert.Equal(direction == SipDirection.In ? "in" : "out", teardown.GetTagItem(A.Direction));
        MetricPoints m = h.Collect();
        Assert.Equal(0.12, m.HistogramSum(M.CallTeardownDuration.Name), 9);
        Assert.Equal(0, m.Value(M.CallsActive.Name));
        Assert.Equal(1, h.Tracer.TrackedCalls); // the ended call lingers for retransmissions
        h.Advance(33_000);
        Assert.Equal(0, h.Tracer.TrackedCalls);
    }

    [Fact]
    public void Bye_for_a_dialog_never_seen_makes_a_parentless_teardown_span()
    {
        using var h = new TracerHarness();
        h.In(Sip.Bye("unknown-call@example.com"));
        h.Advance(40);
        h.Out(Sip.Response(200, "OK", "unknown-call@example.com", cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));

        Activity teardown = Assert.Single(h.Spans);
        Assert.Equal(SipSpanNames.CallTeardown, teardown.OperationName);
        Assert.Equal(default, teardown.ParentSpanId);
        Assert.Equal(TimeSpan.FromMilliseconds(40), teardown.Duration);
        Assert.Equal("unknown-call@example.com", teardown.GetTagItem(A.CallId));
        MetricPoints m = h.Collect();
        Assert.Equal(0, m.Value(M.CallsActive.Name));
        Assert.Equal(1, m.HistogramCount(M.CallTeardownDuration.Name));
    }

    [Fact]
    public void Reinvite_and_other_mid_dialog_requests_do_not_start_calls()
    {
        using var h = new TracerHarness();
        ActivityContext setup = h.In(Sip.Invite(CallId));
        h.Out(Sip.Response(200, "OK", CallId));
        h.In(Sip.Ack(CallId));
        h.Advance(1_000);

        // re-INVITE (To tag), its 200 and ACK; an UPDATE and an INFO.
        Assert.Equal(setup, h.In(Sip.Invite(CallId, cseq: 2, branch: "z9hG4bKre1", toTag: "b1")));
        h.Out(Sip.Response(200, "OK", CallId, cseq: 2, branch: "z9hG4bKre1"));
        Assert.Equal(setup, h.In(Sip.Ack(CallId, cseq: 2, branch: "z9hG4bKack2")));
        Assert.Equal(setup, h.In(Sip.Request("UPDATE", CallId, 3, "z9hG4bKup1", Sip.Alice, Sip.AliceTag, Sip.Bob, "b1")));
        h.Out(Sip.Response(200, "OK", CallId, cseq: 3, method: "UPDATE", branch: "z9hG4bKup1"));
        Assert.Equal(setup, h.In(Sip.Request("INFO", CallId, 4, "z9hG4bKinfo1", Sip.Alice, Sip.AliceTag, Sip.Bob, "b1")));

        // A re-INVITE for a call never seen does not start one either.
        Assert.Equal(default, h.In(Sip.Invite("other@example.com", cseq: 7, toTag: "x")));

        Activity span = Assert.Single(h.Spans);
        Assert.Equal(SipSpanNames.CallSetup, span.OperationName);
        Assert.Equal([SipEventNames.Answered], span.Events.Select(e => e.Name)); // nothing from the re-INVITE
        MetricPoints m = h.Collect();
        Assert.Equal(2, m.Value(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "INVITE")));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "UPDATE")));
        Assert.Equal(1, m.HistogramCount(M.CallSetupLatency.Name));
        Assert.Equal(1, m.Value(M.CallsActive.Name));
    }

    [Fact]
    public void Retransmitted_requests_and_responses_add_events_and_count_but_never_make_a_second_span()
    {
        using var h = new TracerHarness();
        h.Out(Sip.Invite(CallId));
        h.Advance(500);
        h.Out(Sip.Invite(CallId)); // Timer A retransmission
        h.Advance(500);
        h.In(Sip.Response(180, "Ringing", CallId));
        h.Advance(100);
        h.In(Sip.Response(180, "Ringing", CallId)); // the UAS resent it
        h.Advance(900);
        h.In(Sip.Response(200, "OK", CallId));
        h.In(Sip.Response(200, "OK", CallId)); // 2xx resent until ACK: span already ended
        h.Out(Sip.Ack(CallId));

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(TimeSpan.FromMilliseconds(2000), setup.Duration);
        Assert.Equal(
            [SipEventNames.Retransmission, SipEventNames.Ringing, SipEventNames.Retransmission, SipEventNames.Answered],
            setup.Events.Select(e => e.Name));
        ActivityEvent[] retransmissions = setup.Events.Where(e => e.Name == SipEventNames.Retransmission).ToArray();
        AssertTags(retransmissions[0].Tags, new() { [A.Method] = "INVITE", [A.RetransmissionCount] = 1, [A.ElapsedMs] = 500.0, [A.Direction] = "out" });
        AssertTags(retransmissions[1].Tags, new() { [A.StatusCode] = 180, [A.RetransmissionCount] = 2, [A.ElapsedMs] = 1100.0, [A.Direction] = "in" });
        Assert.Equal(2, setup.GetTagItem(A.RetransmissionCount));

        MetricPoints m = h.Collect();
        // The INVITE, its 180 and its 200 (the last after the span ended): all of the INVITE transaction.
        Assert.Equal(3, m.Value(M.MessageRetransmissions.Name, (A.Method, "INVITE")));
        Assert.Equal([A.Method], m.TagKeys(M.MessageRetransmissions.Name));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 180)));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 200)));
        Assert.Equal(1, m.HistogramCount(M.CallSetupLatency.Name));
    }

    [Fact]
    public void Retransmitted_bye_and_its_response_are_counted_once()
    {
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId));
        h.Out(Sip.Response(200, "OK", CallId));
        h.In(Sip.Bye(CallId));
        h.Advance(500);
        h.In(Sip.Bye(CallId));
        h.Out(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));
        h.Out(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));

        Activity teardown = h.Single(SipSpanNames.CallTeardown);
        ActivityEvent retransmission = Assert.Single(teardown.Events);
        AssertTags(retransmission.Tags, new() { [A.Method] = "BYE", [A.RetransmissionCount] = 1, [A.ElapsedMs] = 500.0, [A.Direction] = "in" });
        MetricPoints m = h.Collect();
        Assert.Equal(2, m.Value(M.MessageRetransmissions.Name, (A.Method, "BYE")));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "BYE")));
        Assert.Equal(1, m.HistogramCount(M.CallTeardownDuration.Name));
    }

    [Fact]
    public void An_ended_call_gives_its_late_messages_the_contexts_it_gave_while_it_lasted()
    {
        // An ended call keeps its span contexts compactly while it lingers: what it returns must not change.
        using var h = new TracerHarness();
        ActivityContext setup = h.In(Sip.Invite(CallId));
        Assert.Equal(setup, h.Out(Sip.Response(200, "OK", CallId)));
        ActivityContext teardown = h.In(Sip.Bye(CallId));
        Assert.Equal(teardown, h.Out(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1")));
        Assert.NotEqual(default, setup);
        Assert.NotEqual(setup, teardown);

        Assert.Equal(teardown, h.In(Sip.Bye(CallId)));
        Assert.Equal(teardown, h.Out(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1")));
        Assert.Equal(setup, h.Out(Sip.Response(200, "OK", CallId)));
        Assert.Equal(setup, h.In(Sip.Ack(CallId)));
    }

    [Fact]
    public void A_failed_call_gives_its_ack_the_setup_context_with_the_callers_tracestate()
    {
        using var h = new TracerHarness();
        ActivityContext setup = h.In(Sip.Invite(
            CallId,
            extra: ["X-OTel-traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01", "X-OTel-tracestate: vendor=opaque"]));
        Assert.Equal("vendor=opaque", setup.TraceState);
        Assert.Equal(setup, h.Out(Sip.Response(486, "Busy Here", CallId)));

        Assert.Equal(setup, h.In(Sip.Ack(CallId, branch: "z9hG4bKinv1")));
        Assert.Equal(setup, h.Out(Sip.Response(486, "Busy Here", CallId)));
    }

    [Fact]
    public void Forked_invite_has_one_setup_span_with_events_per_fork_and_the_first_2xx_answers()
    {
        using var h = new TracerHarness();
        h.Out(Sip.Invite(CallId));
        h.Advance(300);
        h.In(Sip.Response(180, "Ringing", CallId, toTag: "fork-a"));
        h.Advance(100);
        h.In(Sip.Response(180, "Ringing", CallId, toTag: "fork-b"));
        h.Advance(100);
        h.In(Sip.Response(183, "Session Progress", CallId, toTag: "fork-c"));
        h.Advance(1500);
        h.In(Sip.Response(200, "OK", CallId, toTag: "fork-b"));
        h.Advance(50);
        h.In(Sip.Response(200, "OK", CallId, toTag: "fork-a")); // second answer: the UAC ACKs and BYEs it

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(TimeSpan.FromMilliseconds(2000), setup.Duration);
        Assert.Equal("fork-b", setup.GetTagItem(A.ToTag));
        Assert.Equal(
            [SipEventNames.Ringing, SipEventNames.Ringing, SipEventNames.Provisional, SipEventNames.Answered],
            setup.Events.Select(e => e.Name));
        List<ActivityEvent> events = setup.Events.ToList();
        Assert.Equal("fork-a", events[0].Tags.First(t => t.Key == A.ToTag).Value);
        Assert.Equal("fork-b", events[1].Tags.First(t => t.Key == A.ToTag).Value);
        AssertTags(events[2].Tags, new() { [A.StatusCode] = 183, [A.ElapsedMs] = 500.0, [A.ReasonPhrase] = "Session Progress", [A.ToTag] = "fork-c" });
        AssertTags(events[3].Tags, new() { [A.StatusCode] = 200, [A.SetupTimeMs] = 2000.0, [A.ToTag] = "fork-b" });

        MetricPoints m = h.Collect();
        Assert.Equal(2, m.Value(M.ResponseCount.Name, (A.StatusCode, 180)));
        Assert.Equal(2, m.Value(M.ResponseCount.Name, (A.StatusCode, 200)));
        Assert.Equal(0, m.Value(M.MessageRetransmissions.Name));
        Assert.Equal(1, m.HistogramCount(M.CallSetupLatency.Name));
    }

    [Fact]
    public void Out_of_order_and_duplicate_messages_are_absorbed()
    {
        using var h = new TracerHarness();

        // A response for a call never seen: counted, nothing else.
        h.In(Sip.Response(200, "OK", "stray@example.com"));
        h.Out(Sip.Invite(CallId));
        h.Advance(1_000);

        // The 200 overtakes the 180 (two paths, UDP): the late 180 adds no event to an ended span.
        h.In(Sip.Response(200, "OK", CallId));
        h.In(Sip.Response(180, "Ringing", CallId));

        // The BYE's 200 arrives before... the BYE itself is duplicated.
        h.Advance(2_000);
        h.Out(Sip.Bye(CallId));
        h.Out(Sip.Bye(CallId));
        h.In(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));

        // Late duplicates after the end, and a CANCEL for an answered call.
        h.In(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));
        h.Out(Sip.Cancel(CallId));
        h.Out(Sip.Bye(CallId, cseq: 3, branch: "z9hG4bKbye2"));

        Assert.Equal(2, h.Spans.Count);
        Activity setup = h.Single(SipSpanNames.CallSetup);
        Assert.Equal([SipEventNames.Answered], setup.Events.Select(e => e.Name));
        Assert.Equal(1, h.Spans.Count(s => s.OperationName == SipSpanNames.CallTeardown));
        MetricPoints m = h.Collect();
        Assert.Equal(0, m.Value(M.CallsActive.Name));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 180)));
        Assert.Equal(2, m.Value(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "INVITE")));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "BYE")));
        Assert.Equal(2, m.Value(M.MessageRetransmissions.Name, (A.Method, "BYE")));
    }

    [Theory]
    [InlineData("")]
    [InlineData("\0\x01\x02 binary garbage")]
    [InlineData("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: x\r\nCSeq: one INVITE\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: x\r\nCSeq: 1 BYE\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("INVITE sip:bob@example.com SIP/2.0\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:b@c>\r\nCall-ID: x\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")]
    [InlineData("INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/UDP a;branch=z9hG4bK1\r\nCall-ID: x\r\n")]
    [InlineData("SIP/2.0 999 Nope\r\nCall-ID: x\r\n\r\n")]
    [InlineData("INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: x\rVia: evil\r\n\r\n")]
    public void Malformed_messages_are_counted_and_ignored(string message)
    {
        using var h = new TracerHarness();
        Assert.Equal(default, h.Tracer.Record(System.Text.Encoding.Latin1.GetBytes(message), SipDirection.In));
        Assert.Empty(h.Spans);
        Assert.Equal(0, h.Tracer.TrackedCalls);
        MetricPoints m = h.Collect();
        Assert.Equal(1, m.Value(M.MessageMalformed.Name));
        Assert.Equal(0, m.Value(M.CallsActive.Name));
    }

    [Fact]
    public void Challenged_invite_fails_once_and_the_authenticated_retry_starts_a_new_setup()
    {
        using var h = new TracerHarness();
        h.Out(Sip.Invite(CallId));
        h.Advance(40);
        h.In(Sip.Response(407, "Proxy Authentication Required", CallId));
        h.Out(Sip.Ack(CallId, branch: "z9hG4bKinv1"));
        h.Advance(10);
        h.Out(Sip.Invite(CallId, cseq: 2, branch: "z9hG4bKinv2", extra: "Proxy-Authorization: Digest username=\"alice\""));
        h.Advance(900);
        h.In(Sip.Response(200, "OK", CallId, cseq: 2, branch: "z9hG4bKinv2"));

        Assert.Equal(2, h.Spans.Count);
        Assert.Equal("407", h.Spans[0].GetTagItem(O.ErrorType));
        Assert.Equal(1L, h.Spans[0].GetTagItem(A.Cseq));
        Assert.Equal(2L, h.Spans[1].GetTagItem(A.Cseq));
        Assert.Equal(ActivityStatusCode.Unset, h.Spans[1].Status);
        Assert.Equal(TimeSpan.FromMilliseconds(900), h.Spans[1].Duration);
        MetricPoints m = h.Collect();
        Assert.Equal(1, m.Value(M.CallFailed.Name, (O.ErrorType, "407")));
        Assert.Equal(1, m.HistogramCount(M.CallSetupLatency.Name));
        Assert.Equal(1, m.Value(M.CallsActive.Name));
    }

    [Fact]
    public void Challenged_bye_keeps_the_dialog_and_the_retried_bye_ends_the_call()
    {
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId));
        h.Out(Sip.Response(200, "OK", CallId));
        h.Out(Sip.Bye(CallId, cseq: 2, fromCallee: true));
        h.In(Sip.Response(401, "Unauthorized", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));
        Assert.Equal(1, h.Collect().Value(M.CallsActive.Name));
        h.Out(Sip.Bye(CallId, cseq: 3, branch: "z9hG4bKbye2", fromCallee: true));
        h.Advance(30);
        h.In(Sip.Response(200, "OK", CallId, cseq: 3, method: "BYE", branch: "z9hG4bKbye2"));

        Activity[] teardowns = h.Spans.Where(s => s.OperationName == SipSpanNames.CallTeardown).ToArray();
        Assert.Equal(2, teardowns.Length);
        Assert.Equal("401", teardowns[0].GetTagItem(O.ErrorType));

        // A digest challenge is a normal step on the sender's (Client) span, not an error.
        Assert.Equal(ActivityStatusCode.Unset, teardowns[0].Status);
        Assert.Equal(ActivityStatusCode.Unset, teardowns[1].Status);
        Assert.All(teardowns, t => Assert.Equal(h.Single(SipSpanNames.CallSetup).SpanId, t.ParentSpanId));
        MetricPoints m = h.Collect();
        Assert.Equal(0, m.Value(M.CallsActive.Name));
        Assert.Equal(0, m.Value(M.CallFailed.Name));
        Assert.Equal(0.03, m.HistogramSum(M.CallTeardownDuration.Name), 9);
    }

    [Fact]
    public void Explicit_timestamps_set_span_and_event_times_for_capture_pipelines()
    {
        using var h = new TracerHarness(new SipCallTracerOptions { RecordTrying = true });
        DateTimeOffset captured = new(2025, 6, 1, 12, 0, 0, TimeSpan.Zero);
        h.Tracer.Record(Sip.Invite(CallId), SipDirection.In, captured);
        h.Tracer.Record(Sip.Response(100, "Trying", CallId, toTag: null), SipDirection.Out, captured.AddMilliseconds(3));
        h.Tracer.Record(Sip.Response(183, "Session Progress", CallId), SipDirection.Out, captured.AddMilliseconds(250));
        h.Tracer.Record(Sip.Response(200, "OK", CallId), SipDirection.Out, captured.AddMilliseconds(1250));

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(captured.UtcDateTime, setup.StartTimeUtc);
        Assert.Equal(TimeSpan.FromMilliseconds(1250), setup.Duration);
        Assert.Equal(1250.0, setup.GetTagItem(A.SetupTimeMs));
        Assert.Equal([SipEventNames.Provisional, SipEventNames.Provisional, SipEventNames.Answered], setup.Events.Select(e => e.Name));
        ActivityEvent trying = setup.Events.First();
        Assert.Equal(captured.AddMilliseconds(3), trying.Timestamp);
        AssertTags(trying.Tags, new() { [A.StatusCode] = 100, [A.ElapsedMs] = 3.0, [A.ReasonPhrase] = "Trying" });
        Assert.Equal(1250, h.Collect().HistogramSum(M.CallSetupLatency.Name));
    }

    internal static void AssertTags(Activity activity, Dictionary<string, object?> expected)
    {
        Dictionary<string, object?> actual = activity.TagObjects.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal(expected.OrderBy(e => e.Key), actual.OrderBy(e => e.Key));
    }

    internal static void AssertTags(IEnumerable<KeyValuePair<string, object?>> tags, Dictionary<string, object?> expected)
    {
        Dictionary<string, object?> actual = tags.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal(expected.OrderBy(e => e.Key), actual.OrderBy(e => e.Key));
    }
}
