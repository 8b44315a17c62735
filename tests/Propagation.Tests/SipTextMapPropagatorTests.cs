using System.Diagnostics;
using OpenTelemetry;
using OpenTelemetry.Context.Propagation;
using OpenTelemetry.Trace;
using SipTraceContext.Sip;

namespace SipTraceContext.Propagation.Tests;

/// <summary>The carrier path, against the real OpenTelemetry SDK with an in-memory exporter.</summary>
public sealed class SipTextMapPropagatorTests
{
    private static readonly Func<Dictionary<string, string>, string, IEnumerable<string>?> s_dictionaryGetter =
        static (d, k) => d.TryGetValue(k, out string? v) ? [v] : null;

    [Fact]
    public void An_activity_started_from_a_sip_message_continues_the_callers_trace()
    {
        var exported = new List<Activity>();
        using var source = new ActivitySource("SipTraceContext.Tests.Propagation." + nameof(An_activity_started_from_a_sip_message_continues_the_callers_trace));
        using TracerProvider provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(source.Name)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(exported)
            .Build();
        TextMapPropagator propagator = SipPropagators.CreateDefault();
        var message = new SipWireMessage(SipMessages.Invite($"X-OTel-traceparent: {SipMessages.TraceParent}", "X-OTel-tracestate: congo=t61rcWkgMzE"));

        PropagationContext extracted = propagator.Extract(default, message, SipHeaderCarrier.Getter);
        using (Activity? activity = source.StartActivity("sip.call.setup", ActivityKind.Server, extracted.ActivityContext))
        {
            Assert.NotNull(activity);
        }

        provider.ForceFlush();
        Activity span = Assert.Single(exported);
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", span.TraceId.ToHexString());
        Assert.Equal("b7ad6b7169203331", span.ParentSpanId.ToHexString());
        Assert.Equal("congo=t61rcWkgMzE", span.TraceStateString);
    }

