using System.Diagnostics;
using System.Diagnostics.Tracing;
using OpenTelemetry.Trace;
using SipTraceContext.Conventions;
using SipTraceContext.Propagation;
using SipTraceContext.Sip;
using A = SipTraceContext.Conventions.SipAttributes;
using M = SipTraceContext.Conventions.SipMetrics;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>Trust boundary, privacy, filter and enrich callbacks, sampling and the carrier path.</summary>
public sealed class OptionsTests
{
    private const string CallId = "options-call@atlanta.example.com";
    private static readonly ActivityTraceId RemoteTrace = ActivityTraceId.CreateFromString("0af7651916cd43dd8448eb211c80319c");
    private static readonly ActivitySpanId RemoteSpan = ActivitySpanId.CreateFromString("b7ad6b7169203331");

    [Fact]
    public void Trusted_invite_continues_the_remote_trace()
    {
        using var h = new TracerHarness();
        h.In(Sip.Invite(CallId, extra: "X-OTel-traceparent: " + Sip.TraceParent));
        h.Out(Sip.Response(486, "Busy Here", CallId));

        Activity setup = Assert.Single(h.Spans);
        Assert.Equal(RemoteTrace, setup.TraceId);
        Assert.Equal(RemoteSpan, setup.ParentSpanId);
        Assert.True(setup.HasRemoteParent);
        Assert.Empty(setup.Links);
        Assert.Null(setup.GetTagItem(A.TrustMode));
    }

    [Fact]
    public void Link_mode_starts_a_new_trace_linked_to_the_remote_one()
    {
        // Random ids, so the new trace is a root (derived ids, whose trace has a derived parent, are DerivedIdsTests').
        using var h = new TracerHarness(new SipCallTracerOptions { TrustMode = SipTrustMode.Link, IdDerivation = SipIdDerivation.Off });
        h.In(Sip.Invite(CallId, extra: "P-OTel-Traceparent: " + Sip.TraceParent));
        h.Out(Sip.Response(486, "Busy Here", CallId));

        Activity setup = Assert.Single(h.Spans);
        Assert.NotEqual(RemoteTrace, setup.TraceId);
        Assert.Equal(default, setup.ParentSpanId);
        ActivityLink link = Assert.Single(setup.Links);
        Assert.Equal(RemoteTrace, link.Context.TraceId);
        Assert.Equal(RemoteSpan, link.Context.SpanId);
        Assert.Equal("link", setup.GetTagItem(A.TrustMode));
    }

    [Fact]
    public void Per_message_trust_selector_decides_and_a_throwing_one_means_ignore()
    {
        int calls = 0;
        using var h = new TracerHarness(new SipCallTracerOptions
        {
            TrustSelector = (in SipMessageReader request) => ++calls == 1 ? SipTrustMode.Ignore : throw new InvalidOperationException("selector bug"),
            IdDerivation = SipIdDerivation.Off,
        });
        h.In(Sip.Invite("first@x", extra: "X-OTel-traceparent: " + Sip.TraceParent));
        h.Out(Sip.Response(404, "Not Found", "first@x"));
        h.In(Sip.Invite("second@x", extra: "X-OTel-traceparent: " + Sip.TraceParent));
        h.Out(Sip.Response(404, "Not Found", "second@x"));

        Assert.Equal(2, h.Spans.Count);
        Assert.All(h.Spans, s =>
        {
            Assert.NotEqual(RemoteTrace, s.TraceId);
            Assert.Equal(default, s.ParentSpanId);
            Assert.Empty(s.Links);
            Assert.Equal("ignore", s.GetTagItem(A.TrustMode));
        });
    }

