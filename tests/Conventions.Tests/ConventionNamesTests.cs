using System.Reflection;

namespace SipTraceContext.Conventions.Tests;

/// <summary>
/// The names other packages code against, and the shape of the generated classes. A model edit that renames
/// one of these breaks consumers, so it has to break this test first.
/// </summary>
public class ConventionNamesTests
{
    public static TheoryData<string, string> KnownNames => new()
    {
        { SipSpanNames.CallSetup, "sip.call.setup" },
        { SipSpanNames.CallTeardown, "sip.call.teardown" },
        { ImsSpanNames.PcscfRegister, "ims.pcscf.register" },
        { ImsSpanNames.PcscfIpsecSetup, "ims.pcscf.ipsec_setup" },
        { ImsSpanNames.PcscfInvite, "ims.pcscf.invite" },
        { ImsSpanNames.PcscfRxAar, "ims.pcscf.rx_aar" },
        { ImsSpanNames.IcscfRegister, "ims.icscf.register" },
        { ImsSpanNames.IcscfInvite, "ims.icscf.invite" },
        { ImsSpanNames.IcscfHssQuery, "ims.icscf.hss_query" },
        { ImsSpanNames.ScscfInvite, "ims.scscf.invite" },
        { ImsSpanNames.ScscfHssQuery, "ims.scscf.hss_query" },
        { ImsSpanNames.ScscfIfcEval, "ims.scscf.ifc_eval" },
        { ImsSpanNames.ScscfAsInvoke, "ims.scscf.as_invoke" },
        { SipEventNames.Ringing, "sip.ringing" },
        { SipEventNames.Answered, "sip.answered" },
        { SipEventNames.Provisional, "sip.provisional" },
        { SipEventNames.Retransmission, "sip.retransmission" },
        { SipEventNames.Cancelled, "sip.cancelled" },
        { SipEventNames.Timeout, "sip.timeout" },
        { SipAttributes.CallId, "sip.call_id" },
        { SipAttributes.Method, "sip.method" },
        { SipAttributes.From, "sip.from" },
        { SipAttributes.To, "sip.to" },
        { SipAttributes.Via, "sip.via" },
        { SipAttributes.StatusCode, "sip.status_code" },
        { SipAttributes.ReasonPhrase, "sip.reason_phrase" },
        { SipAttributes.SetupTimeMs, "sip.setup_time_ms" },
        { SipAttributes.ElapsedMs, "sip.elapsed_ms" },
        { SipAttributes.InitiatedBy, "sip.initiated_by" },
        { SipAttributes.Cseq, "sip.cseq" },
        { SipAttributes.Branch, "sip.branch" },
        { SipAttributes.FromTag, "sip.from_tag" },
        { SipAttributes.ToTag, "sip.to_tag" },
        { SipAttributes.SessionId, "sip.session_id" },
        { SipAttributes.XCid, "sip.x_cid" },
        { SipAttributes.Direction, "sip.direction" },
        { SipAttributes.RetransmissionCount, "sip.retransmission_count" },
        { SipAttributes.EvictionReason, "sip.eviction.reason" },
        { SipAttributes.TrustMode, "sip.trust_mode" },
        { ImsAttributes.Impu, "ims.impu" },
        { ImsAttributes.CallingParty, "ims.calling_party" },
        { ImsAttributes.CalledParty, "ims.called_party" },
        { ImsAttributes.AccessType, "ims.access_type" },
        { ImsAttributes.Icid, "ims.icid" },
        { ImsAttributes.SdpCodec, "ims.sdp.codec" },
        { ImsAttributes.SdpBandwidth, "ims.sdp.bandwidth" },
        { ImsAttributes.ResponseCode, "ims.response_code" },
        { ImsAttributes.IpsecSpi, "ims.ipsec.spi" },
        { ImsAttributes.RxResultCode, "ims.rx.result_code" },
        { ImsAttributes.RxSessionId, "ims.rx.session_id" },
        { ImsAttributes.HssResponseTimeMs, "ims.hss.response_time_ms" },
        { ImsAttributes.HssIfcCount, "ims.hss.ifc_count" },
        { ImsAttributes.IfcMatchingCount, "ims.ifc.matching_count" },
        { ImsAttributes.AsUri, "ims.as.uri" },
        { ImsAttributes.AsService, "ims.as.service" },
        { ImsAttributes.AsResponse, "ims.as.response" },
        { OtelAttributes.ErrorType, "error.type" },
        { OtelAttributes.NetworkTransport, "network.transport" },
        { OtelAttributes.NetworkPeerAddress, "network.peer.address" },
        { OtelAttributes.NetworkPeerPort, "network.peer.port" },
        { OtelAttributes.ServerAddress, "server.address" },
        { OtelAttributes.ServerPort, "server.port" },
        { OtelAttributes.UserAgentOriginal, "user_agent.original" },
        { OtelAttributes.ErrorTypeValues.Timeout, "timeout" },
        { OtelAttributes.ErrorTypeValues.Cancelled, "cancelled" },
        { SipAttributes.MethodValues.Invite, "INVITE" },
        { SipAttributes.MethodValues.Bye, "BYE" },
        { SipAttributes.DirectionValues.In, "in" },
        { SipAttributes.DirectionValues.Out, "out" },
        { SipAttributes.EvictionReasonValues.Capacity, "capacity" },
        { SipAttributes.EvictionReasonValues.MaxAge, "max_age" },
        { SipAttributes.CaptureAgentId, "sip.capture.agent_id" },
        { SipAttributes.CaptureDropReason, "sip.capture.drop_reason" },
        { SipAttributes.CaptureDropReasonValues.QueueFull, "queue_full" },
        { OtelAttributes.NetworkLocalAddress, "network.local.address" },
        { OtelAttributes.NetworkLocalPort, "network.local.port" },
        { SipSemanticConventions.InstrumentationName, "SipTraceContext" },
    };