    [Fact]
    public void Http_carriers_see_exactly_the_w3c_headers_and_no_sip_headers()
    {
        TextMapPropagator propagator = SipPropagators.CreateDefault();
        ActivityContext context = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext("k=v", isRemote: false);
        var http = new Dictionary<string, string>();

        propagator.Inject(new PropagationContext(context, default), http, static (d, k, v) => d[k] = v);

        Assert.Equal(["traceparent", "tracestate"], http.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(SipMessages.TraceParent, http["traceparent"]);
        PropagationContext back = propagator.Extract(default, http, s_dictionaryGetter);
        Assert.Equal(context.TraceId, back.ActivityContext.TraceId);
    }

    [Fact]
    public void Added_to_an_existing_composite_it_acts_on_sip_carriers_only()
    {
        var composite = new CompositeTextMapPropagator([new BaggagePropagator(), new SipTextMapPropagator()]);
        ActivityContext context = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext(null, isRemote: false);
        var http = new Dictionary<string, string>();
        var sip = new SipHeaderCollection();

        composite.Inject(new PropagationContext(context, default), http, static (d, k, v) => d[k] = v);
        composite.Inject(new PropagationContext(context, default), sip, SipHeaderCarrier.Setter);

        Assert.Empty(http);
        Assert.Equal(SipMessages.TraceParent, Assert.Single(sip.GetValues("x-otel-traceparent")));
    }

    [Theory]
    [InlineData(SipHeaderStyle.XOTel, "X-OTel-traceparent")]
    [InlineData(SipHeaderStyle.POTel, "P-OTel-Traceparent")]
    public void Inject_writes_the_canonical_name_and_replaces_what_was_there(SipHeaderStyle style, string expectedName)
    {
        var propagator = new SipTextMapPropagator(new SipPropagationOptions { Style = style });
        var headers = new SipHeaderCollection(
        [
            new("x-otel-traceparent", SipMessages.OtherTraceParent),
            new("P-OTEL-TRACEPARENT", SipMessages.OtherTraceParent),
            new("Traceparent", SipMessages.OtherTraceParent),
            new("Via", "SIP/2.0/UDP a.example.com;branch=z9hG4bK1"),
        ]);
        ActivityContext context = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext(null, isRemote: false);

        propagator.Inject(new PropagationContext(context, default), headers, SipHeaderCarrier.Setter);

        KeyValuePair<string, string> traceParent = Assert.Single(headers, h => h.Key.Contains("traceparent", StringComparison.OrdinalIgnoreCase));
        Assert.Equal(expectedName, traceParent.Key);
        Assert.Equal(SipMessages.TraceParent, traceParent.Value);
        Assert.Single(headers, h => h.Key == "Via");
    }

    [Fact]
    public void Extract_is_a_no_op_when_a_valid_context_was_already_extracted()
    {
        var propagator = new SipTextMapPropagator();
        ActivityContext already = TraceParent.Parse(SipMessages.OtherTraceParent).ToActivityContext();
        var headers = new SipHeaderCollection([new("X-OTel-traceparent", SipMessages.TraceParent)]);

        PropagationContext result = propagator.Extract(new PropagationContext(already, default), headers, SipHeaderCarrier.Getter);

        Assert.Equal(already, result.ActivityContext);
    }

    [Fact]
    public void A_throwing_getter_never_reaches_the_host()
    {
        var propagator = new SipTextMapPropagator();
        var headers = new SipHeaderCollection();

        PropagationContext result = propagator.Extract(default, headers, static (_, _) => throw new InvalidOperationException("broken stack"));

        Assert.Equal(default, result);
    }

    [Fact]
    public void Repeated_traceparent_is_absent_and_the_next_style_is_used()
    {
        var propagator = new SipTextMapPropagator();
        var headers = new SipHeaderCollection(
        [
            new("X-OTel-traceparent", SipMessages.TraceParent),
            new("X-OTel-traceparent", SipMessages.TraceParent),
            new("P-OTel-Traceparent", SipMessages.OtherTraceParent),
            new("P-OTel-Tracestate", "a=1"),
            new("P-OTel-Tracestate", "b=2"),
        ]);

        PropagationContext result = propagator.Extract(default, headers, SipHeaderCarrier.Getter);

        Assert.Equal("11111111111111111111111111111111", result.ActivityContext.TraceId.ToHexString());
        Assert.Equal("a=1,b=2", result.ActivityContext.TraceState);
    }

    [Fact]
    public void Baggage_travels_only_when_enabled_with_spaces_as_percent_20_and_capped_across_headers()
    {
        ActivityContext context = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext(null, isRemote: false);
        Baggage baggage = Baggage.Create(new Dictionary<string, string> { ["user"] = "alice smith", ["pct"] = "100%" });
        var without = new SipHeaderCollection();
        var with = new SipHeaderCollection();

        new SipTextMapPropagator().Inject(new PropagationContext(context, baggage), without, SipHeaderCarrier.Setter);
        var baggagePropagator = new SipTextMapPropagator(new SipPropagationOptions { PropagateBaggage = true, MaxBaggageEntries = 3, MaxBaggageLength = 64 });
        baggagePropagator.Inject(new PropagationContext(context, baggage), with, SipHeaderCarrier.Setter);

        Assert.Empty(without.GetValues("X-OTel-baggage"));
        string encoded = Assert.Single(with.GetValues("X-OTel-baggage"));
        Assert.Contains("user=alice%20smith", encoded, StringComparison.Ordinal);
        Assert.Contains("pct=100%25", encoded, StringComparison.Ordinal);
        Assert.DoesNotContain("+", encoded, StringComparison.Ordinal);
        Assert.Equal("alice smith", baggagePropagator.Extract(default, with, SipHeaderCarrier.Getter).Baggage.GetBaggage("user"));

        // An attacker splits many entries over many headers: the cap counts them all together.
        var split = new SipHeaderCollection();
        for (int i = 0; i < 10; i++)
        {
            split.Add("X-OTel-baggage", $"k{i}=v{i}");
        }

        Assert.Equal(3, baggagePropagator.Extract(default, split, SipHeaderCarrier.Getter).Baggage.Count);
    }

    [Fact]
    public void Strip_removes_the_p_otel_headers_on_egress()
    {
        var propagator = new SipTextMapPropagator(new SipPropagationOptions { Style = SipHeaderStyle.POTel });
        var headers = new SipHeaderCollection(
        [
            new("P-OTel-Traceparent", SipMessages.TraceParent),
            new("P-OTel-Tracestate", "a=1"),
            new("X-OTel-traceparent", SipMessages.TraceParent),
        ]);

        Assert.Equal(2, propagator.Strip(headers, SipTraceHeaderScope.POTel));
        Assert.Empty(headers.GetValues("P-OTel-Traceparent"));
        Assert.Single(headers.GetValues("X-OTel-traceparent"));
    }

    [Fact]
    public void Trust_modes_give_parent_link_or_nothing()
    {
        ActivityContext remote = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext();

        SipTrustBoundary parent = SipTrustBoundary.Resolve(remote, SipTrustMode.Parent);
        SipTrustBoundary link = SipTrustBoundary.Resolve(remote, SipTrustMode.Link);
        SipTrustBoundary ignore = SipTrustBoundary.Resolve(remote, SipTrustMode.Ignore);

        Assert.Equal(remote, parent.Parent);
        Assert.Null(parent.CreateLinks());
        Assert.Equal(default, link.Parent);
        Assert.Equal(remote, Assert.Single(link.CreateLinks()!).Context);
        Assert.Equal(default, ignore.Parent);
        Assert.False(ignore.HasLink);
    }

    [Fact]
    public void A_linked_untrusted_context_starts_a_new_trace_in_the_sdk()
    {
        var exported = new List<Activity>();
        using var source = new ActivitySource("SipTraceContext.Tests.Propagation." + nameof(A_linked_untrusted_context_starts_a_new_trace_in_the_sdk));
        using TracerProvider provider = Sdk.CreateTracerProviderBuilder().AddSource(source.Name).SetSampler(new AlwaysOnSampler()).AddInMemoryExporter(exported).Build();
        ActivityContext forged = TraceParent.Parse(SipMessages.TraceParent).ToActivityContext();
        SipTrustBoundary decision = SipTrustBoundary.Resolve(forged, SipTrustMode.Link);

        using (source.StartActivity(ActivityKind.Server, decision.Parent, links: decision.CreateLinks(), name: "edge"))
        {
        }

        provider.ForceFlush();
        Activity span = Assert.Single(exported);
        Assert.NotEqual(forged.TraceId, span.TraceId);
        Assert.Equal(default, span.ParentSpanId);
        Assert.Equal(forged.TraceId, Assert.Single(span.Links).Context.TraceId);
    }

    [Fact]
    public void Invalid_prefixes_are_refused_at_construction()
    {
        Assert.Throws<ArgumentException>(() => new SipTextMapPropagator(new SipPropagationOptions { XOTelPrefix = "X-OTel\r\nVia: " }));
        Assert.Throws<ArgumentException>(() => new SipRawPropagator(new SipPropagationOptions { POTelPrefix = "" }));
    }
}