    [Fact]
    public void Inbound_calls_ignore_the_ambient_span_outbound_calls_join_it_and_the_ambient_span_is_left_alone()
    {
        using var ambientSource = new ActivitySource("SipTraceContext.Tests.Ambient");
        using ActivityListener listener = RecordEverything(ambientSource);
        using var h = new TracerHarness(new SipCallTracerOptions { IdDerivation = SipIdDerivation.Off });
        using Activity ambient = ambientSource.StartActivity("host-work")!;

        h.In(Sip.Invite("in@x"));
        Assert.Same(ambient, Activity.Current);
        h.Out(Sip.Invite("out@x"));
        Assert.Same(ambient, Activity.Current);
        h.Out(Sip.Response(480, "Temporarily Unavailable", "in@x"));
        h.In(Sip.Response(480, "Temporarily Unavailable", "out@x"));
        Assert.Same(ambient, Activity.Current);

        Activity inbound = Assert.Single(h.Spans, s => (string?)s.GetTagItem(A.CallId) == "in@x");
        Activity outbound = Assert.Single(h.Spans, s => (string?)s.GetTagItem(A.CallId) == "out@x");
        Assert.Equal(default, inbound.ParentSpanId);
        Assert.Equal(ambient.SpanId, outbound.ParentSpanId);
        Assert.Equal(ambient.TraceId, outbound.TraceId);
    }

    [Theory]
    [InlineData(SipAddressPrivacy.AsIs, "\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774", "<sip:bob@biloxi.example.com>")]
    [InlineData(SipAddressPrivacy.RedactUser, "<sip:***@atlanta.example.com>;tag=1928301774", "<sip:***@biloxi.example.com>")]
    public void Privacy_modes_shape_from_to_and_initiated_by(SipAddressPrivacy privacy, string from, string to)
    {
        using var h = new TracerHarness(new SipCallTracerOptions { AddressPrivacy = privacy });
        h.In(Sip.Invite(CallId));
        h.Out(Sip.Response(200, "OK", CallId));
        h.In(Sip.Bye(CallId));
        h.Out(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));