    [Theory]
    [MemberData(nameof(KnownNames))]
    public void Constant_has_the_name_consumers_code_against(string constant, string expected) =>
        Assert.Equal(expected, constant);

    public static TheoryData<Type, string, string, InstrumentKind> KnownMetrics => new()
    {
        { typeof(SipMetrics.CallSetupLatency), "sip.call.setup_latency", "ms", InstrumentKind.Histogram },
        { typeof(SipMetrics.CallTeardownDuration), "sip.call.teardown.duration", "s", InstrumentKind.Histogram },
        { typeof(SipMetrics.ResponseCount), "sip.response.count", "{response}", InstrumentKind.Counter },
        { typeof(SipMetrics.CallsActive), "sip.calls.active", "{call}", InstrumentKind.UpDownCounter },
        { typeof(SipMetrics.CallFailed), "sip.call.failed", "{call}", InstrumentKind.Counter },
        { typeof(SipMetrics.MessageRetransmissions), "sip.message.retransmissions", "{message}", InstrumentKind.Counter },
        { typeof(SipMetrics.MessageMalformed), "sip.message.malformed", "{message}", InstrumentKind.Counter },
        { typeof(SipMetrics.CallEvictions), "sip.call.evictions", "{call}", InstrumentKind.Counter },
        { typeof(SipMetrics.CallLimit), "sip.call.limit", "{call}", InstrumentKind.Gauge },
        { typeof(SipMetrics.CapturePackets), "sip.capture.packets", "{packet}", InstrumentKind.Counter },
        { typeof(SipMetrics.CapturePacketDropped), "sip.capture.packet.dropped", "{packet}", InstrumentKind.Counter },
        { typeof(ImsMetrics.RegistrationLatency), "ims.registration.latency", "ms", InstrumentKind.Histogram },
        { typeof(ImsMetrics.SessionSetupTime), "ims.session.setup_time", "ms", InstrumentKind.Histogram },
        { typeof(ImsMetrics.HssQueryLatency), "ims.hss.query_latency", "ms", InstrumentKind.Histogram },
        { typeof(ImsMetrics.AsInvocationLatency), "ims.as.invocation_latency", "ms", InstrumentKind.Histogram },
        { typeof(ImsMetrics.RxAarLatency), "ims.rx.aar_latency", "ms", InstrumentKind.Histogram },
        { typeof(ImsMetrics.SessionActiveCount), "ims.session.active_count", "{session}", InstrumentKind.UpDownCounter },
        { typeof(ImsMetrics.TraceHeadersFallbacks), "ims.trace_headers.fallbacks", "{message}", InstrumentKind.Counter },
    };

    [Theory]
    [MemberData(nameof(KnownMetrics))]
    public void Metric_has_the_name_unit_and_kind_consumers_code_against(Type metric, string name, string unit, InstrumentKind kind)
    {
        Assert.Equal(name, Const<string>(metric, "Name"));
        Assert.Equal(unit, Const<string>(metric, "Unit"));
        Assert.Equal(kind, Const<InstrumentKind>(metric, "Kind"));
        Assert.False(string.IsNullOrWhiteSpace(Const<string>(metric, "Description")));
    }

    [Fact]
    public void Every_metric_class_is_listed_above()
    {
        var listed = KnownMetrics.Select(row => (Type)row[0]).ToHashSet();

        var generated = typeof(SipMetrics).GetNestedTypes().Concat(typeof(ImsMetrics).GetNestedTypes());

        Assert.All(generated, t => Assert.Contains(t, listed));
    }

    [Fact]
    public void Histograms_and_only_histograms_have_increasing_positive_bucket_boundaries()
    {
        foreach (var metric in AllMetrics())
        {
            var property = metric.GetProperty("ExplicitBucketBoundaries", BindingFlags.Public | BindingFlags.Static);
            if (Const<InstrumentKind>(metric, "Kind") != InstrumentKind.Histogram)
            {
                Assert.Null(property);
                continue;
            }

            var boundaries = Assert.IsAssignableFrom<IReadOnlyList<double>>(property!.GetValue(null));
            Assert.NotEmpty(boundaries);
            Assert.True(boundaries[0] > 0, $"{metric.Name}: first boundary must be positive");
            for (var i = 1; i < boundaries.Count; i++)
            {
                Assert.True(boundaries[i] > boundaries[i - 1], $"{metric.Name}: boundaries must increase");
            }
        }
    }

