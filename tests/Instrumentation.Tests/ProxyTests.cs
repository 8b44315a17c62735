using System.Diagnostics;
using SipTraceContext.Conventions;
using SipTraceContext.Tests.Shared;
using A = SipTraceContext.Conventions.SipAttributes;
using M = SipTraceContext.Conventions.SipMetrics;
using O = SipTraceContext.Conventions.OtelAttributes;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>A stateful proxy feeds every message twice: as received and as forwarded (with its own Via on top).</summary>
public sealed class ProxyTests
{
    private const string CallId = "proxy-call@atlanta.example.com";

    [Fact]
    public void Proxy_feeding_both_directions_gets_one_span_per_phase_and_counts_each_message_once()
    {
        using var h = new TracerHarness();
        ActivityContext fromIn = h.In(Sip.Invite(CallId, branch: "z9hG4bKupstream"));
        ActivityContext fromOut = h.Out(Sip.Invite(CallId, branch: "z9hG4bKproxy1"));
        h.Out(Sip.Response(100, "Trying", CallId, branch: "z9hG4bKupstream", toTag: null));
        h.Advance(400);
        h.In(Sip.Response(180, "Ringing", CallId, branch: "z9hG4bKproxy1"));
        h.Advance(1);
        h.Out(Sip.Response(180, "Ringing", CallId, branch: "z9hG4bKupstream"));
        h.Advance(1599);
        h.In(Sip.Response(200, "OK", CallId, branch: "z9hG4bKproxy1"));
        h.Advance(1);
        h.Out(Sip.Response(200, "OK", CallId, branch: "z9hG4bKupstream"));
        h.In(Sip.Ack(CallId, branch: "z9hG4bKack-up"));
        h.Out(Sip.Ack(CallId, branch: "z9hG4bKack-proxy"));
        h.Advance(30_000);
        ActivityContext byeIn = h.In(Sip.Bye(CallId, branch: "z9hG4bKbye-up"));
        ActivityContext byeOut = h.Out(Sip.Bye(CallId, branch: "z9hG4bKbye-proxy"));
        h.Advance(50);
        h.In(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye-proxy"));
        h.Out(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye-up"));

        Assert.Equal(2, h.Spans.Count);
        Activity setup = h.Single(SipSpanNames.CallSetup);
        Activity teardown = h.Single(SipSpanNames.CallTeardown);
        Assert.Equal(fromIn, fromOut);
        Assert.Equal(setup.Context, fromIn);
        Assert.Equal(byeIn, byeOut);
        Assert.Equal(teardown.Context, byeIn);
        Assert.Equal(ActivityKind.Server, setup.Kind);
        Assert.Equal("z9hG4bKupstream", setup.GetTagItem(A.Branch));
        Assert.Equal(TimeSpan.FromMilliseconds(2000), setup.Duration); // the first copy of the 2xx answers
        Assert.Equal([SipEventNames.Ringing, SipEventNames.Answered], setup.Events.Select(e => e.Name));
        Assert.Equal(setup.SpanId, teardown.ParentSpanId);
        Assert.Equal(TimeSpan.FromMilliseconds(50), teardown.Duration);

        MetricPoints m = h.Collect();
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 100)));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 180)));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "INVITE")));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 200), (A.Method, "BYE")));
        Assert.Equal(0, m.Value(M.MessageRetransmissions.Name));
        Assert.Equal(1, m.HistogramCount(M.CallSetupLatency.Name));
        Assert.Equal(1, m.HistogramCount(M.CallTeardownDuration.Name));
        Assert.Equal(0, m.Value(M.CallsActive.Name));
    }

    [Fact]
    public void Metric_tags_keep_two_tracers_in_one_process_apart()
    {
        using var edge = new TracerHarness(new SipCallTracerOptions { MetricTags = [new(O.ServiceInstanceId, "P-CSCF")] });
        using var core = new SipCallTracer(new SipCallTracerOptions { MetricTags = [new(O.ServiceInstanceId, "S-CSCF"), new("site", "east")] }, edge.Time);

        edge.In(Sip.Invite("tags-1@x"));
        edge.Out(Sip.Response(486, "Busy Here", "tags-1@x"));
        core.Record(Sip.Invite("tags-2@x"), SipDirection.In);
        core.Record(Sip.Response(180, "Ringing", "tags-2@x"), SipDirection.Out);
        edge.Advance(40);
        core.Record(Sip.Response(200, "OK", "tags-2@x"), SipDirection.Out);

        MetricPoints m = edge.Collect();
        Assert.Equal(1, m.Value(M.CallFailed.Name, (O.ServiceInstanceId, "P-CSCF"), (O.ErrorType, "486")));
        Assert.Equal(0, m.Value(M.CallFailed.Name, (O.ServiceInstanceId, "S-CSCF")));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (O.ServiceInstanceId, "P-CSCF"), (A.StatusCode, 486)));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (O.ServiceInstanceId, "S-CSCF"), ("site", "east"), (A.StatusCode, 200)));
        Assert.Equal(0, m.HistogramCount(M.CallSetupLatency.Name, (O.ServiceInstanceId, "P-CSCF")));
        Assert.Equal(1, m.HistogramCount(M.CallSetupLatency.Name, (O.ServiceInstanceId, "S-CSCF")));
        Assert.Equal(1, m.Value(M.CallsActive.Name, (O.ServiceInstanceId, "S-CSCF")));
        Assert.Equal(0, m.Value(M.CallsActive.Name, (O.ServiceInstanceId, "P-CSCF")));
        Assert.Equal(SipCallTracerOptions.DefaultMaxTrackedCalls, m.Value(M.CallLimit.Name, (O.ServiceInstanceId, "S-CSCF")));
    }

    [Fact]
    public void Metric_tags_add_no_allocation_per_measurement()
    {
        using var h = new TracerHarness(new SipCallTracerOptions { MetricTags = [new(O.ServiceInstanceId, "P-CSCF"), new("site", "east")] });
        byte[] malformed = "INVITE sip:bob@example.com SIP/2.0\r\nVia SIP/2.0/UDP no-colon\r\n\r\n"u8.ToArray();
        h.In(malformed); // warm up

        // A malformed message records one measurement (sip.message.malformed) and nothing else.
        int measured = 0;
        Allocations.AssertNone(() =>
        {
            measured++;
            h.In(malformed);
            h.Out(malformed);
        });
        Assert.Equal(1 + (2 * measured), h.Collect().Value(M.MessageMalformed.Name, (O.ServiceInstanceId, "P-CSCF"), ("site", "east")));
    }

    [Fact]
    public void Options_clone_is_a_shallow_copy_that_can_diverge()
    {
        var original = new SipCallTracerOptions { MaxTrackedCalls = 7, MetricTags = [new(O.ServiceInstanceId, "a")] };
        SipCallTracerOptions copy = original.Clone();
        copy.MetricTags = [new(O.ServiceInstanceId, "b")];

        Assert.Equal(7, copy.MaxTrackedCalls);
        Assert.Same(original.Propagation, copy.Propagation);
        Assert.Equal("a", Assert.Single(original.MetricTags).Value);
    }

    [Fact]
    public void Capture_overloads_allocate_nothing_for_messages_that_start_no_span()
    {
        using var h = new TracerHarness();
        byte[] ack = Sip.Ack(CallId, branch: "z9hG4bKack-up");
        byte[] ringing = Sip.Response(180, "Ringing", CallId, branch: "z9hG4bKproxy1");
        KeyValuePair<string, object?>[] tags = [new(O.NetworkPeerAddress, "192.0.2.10"), new(O.NetworkPeerPort, 5070)];
        DateTimeOffset at = TracerHarness.Start;
        h.In(Sip.Invite(CallId, branch: "z9hG4bKupstream"));
        h.Tracer.Record(ringing, SipDirection.In, at, tags);
        h.Tracer.Record(ack, SipDirection.In, at, tags); // warm up

        Allocations.AssertNone(() =>
        {
            h.Tracer.Record(ack, SipDirection.In, at);
            h.Tracer.Record(ack, SipDirection.In, at, tags);
            h.Tracer.Record(ack, SipDirection.Out, at, tags);
        });

        h.Tracer.Dispose(); // ends the open setup span
        Activity setup = Assert.Single(h.Spans);
        Assert.Null(setup.GetTagItem(O.NetworkPeerAddress)); // tags go only on the span a message starts
    }

    [Fact]
    public void A_response_without_a_Via_is_malformed()
    {
        // RFC 3261 §8.1.1.7 and §20: a response carries the Vias of its request. Such a 487 came from a
        // test callee that answered with the CANCEL's Vias; Kamailio mirrors correct responses whole.
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId, branch: "z9hG4bKupstream"));
        h.Out(Sip.Invite(CallId, branch: "z9hG4bKproxy1"));
        h.In(Sip.Cancel(CallId, branch: "z9hG4bKupstream"));
        h.Out(Sip.Cancel(CallId, branch: "z9hG4bKproxy1"));
        h.Advance(20);
        h.In(Sip.Response(487, "Request Terminated", CallId, branch: "z9hG4bKproxy1"));
        string relayed = System.Text.Encoding.UTF8.GetString(Sip.Response(487, "Request Terminated", CallId, branch: "z9hG4bKupstream"));
        relayed = System.Text.RegularExpressions.Regex.Replace(relayed, "Via: [^\r]*\r\n", string.Empty);
        h.Out(System.Text.Encoding.UTF8.GetBytes(relayed));

        Assert.Empty(h.Spans); // the relayed 487 did not end the setup
        MetricPoints m = h.Collect();
        Assert.Equal(1, m.Value(M.MessageMalformed.Name));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 487)));
    }

    [Fact]
    public void A_request_without_a_Via_is_still_malformed()
    {
        using var h = new TracerHarness();
        string invite = System.Text.Encoding.UTF8.GetString(Sip.Invite(CallId));
        h.In(System.Text.Encoding.UTF8.GetBytes(System.Text.RegularExpressions.Regex.Replace(invite, "Via: [^\r]*\r\n", string.Empty)));

        Assert.Empty(h.Spans);
        Assert.Equal(1, h.Collect().Value(M.MessageMalformed.Name));
    }

    [Fact]
    public void Retransmissions_seen_received_and_forwarded_count_once_each()
    {
        // A proxy (or a HEP capture of one, e.g. Kamailio's siptrace) sees every retransmission twice: the
        // copy it received and the copy it forwarded.
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId, branch: "z9hG4bKupstream"));
        h.Out(Sip.Invite(CallId, branch: "z9hG4bKproxy1"));
        h.Advance(500);
        h.In(Sip.Invite(CallId, branch: "z9hG4bKupstream"));  // the caller's Timer A
        h.Out(Sip.Invite(CallId, branch: "z9hG4bKproxy1"));   // ...relayed
        h.Advance(1000);
        h.In(Sip.Invite(CallId, branch: "z9hG4bKupstream"));  // and again
        h.Out(Sip.Invite(CallId, branch: "z9hG4bKproxy1"));
        h.Advance(100);
        h.In(Sip.Response(180, "Ringing", CallId, branch: "z9hG4bKproxy1"));
        h.Out(Sip.Response(180, "Ringing", CallId, branch: "z9hG4bKupstream"));
        h.In(Sip.Response(180, "Ringing", CallId, branch: "z9hG4bKproxy1"));  // resent by the callee
        h.Out(Sip.Response(180, "Ringing", CallId, branch: "z9hG4bKupstream")); // ...relayed
        h.Advance(400);
        h.Out(Sip.Cancel(CallId, branch: "z9hG4bKproxy1"));
        h.In(Sip.Cancel(CallId, branch: "z9hG4bKupstream"));
        h.In(Sip.Cancel(CallId, branch: "z9hG4bKupstream"));
        h.Out(Sip.Cancel(CallId, branch: "z9hG4bKproxy1"));
        h.In(Sip.Response(487, "Request Terminated", CallId, branch: "z9hG4bKproxy1"));
        h.Out(Sip.Response(487, "Request Terminated", CallId, branch: "z9hG4bKupstream"));
        h.In(Sip.Response(487, "Request Terminated", CallId, branch: "z9hG4bKproxy1"));
        h.Out(Sip.Response(487, "Request Terminated", CallId, branch: "z9hG4bKupstream"));

        Activity setup = Assert.Single(h.Spans);
        ActivityEvent[] retransmissions = [.. setup.Events.Where(e => e.Name == SipEventNames.Retransmission)];
        // Two INVITEs, the 180 and the CANCEL while the span was open; the 487 came after it ended.
        Assert.Equal(4, retransmissions.Length);
        Assert.Equal(4, setup.GetTagItem(A.RetransmissionCount));
        Assert.All(retransmissions, e => Assert.Equal("in", e.Tags.First(t => t.Key == A.Direction).Value));

        MetricPoints m = h.Collect();
        // INVITE: the request twice, its 180 and its 487 once each (responses count under their CSeq method).
        Assert.Equal(4, m.Value(M.MessageRetransmissions.Name, (A.Method, "INVITE")));
        Assert.Equal(1, m.Value(M.MessageRetransmissions.Name, (A.Method, "CANCEL")));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 180)));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 487)));
        Assert.Equal(1, m.Value(M.CallFailed.Name, (O.ErrorType, "cancelled")));
    }

    [Fact]
    public void Retransmissions_on_one_leg_only_still_count_each_time()
    {
        // The proxy absorbs the caller's retransmissions (tm answers them) and retransmits downstream on
        // its own timer: each leg's repeats are real, the larger count is what the node saw.
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId, branch: "z9hG4bKupstream"));
        h.Out(Sip.Invite(CallId, branch: "z9hG4bKproxy1"));
        h.Advance(500);
        h.Out(Sip.Invite(CallId, branch: "z9hG4bKproxy1"));
        h.Advance(1000);
        h.Out(Sip.Invite(CallId, branch: "z9hG4bKproxy1"));
        h.In(Sip.Invite(CallId, branch: "z9hG4bKupstream"));

        MetricPoints m = h.Collect();
        Assert.Equal(2, m.Value(M.MessageRetransmissions.Name, (A.Method, "INVITE")));
    }

    [Fact]
    public void Forking_proxy_ends_the_setup_with_the_final_it_sends_upstream_not_a_branch_failure()
    {
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId, branch: "z9hG4bKupstream"));
        h.Out(Sip.Invite(CallId, branch: "z9hG4bKfork1"));
        h.Out(Sip.Invite(CallId, branch: "z9hG4bKfork2"));
        h.Advance(500);
        h.In(Sip.Response(486, "Busy Here", CallId, branch: "z9hG4bKfork1", toTag: "f1"));
        h.Advance(500);
        h.In(Sip.Response(404, "Not Found", CallId, branch: "z9hG4bKfork2", toTag: "f2"));
        Assert.Empty(h.Spans);
        h.Advance(1);
        h.Out(Sip.Response(486, "Busy Here", CallId, branch: "z9hG4bKupstream", toTag: "f1"));

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(TimeSpan.FromMilliseconds(1001), setup.Duration);
        Assert.Equal("486", setup.GetTagItem(O.ErrorType));
        MetricPoints m = h.Collect();
        Assert.Equal(1, m.Value(M.CallFailed.Name));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 486)));
        Assert.Equal(1, m.Value(M.ResponseCount.Name, (A.StatusCode, 404)));
    }

    [Fact]
    public void Forking_proxy_answers_with_the_first_2xx_even_after_a_branch_failed()
    {
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId, branch: "z9hG4bKupstream"));
        h.Out(Sip.Invite(CallId, branch: "z9hG4bKfork1"));
        h.Out(Sip.Invite(CallId, branch: "z9hG4bKfork2"));
        h.Advance(300);
        h.In(Sip.Response(486, "Busy Here", CallId, branch: "z9hG4bKfork1", toTag: "f1"));
        h.Advance(700);
        h.In(Sip.Response(200, "OK", CallId, branch: "z9hG4bKfork2", toTag: "f2"));
        h.Out(Sip.Response(200, "OK", CallId, branch: "z9hG4bKupstream", toTag: "f2"));

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(ActivityStatusCode.Unset, setup.Status);
        Assert.Equal("f2", setup.GetTagItem(A.ToTag));
        Assert.Equal(1000.0, setup.GetTagItem(A.SetupTimeMs));
        Assert.Equal(0, h.Collect().Value(M.CallFailed.Name));
    }

    [Fact]
    public void Inbound_only_proxy_treats_every_received_final_as_the_outcome()
    {
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId));
        h.Advance(250);
        h.In(Sip.Response(503, "Service Unavailable", CallId));

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal("503", setup.GetTagItem(O.ErrorType));
        Assert.Equal(TimeSpan.FromMilliseconds(250), setup.Duration);
    }
}