        Activity setup = h.Single(SipSpanNames.CallSetup);
        Assert.Equal(from, setup.GetTagItem(A.From));
        Assert.Equal(to, setup.GetTagItem(A.To));
        Assert.Equal(from, h.Single(SipSpanNames.CallTeardown).GetTagItem(A.InitiatedBy));
    }

    [Fact]
    public void Hashed_users_are_keyed_stable_and_distinct()
    {
        byte[] key = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();
        string[] Run(byte[]? hashKey, string user)
        {
            using var h = new TracerHarness(new SipCallTracerOptions { AddressPrivacy = SipAddressPrivacy.HashUser, HashKey = hashKey });
            h.In(Sip.Request("INVITE", CallId, 1, "z9hG4bK1", $"\"Someone\" <sip:{user}@atlanta.example.com;transport=tcp>", "t1", "<tel:+15557654321;phone-context=example.com>", null));
            h.Out(Sip.Response(486, "Busy Here", CallId));
            Activity setup = Assert.Single(h.Spans);
            return [(string)setup.GetTagItem(A.From)!, (string)setup.GetTagItem(A.To)!];
        }

        string[] first = Run(key, "+15551234567");
        string[] again = Run(key, "+15551234567");
        string[] other = Run(key, "+15550000000");
        string[] otherKey = Run(key.Reverse().ToArray(), "+15551234567");

        Assert.Matches("^<sip:[0-9a-f]{16}@atlanta\\.example\\.com;transport=tcp>;tag=t1$", first[0]);
        Assert.Matches("^<tel:[0-9a-f]{16};phone-context=example\\.com>$", first[1]);
        Assert.DoesNotContain("1234567", first[0], StringComparison.Ordinal);
        Assert.DoesNotContain("Someone", first[0], StringComparison.Ordinal);
        Assert.Equal(first, again);
        Assert.NotEqual(first[0], other[0]);
        Assert.Equal(first[1], other[1]);
        Assert.NotEqual(first[0], otherKey[0]);
    }

    [Fact]
    public void Filtered_calls_get_no_spans_but_still_count_in_metrics()
    {
        using var h = new TracerHarness(new SipCallTracerOptions
        {
            Filter = (in SipMessageReader request, SipDirection direction) => !request.TryGetHeader("X-No-Trace"u8, out ReadOnlySpan<byte> _),
        });
        h.In(Sip.Invite("skip@x", extra: "X-No-Trace: 1"));
        h.Out(Sip.Response(200, "OK", "skip@x"));
        h.In(Sip.Bye("skip@x"));
        h.Out(Sip.Response(200, "OK", "skip@x", cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));
        h.In(Sip.Invite("keep@x"));
        h.Out(Sip.Response(200, "OK", "keep@x"));

        Activity only = Assert.Single(h.Spans);
        Assert.Equal("keep@x", only.GetTagItem(A.CallId));
        MetricPoints m = h.Collect();
        Assert.Equal(2, m.HistogramCount(M.CallSetupLatency.Name));
        Assert.Equal(1, m.HistogramCount(M.CallTeardownDuration.Name));
        Assert.Equal(1, m.Value(M.CallsActive.Name));
    }

    [Fact]
    public void Throwing_filter_and_enrichers_never_reach_the_host_and_their_spans_are_dropped()
    {
        using var events = new CallbackFailures();
        int filterCalls = 0;
        using var h = new TracerHarness(new SipCallTracerOptions
        {
            Filter = (in SipMessageReader request, SipDirection direction) => ++filterCalls == 1 ? throw new InvalidOperationException("filter bug") : true,
            EnrichWithRequest = (Activity activity, in SipMessageReader request) =>
            {
                if (request.TryGetHeader("X-Explode"u8, out ReadOnlySpan<byte> _))
                {
                    throw new InvalidOperationException("enricher bug");
                }

                activity.SetTag("host.tag", "from-request");
            },
            EnrichWithResponse = (Activity activity, in SipMessageReader response) =>
            {
                if (response.StatusCode == 503)
                {
                    throw new InvalidOperationException("response enricher bug");
                }

                activity.SetTag("host.status", response.StatusCode);
            },
        });

        h.In(Sip.Invite("filter-throws@x"));
        h.Out(Sip.Response(200, "OK", "filter-throws@x"));
        h.In(Sip.Invite("enrich-throws@x", extra: "X-Explode: 1"));
        h.Out(Sip.Response(200, "OK", "enrich-throws@x"));
        h.In(Sip.Invite("response-throws@x"));
        h.Out(Sip.Response(503, "Service Unavailable", "response-throws@x"));
        h.In(Sip.Invite("fine@x"));
        h.Out(Sip.Response(200, "OK", "fine@x"));

        Activity fine = Assert.Single(h.Spans);
        Assert.Equal("fine@x", fine.GetTagItem(A.CallId));
        Assert.Equal("from-request", fine.GetTagItem("host.tag"));
        Assert.Equal(200, fine.GetTagItem("host.status"));
        Assert.Equal(3, h.Collect().HistogramCount(M.CallSetupLatency.Name));
        Assert.Equal(["Filter", "EnrichWithRequest", "EnrichWithResponse"], events.Callbacks);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Unsampled_and_unlistened_calls_still_produce_metrics(bool listened)
    {
        using var h = listened ? new TracerHarness(sampler: new AlwaysOffSampler()) : new TracerHarness(traces: false);
        ActivityContext setup = h.In(Sip.Invite(CallId));
        h.Advance(100);
        h.Out(Sip.Response(200, "OK", CallId));
        h.In(Sip.Bye(CallId));
        h.Advance(10);
        h.Out(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));

        Assert.Empty(h.Spans);
        if (!listened)
        {
            // No listener: no Activity is created at all, so there is no context to hand back.
            Assert.Equal(default, setup);
        }

        MetricPoints m = h.Collect();
        Assert.Equal(1, m.HistogramCount(M.CallSetupLatency.Name));
        Assert.Equal(100, m.HistogramSum(M.CallSetupLatency.Name));
        Assert.Equal(1, m.HistogramCount(M.CallTeardownDuration.Name));
        Assert.Equal(0, m.Value(M.CallsActive.Name));
    }

    [Fact]
    public void A_dropped_call_propagates_its_context_without_starting_spans()
    {
        // The SDK creates a span its sampler drops only so that its context can propagate: the tracer
        // hands that context back without starting the span, so no listener sees it start or stop.
        ActivityTraceId remoteTrace = ActivityTraceId.CreateRandom();
        var started = new System.Collections.Concurrent.ConcurrentBag<ActivityTraceId>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => ReferenceEquals(source, Internal.SipTelemetry.Source),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
            ActivityStarted = activity => started.Add(activity.TraceId),
        };
        ActivitySource.AddActivityListener(listener);
        using var h = new TracerHarness(sampler: new AlwaysOffSampler());
        Activity? ambient = Activity.Current;

        string header = $"X-OTel-traceparent: 00-{remoteTrace.ToHexString()}-{RemoteSpan.ToHexString()}-01";
        ActivityContext setup = h.In(Sip.Invite("dropped-remote@x", extra: header));
        h.Out(Sip.Response(200, "OK", "dropped-remote@x"));
        h.In(Sip.Bye("dropped-remote@x"));
        h.Out(Sip.Response(200, "OK", "dropped-remote@x", cseq: 2, method: "BYE", branch: "z9hG4bKbye1"));
        ActivityContext root = h.In(Sip.Invite("dropped-root@x"));
        h.Out(Sip.Response(486, "Busy Here", "dropped-root@x"));

        // Under a header: its trace, a span of our own, the sampler's flags.
        Assert.Equal(remoteTrace, setup.TraceId);
        Assert.NotEqual(default, setup.SpanId);
        Assert.NotEqual(RemoteSpan, setup.SpanId);
        Assert.Equal(ActivityTraceFlags.None, setup.TraceFlags);

        // Without one: a random trace, flagged random.
        Assert.NotEqual(default, root.TraceId);
        Assert.NotEqual(default, root.SpanId);
        Assert.Equal((ActivityTraceFlags)2, root.TraceFlags);

        Assert.DoesNotContain(remoteTrace, started);
        Assert.DoesNotContain(root.TraceId, started);
        Assert.Empty(h.Spans);
        Assert.Same(ambient, Activity.Current);
    }

    [Fact]
    public void A_dropped_child_of_the_host_span_stays_in_the_host_trace()
    {
        // A listener other than OpenTelemetry's may let a dropped span through under the host's ambient
        // span. Before Start such a span knows no trace: the tracer starts it, and it joins the host's trace.
        using var hostSource = new ActivitySource("SipTraceContext.Tests.DroppedChild");
        using ActivityListener hostListener = RecordEverything(hostSource);
        using var h = new TracerHarness(sampler: new AlwaysOffSampler());
        using Activity ambient = hostSource.StartActivity("host-work")!;
        ActivityTraceId hostTrace = ambient.TraceId;
        using var propagating = new ActivityListener
        {
            ShouldListenTo = source => ReferenceEquals(source, Internal.SipTelemetry.Source),
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Parent.TraceId == hostTrace ? ActivitySamplingResult.PropagationData : ActivitySamplingResult.None,
        };
        ActivitySource.AddActivityListener(propagating);

        ActivityContext outbound = h.Out(Sip.Invite("dropped-child@x"));
        Assert.Same(ambient, Activity.Current);
        h.In(Sip.Response(480, "Temporarily Unavailable", "dropped-child@x"));
        Assert.Same(ambient, Activity.Current);

        Assert.Equal(hostTrace, outbound.TraceId);
        Assert.NotEqual(default, outbound.SpanId);
        Assert.NotEqual(ambient.SpanId, outbound.SpanId);
        Assert.Empty(h.Spans);
    }

    [Fact]
    public void A_dropped_call_keeps_the_derived_trace_id_its_sampler_decided_on()
    {
        // A ratio sampler reads the derived trace id to decide; a call it drops still propagates that id,
        // so every hop of the call agrees on the trace whether or not it records its span.
        byte[] key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
        using var derived = new Internal.DerivedIds(key);
        using var h = new TracerHarness(new SipCallTracerOptions { DerivationKey = key }, new TraceIdRatioBasedSampler(0.5));
        int dropped = 0;
        for (int call = 0; call < 40; call++)
        {
            string callId = $"ratio-{call.ToString(System.Globalization.CultureInfo.InvariantCulture)}@x";
            ActivityContext context = h.In(Sip.Invite(callId));
            Assert.True(derived.TryTraceId(Internal.CorrelatorKind.CallId, System.Text.Encoding.ASCII.GetBytes(callId), out ActivityTraceId expected));
            Assert.Equal(expected, context.TraceId);
            dropped += context.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? 0 : 1;
        }

        Assert.InRange(dropped, 5, 35);
    }

    [Fact]
    public void Carrier_messages_produce_the_same_spans_as_raw_bytes()
    {
        using var h = new TracerHarness();
        SipHeaderCollection invite = Carrier(Sip.Invite(CallId, extra: "X-OTel-traceparent: " + Sip.TraceParent));
        h.Tracer.Record(invite, SipDirection.In);
        h.Advance(700);
        h.Tracer.Record(Carrier(Sip.Response(180, "Ringing", CallId)), SipDirection.Out);
        h.Advance(300);
        h.Tracer.Record(Carrier(Sip.Response(200, "OK", CallId)), SipDirection.Out);
        h.Tracer.Record(Carrier(Sip.Bye(CallId)), SipDirection.In);
        h.Advance(20);
        h.Tracer.Record(Carrier(Sip.Response(200, "OK", CallId, cseq: 2, method: "BYE", branch: "z9hG4bKbye1")), SipDirection.Out);

        Activity setup = h.Single(SipSpanNames.CallSetup);
        Activity teardown = h.Single(SipSpanNames.CallTeardown);
        Assert.Equal(RemoteTrace, setup.TraceId);
        Assert.Equal(RemoteSpan, setup.ParentSpanId);
        Assert.Equal(TimeSpan.FromSeconds(1), setup.Duration);
        Assert.Equal(CallId, setup.GetTagItem(A.CallId));
        Assert.Equal("\"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774", setup.GetTagItem(A.From));
        Assert.Equal("biloxi.example.com", setup.GetTagItem(OtelAttributes.ServerAddress));
        Assert.Equal([SipEventNames.Ringing, SipEventNames.Answered], setup.Events.Select(e => e.Name));
        Assert.Equal(setup.SpanId, teardown.ParentSpanId);
        Assert.Equal(TimeSpan.FromMilliseconds(20), teardown.Duration);

        // A carrier value with a line break cannot smuggle a header in: the message is malformed.
        var evil = new NaiveCarrier(Carrier(Sip.Invite("evil@x")), "Call-ID", "evil@x\r\nVia: SIP/2.0/UDP attacker");
        Assert.Equal(default, h.Tracer.Record(evil, SipDirection.In));
        Assert.Equal(1, h.Tracer.TrackedCalls); // only the call above, lingering after its BYE
        Assert.Equal(1, h.Collect().Value(M.MessageMalformed.Name));
    }

    [Fact]
    public void Another_listener_that_throws_never_reaches_the_host()
    {
        using var events = new CallbackFailures();
        using var h = new TracerHarness();
        using var throwing = new ActivityListener
        {
            ShouldListenTo = s => s.Name == SipSemanticConventions.InstrumentationName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStarted = _ => throw new InvalidOperationException("someone else's listener"),
        };
        ActivitySource.AddActivityListener(throwing);

        Assert.Equal(default, h.In(Sip.Invite(CallId)));
        Assert.Equal(1, h.Tracer.TrackedCalls);
        Assert.Contains("InternalError", events.Errors);
    }

    [Fact]
    public void Invalid_options_are_rejected_up_front()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SipCallTracer(new SipCallTracerOptions { TimerB = TimeSpan.Zero }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SipCallTracer(new SipCallTracerOptions { TimerC = TimeSpan.FromSeconds(1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SipCallTracer(new SipCallTracerOptions { MaxTrackedCalls = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SipCallTracer(new SipCallTracerOptions { MaxCallAge = TimeSpan.FromSeconds(-1) }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SipCallTracer(new SipCallTracerOptions { SweepInterval = TimeSpan.Zero }));
        Assert.Throws<ArgumentNullException>(() => new SipCallTracer(null!));
    }

    internal static SipHeaderCollection Carrier(byte[] message)
    {
        var reader = new SipMessageReader(message);
        var headers = new SipHeaderCollection();
        foreach (SipHeaderField field in reader.Headers)
        {
            headers.Add(System.Text.Encoding.UTF8.GetString(field.Name), System.Text.Encoding.UTF8.GetString(field.Value));
        }

        headers.Method = reader.IsRequest ? System.Text.Encoding.UTF8.GetString(reader.Method) : null;
        headers.RequestUri = reader.IsRequest ? System.Text.Encoding.UTF8.GetString(reader.RequestUri) : null;
        headers.StatusCode = reader.StatusCode;
        headers.ReasonPhrase = reader.IsResponse ? System.Text.Encoding.UTF8.GetString(reader.ReasonPhrase) : null;
        return headers;
    }

    /// <summary>An adapter that, like many hand-written ones, passes values through unchecked; one header overridden.</summary>
    internal sealed class NaiveCarrier(SipHeaderCollection inner, string overriddenName, string overriddenValue) : ISipMessageCarrier
    {
        public bool IsRequest => inner.IsRequest;

        public string? Method => inner.Method;

        public string? RequestUri => inner.RequestUri;

        public int StatusCode => inner.StatusCode;

        public string? ReasonPhrase => inner.ReasonPhrase;

        public IReadOnlyList<string> GetValues(string name) =>
            SipHeaderNames.Matches(name, overriddenName) ? [overriddenValue] : inner.GetValues(name);

#if LIBRARY_NETSTANDARD2_0
        // The netstandard2.0 build's internal copy of NotNullWhen (visible here through InternalsVisibleTo)
        // makes the attribute's name ambiguous beside .NET's: the test carrier goes without it.
#pragma warning disable CS8767
        public bool TryGetValue(string name, out string? value)
#pragma warning restore CS8767
#else
        public bool TryGetValue(string name, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? value)
#endif
        {
            if (SipHeaderNames.Matches(name, overriddenName))
            {
                value = overriddenValue;
                return true;
            }

            return inner.TryGetValue(name, out value);
        }

        public void Set(string name, string value) => inner.Set(name, value);

        public void Add(string name, string value) => inner.Add(name, value);

        public bool Remove(string name) => inner.Remove(name);
    }

    /// <summary>Listens to the package's event source for callback failures.</summary>
    private sealed class CallbackFailures : EventListener
    {
        public List<string> Callbacks { get; } = [];

        public List<string> Errors { get; } = [];

        protected override void OnEventSourceCreated(EventSource eventSource)
        {
            if (eventSource.Name == "OpenTelemetry-Instrumentation-SipTraceContext-Instrumentation")
            {
                EnableEvents(eventSource, EventLevel.Error);
            }
        }

        protected override void OnEventWritten(EventWrittenEventArgs eventData)
        {
            lock (Errors)
            {
                Errors.Add(eventData.EventName ?? string.Empty);
            }

            if (eventData.EventName == "CallbackFailed" && eventData.Payload is { Count: > 0 } payload)
            {
                lock (Callbacks)
                {
                    Callbacks.Add((string)payload[0]!);
                }
            }
        }
    }

    // A host's own source whose spans are all recorded: the ambient span of a host that traces its work.
    private static ActivityListener RecordEverything(ActivitySource source)
    {
        var listener = new ActivityListener
        {
            ShouldListenTo = s => ReferenceEquals(s, source),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        return listener;
    }
}