    [Theory]
    [InlineData(typeof(SipMetrics.CallSetupLatency), 3000)]    // alert: setup latency above 3 s
    [InlineData(typeof(SipMetrics.CallTeardownDuration), 1)]    // alert: BYE -> 200 OK above 1 s (seconds)
    public void Alert_thresholds_are_bucket_boundaries(Type metric, double threshold)
    {
        var boundaries = (IReadOnlyList<double>)metric.GetProperty("ExplicitBucketBoundaries")!.GetValue(null)!;

        Assert.Contains(threshold, boundaries);
    }

    [Fact]
    public void Call_setup_buckets_span_tens_of_milliseconds_to_tens_of_seconds()
    {
        var boundaries = SipMetrics.CallSetupLatency.ExplicitBucketBoundaries;

        Assert.InRange(boundaries[0], 1, 50);
        Assert.InRange(boundaries[^1], 30_000, 120_000);
    }

    [Fact]
    public void Bucket_boundaries_cannot_be_modified_by_a_caller()
    {
        var boundaries = SipMetrics.CallSetupLatency.ExplicitBucketBoundaries;

        Assert.IsNotType<double[]>(boundaries);
        var list = Assert.IsAssignableFrom<IList<double>>(boundaries);
        Assert.True(list.IsReadOnly);
        Assert.Throws<NotSupportedException>(() => list[0] = 0);
    }

    [Fact]
    public void Attribute_classes_hold_only_their_namespace()
    {
        Assert.All(Names(typeof(SipAttributes)), n => Assert.StartsWith("sip.", n, StringComparison.Ordinal));
        Assert.All(Names(typeof(ImsAttributes)), n => Assert.StartsWith("ims.", n, StringComparison.Ordinal));
        Assert.All(Names(typeof(SipSpanNames)).Concat(Names(typeof(SipEventNames))), n => Assert.StartsWith("sip.", n, StringComparison.Ordinal));
        Assert.All(Names(typeof(ImsSpanNames)), n => Assert.StartsWith("ims.", n, StringComparison.Ordinal));
        Assert.All(Names(typeof(OtelAttributes)), n =>
        {
            Assert.False(n.StartsWith("sip.", StringComparison.Ordinal) || n.StartsWith("ims.", StringComparison.Ordinal), n);
        });
    }

    [Fact]
    public void No_name_is_defined_twice()
    {
        var attributes = new[] { typeof(SipAttributes), typeof(ImsAttributes), typeof(OtelAttributes) }.SelectMany(Names).ToList();
        var spans = new[] { typeof(SipSpanNames), typeof(ImsSpanNames) }.SelectMany(Names).ToList();
        var metrics = AllMetrics().Select(m => Const<string>(m, "Name")).ToList();

        Assert.Equal(attributes.Count, attributes.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(spans.Count, spans.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(metrics.Count, metrics.Distinct(StringComparer.Ordinal).Count());
    }

    [Fact]
    public void Enumerated_values_classes_belong_to_an_attribute()
    {
        foreach (var owner in new[] { typeof(SipAttributes), typeof(ImsAttributes), typeof(OtelAttributes) })
        {
            foreach (var values in owner.GetNestedTypes())
            {
                Assert.EndsWith("Values", values.Name, StringComparison.Ordinal);
                Assert.NotNull(owner.GetField(values.Name[..^"Values".Length]));
                Assert.NotEmpty(Names(values));
            }
        }
    }

    [Fact]
    public void Schema_url_is_an_https_url_that_ends_with_the_schema_version()
    {
        Assert.True(Uri.TryCreate(SipSemanticConventions.SchemaUrl, UriKind.Absolute, out var uri));
        Assert.Equal(Uri.UriSchemeHttps, uri!.Scheme);
        Assert.EndsWith("/" + SipSemanticConventions.SchemaVersion, SipSemanticConventions.SchemaUrl, StringComparison.Ordinal);
        Assert.Equal("development", SipSemanticConventions.Stability);
    }

    [Fact]
    public void Names_the_seed_article_used_but_we_do_not_emit_are_obsolete()
    {
        foreach (var field in new[] { "Method", "PcscfInstance", "ScscfInstance" })
        {
            Assert.NotNull(typeof(ImsAttributes).GetField(field)!.GetCustomAttribute<ObsoleteAttribute>());
        }

        Assert.Null(typeof(SipAttributes).GetField(nameof(SipAttributes.Method))!.GetCustomAttribute<ObsoleteAttribute>());
    }

    internal static IEnumerable<Type> AllMetrics() =>
        typeof(SipMetrics).GetNestedTypes().Concat(typeof(ImsMetrics).GetNestedTypes());

    internal static IEnumerable<string> Names(Type type) =>
        type.GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral && f.FieldType == typeof(string))
            .Select(f => (string)f.GetRawConstantValue()!);

    private static T Const<T>(Type type, string name) =>
        (T)type.GetField(name, BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
}
