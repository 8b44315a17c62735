using System.Diagnostics;
using System.Text;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Ims;
using static SipTraceContext.Instrumentation.Tests.Ims.ImsMessages;

namespace SipTraceContext.Instrumentation.Tests.Ims;

/// <summary>
/// <see cref="ImsNodeOptions.MetricTags"/> (per-node series, allocation-free recording) and
/// <see cref="ImsNodeOptions.AddressPrivacy"/> on the IMS identities, with the real OpenTelemetry SDK.
/// </summary>
public sealed class ImsNodeOptionsTests
{
    private const string Node = "service.instance.id";
    private const string TrustedParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    [Fact]
    public void TwoNodesOfTheSameRoleInOneProcessKeepSeparateSeries()
    {
        using var harness = new TracerHarness();
        var shared = new ImsNodeOptions();
        var east = new ScscfInstrumentation(WithTags(shared, [new(Node, "scscf-east")]));
        var west = new ScscfInstrumentation(WithTags(shared, [new(Node, "scscf-west"), new("site", "west")]));
        var untagged = new ScscfInstrumentation();
        var edgeA = new PcscfInstrumentation(WithTags(shared, [new(Node, "pcscf-a")]));
        var edgeB = new PcscfInstrumentation(WithTags(shared, [new(Node, "pcscf-b")]));

        for (int i = 0; i < 2; i++)
        {
            ImsSpan invite = east.StartInvite(Invite($"east-{i}@192.0.2.10", $"P-OTel-Traceparent: {TrustedParent}"));
            east.StartHssQuery(invite, ImsAttributes.HssCommandValues.Sar).EndWith(2001);
            invite.EndWith(200);
        }

        ImsSpan westInvite = west.StartInvite(Invite("west@192.0.2.10", $"P-OTel-Traceparent: {TrustedParent}"));
        west.StartHssQuery(westInvite, ImsAttributes.HssCommandValues.Sar).EndWith(5001);
        ImsSpan ifc = west.StartIfcEvaluation(westInvite);
        west.StartAsInvoke(ifc, "sip:as.ims.example.com;lr", "mmtel").EndWith(200);
        ifc.EndWith(1);
        westInvite.EndWith(200);
        untagged.StartInvite(Invite("untagged@192.0.2.10")).EndWith(200);
        east.EndSession();

        edgeA.StartRegister(Register("reg-a@192.0.2.10")).EndWith(200);
        edgeA.StartInvite(Invite("a@192.0.2.10")).EndWith(200);
        edgeB.StartRegister(Register("reg-b1@192.0.2.10")).EndWith(200);
        edgeB.StartRegister(Register("reg-b2@192.0.2.10")).EndWith(403);
        ImsSpan rx = edgeB.StartRxAar(edgeB.StartInvite(Invite("b@192.0.2.10")));
        rx.EndWith(2001);

        MetricPoints m = harness.Collect();
        Assert.Equal(2, m.HistogramCount(ImsMetrics.HssQueryLatency.Name, (Node, "scscf-east"), (ImsAttributes.HssCommand, ImsAttributes.HssCommandValues.Sar)));
        Assert.Equal(1, m.HistogramCount(ImsMetrics.HssQueryLatency.Name, (Node, "scscf-west"), ("site", "west"), (OtelAttributes.ErrorType, "5001")));
        Assert.Equal(3, m.HistogramCount(ImsMetrics.HssQueryLatency.Name));
        Assert.Equal(1, m.HistogramCount(ImsMetrics.AsInvocationLatency.Name, (Node, "scscf-west"), (ImsAttributes.AsService, "mmtel")));
        Assert.Equal(0, m.HistogramCount(ImsMetrics.AsInvocationLatency.Name, (Node, "scscf-east")));

        // +2 -1 on the east node, +1 on the west node, +1 on the node without tags: each its own series.
        Assert.Equal(1, m.Value(ImsMetrics.SessionActiveCount.Name, (Node, "scscf-east")));
        Assert.Equal(1, m.Value(ImsMetrics.SessionActiveCount.Name, (Node, "scscf-west")));
        Assert.Equal(3, m.Value(ImsMetrics.SessionActiveCount.Name));

        Assert.Equal(1, m.HistogramCount(ImsMetrics.RegistrationLatency.Name, (Node, "pcscf-a"), (ImsAttributes.AccessType, ImsAttributes.AccessTypeValues.EUtranFdd)));
        Assert.Equal(2, m.HistogramCount(ImsMetrics.RegistrationLatency.Name, (Node, "pcscf-b")));
        Assert.Equal(1, m.HistogramCount(ImsMetrics.RegistrationLatency.Name, (Node, "pcscf-b"), (OtelAttributes.ErrorType, "403")));
        Assert.Equal(1, m.HistogramCount(ImsMetrics.SessionSetupTime.Name, (Node, "pcscf-a")));
        Assert.Equal(0, m.HistogramCount(ImsMetrics.SessionSetupTime.Name, (Node, "pcscf-b")));
        Assert.Equal(1, m.HistogramCount(ImsMetrics.RxAarLatency.Name, (Node, "pcscf-b")));
        Assert.Equal(0, m.HistogramCount(ImsMetrics.RxAarLatency.Name, (Node, "pcscf-a")));
    }

    [Fact]
    public void MetricTagsAreCopiedWhenTheNodeIsCreated()
    {
        using var harness = new TracerHarness();
        var tags = new List<KeyValuePair<string, object?>> { new(Node, "pcscf-1") };
        var options = new ImsNodeOptions { MetricTags = tags };
        var pcscf = new PcscfInstrumentation(options);
        tags[0] = new(Node, "changed");
        options.MetricTags = [new(Node, "changed too")];

        pcscf.StartRegister(Register("reg-copied@192.0.2.10")).EndWith(200);

        MetricPoints m = harness.Collect();
        Assert.Equal(1, m.HistogramCount(ImsMetrics.RegistrationLatency.Name, (Node, "pcscf-1")));
        Assert.Equal(1, m.HistogramCount(ImsMetrics.RegistrationLatency.Name));
    }

    [Fact]
    public void RecordingWithFourNodeTagsAllocatesNothingPerMeasurement()
    {
        using var harness = new TracerHarness(traces: false);
        var options = new ImsNodeOptions { MetricTags = [new(Node, "node-1"), new("site", "east"), new("pool", "a"), new("zone", 3)] };
        var pcscf = new PcscfInstrumentation(options);
        var scscf = new ScscfInstrumentation(options);
        byte[] register = Register("reg-alloc@192.0.2.10");
        byte[] invite = Invite("alloc@192.0.2.10", $"P-OTel-Traceparent: {TrustedParent}");
        byte[] ok = Ok("alloc@192.0.2.10", "INVITE");

        // Spans are made before measuring (starting one allocates its activity); ending records the metric.
        // The first round is a warm-up: the SDK allocates once per new series.
        for (int round = 0; round < 2; round++)
        {
            ImsSpan registration = pcscf.StartRegister(register);
            ImsSpan origination = pcscf.StartInvite(invite);
            ImsSpan rx = pcscf.StartRxAar(origination);
            ImsSpan session = scscf.StartInvite(invite);
            ImsSpan hss = scscf.StartHssQuery(session, ImsAttributes.HssCommandValues.Sar);
            ImsSpan asInvoke = scscf.StartAsInvoke(session, "sip:as.ims.example.com;lr", "mmtel");

            long before = GC.GetAllocatedBytesForCurrentThread();
            registration.EndWith(200);
            rx.EndWith(2001);
            origination.EndWithStatusOf(ok);
            hss.EndWith(2001);
            asInvoke.EndWith(200);
            session.EndWith(200);
            scscf.EndSession();
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (round == 1)
            {
                Assert.Equal(0, allocated);
            }
        }

        MetricPoints m = harness.Collect();
        (string, object)[] all = [(Node, "node-1"), ("site", "east"), ("pool", "a"), ("zone", 3)];
        Assert.Equal(2, m.HistogramCount(ImsMetrics.RegistrationLatency.Name, [.. all, (ImsAttributes.AccessType, ImsAttributes.AccessTypeValues.EUtranFdd)]));
        Assert.Equal(2, m.HistogramCount(ImsMetrics.SessionSetupTime.Name, all));
        Assert.Equal(2, m.HistogramCount(ImsMetrics.RxAarLatency.Name, all));
        Assert.Equal(2, m.HistogramCount(ImsMetrics.HssQueryLatency.Name, [.. all, (ImsAttributes.HssCommand, ImsAttributes.HssCommandValues.Sar)]));
        Assert.Equal(2, m.HistogramCount(ImsMetrics.AsInvocationLatency.Name, [.. all, (ImsAttributes.AsService, "mmtel")]));
        Assert.Equal(0, m.Value(ImsMetrics.SessionActiveCount.Name, all));
    }

    [Fact]
    public void AsIsRecordsTheIdentitiesAsTheyAreOnTheWire()
    {
        Identities ids = Record(new ImsNodeOptions());

        Assert.Equal(Impu, ids.Impu);
        Assert.Equal(Impu, ids.IcscfImpu);
        Assert.Equal("tel:+15551234567", ids.Calling);
        Assert.Equal("tel:+15551234567", ids.ScscfCalling);
        Assert.Equal(Callee, ids.Called);
        Assert.Equal(Callee, ids.IcscfCalled);
        Assert.Equal("sip:+15551234567;npdi@ims.example.com;user=phone", ids.NpdiCalling);
    }

    [Fact]
    public void RedactUserReplacesEveryUserPartAndNothingElse()
    {
        Identities ids = Record(new ImsNodeOptions { AddressPrivacy = SipAddressPrivacy.RedactUser });

        Assert.Equal("sip:***@ims.mnc001.mcc001.3gppnetwork.org", ids.Impu);
        Assert.Equal(ids.Impu, ids.IcscfImpu);
        Assert.Equal("tel:***", ids.Calling);
        Assert.Equal("tel:***", ids.ScscfCalling);
        Assert.Equal("tel:***", ids.Called);
        Assert.Equal("tel:***", ids.IcscfCalled);

        // A ';' in the user part (a telephone-subscriber in a SIP URI) is part of the user, not a parameter.
        Assert.Equal("sip:***@ims.example.com;user=phone", ids.NpdiCalling);
        Assert.All(ids.All, value => Assert.DoesNotContain("555", value, StringComparison.Ordinal));
    }

    [Fact]
    public void HashUserIsKeyedAndHashesAUserAsTheCallTracerDoes()
    {
        byte[] key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];
        Identities ids = Record(new ImsNodeOptions { AddressPrivacy = SipAddressPrivacy.HashUser, HashKey = key });
        Identities again = Record(new ImsNodeOptions { AddressPrivacy = SipAddressPrivacy.HashUser, HashKey = key });
        Identities otherKey = Record(new ImsNodeOptions { AddressPrivacy = SipAddressPrivacy.HashUser, HashKey = [.. key.Reverse()] });

        Assert.Matches("^sip:[0-9a-f]{16}@ims\\.mnc001\\.mcc001\\.3gppnetwork\\.org$", ids.Impu);
        Assert.Matches("^tel:[0-9a-f]{16}$", ids.Calling);
        Assert.Matches("^tel:[0-9a-f]{16}$", ids.Called);
        Assert.Matches("^sip:[0-9a-f]{16}@ims\\.example\\.com;user=phone$", ids.NpdiCalling);
        Assert.All(ids.All, value => Assert.DoesNotContain("555", value, StringComparison.Ordinal));
        Assert.Equal(ids.All, again.All);
        Assert.NotEqual(ids.Calling, ids.Called);
        Assert.Equal(ids.Impu[4..20], ids.Calling[4..]); // one subscriber, one hash, whatever the URI scheme
        Assert.NotEqual(ids.Calling, otherKey.Calling);

        // The call tracer with the same key hashes the same user the same way: traces join by subscriber.
        using var harness = new TracerHarness(new SipCallTracerOptions { AddressPrivacy = SipAddressPrivacy.HashUser, HashKey = key });
        harness.In(Sip.Request("INVITE", "hash-join@x", 1, "z9hG4bK1", "\"Alice\" <tel:+15551234567>", "t1", $"<{Callee}>", null));
        harness.Out(Sip.Response(486, "Busy Here", "hash-join@x"));
        Activity setup = harness.Single(SipSpanNames.CallSetup);
        Assert.Equal($"<{ids.Calling}>;tag=t1", setup.GetTagItem(SipAttributes.From));
        Assert.Equal($"<{ids.Called}>", setup.GetTagItem(SipAttributes.To));
    }

    /// <summary>The identities the helpers of one set of options record for a registration and a call.</summary>
    private static Identities Record(ImsNodeOptions options)
    {
        using var harness = new TracerHarness();
        var pcscf = new PcscfInstrumentation(options);
        var icscf = new IcscfInstrumentation(options);
        var scscf = new ScscfInstrumentation(options);

        byte[] fromUe = Register("reg-privacy@192.0.2.10");
        ImsSpan register = pcscf.StartRegister(fromUe);
        ImsSpan icscfRegister = icscf.StartRegister(register.Rewrite(fromUe));
        byte[] inviteFromUe = Invite("privacy@192.0.2.10");
        ImsSpan invite = pcscf.StartInvite(inviteFromUe);
        byte[] toScscf = invite.Rewrite(inviteFromUe);
        ImsSpan scscfInvite = scscf.StartInvite(toScscf);
        ImsSpan icscfInvite = icscf.StartInvite(scscfInvite.Rewrite(toScscf));
        byte[] npdi = Encoding.UTF8.GetBytes(Text(Invite("privacy-npdi@192.0.2.10"))
            .Replace("P-Asserted-Identity: \"Alice\" <tel:+15551234567>", "P-Asserted-Identity: <sip:+15551234567;npdi@ims.example.com;user=phone>", StringComparison.Ordinal));
        ImsSpan npdiInvite = scscf.StartInvite(npdi);
        foreach (ImsSpan span in new[] { register, icscfRegister, invite, scscfInvite, icscfInvite, npdiInvite })
        {
            span.EndWith(200);
        }

        Assert.Contains("<tel:+15551234567>", Text(toScscf), StringComparison.Ordinal); // the wire keeps the identity
        return new Identities(
            Tag(register, ImsAttributes.Impu),
            Tag(icscfRegister, ImsAttributes.Impu),
            Tag(invite, ImsAttributes.CallingParty),
            Tag(scscfInvite, ImsAttributes.CallingParty),
            Tag(invite, ImsAttributes.CalledParty),
            Tag(icscfInvite, ImsAttributes.CalledParty),
            Tag(npdiInvite, ImsAttributes.CallingParty));

        static string Tag(ImsSpan span, string name) => Assert.IsType<string>(span.Activity!.GetTagItem(name));
    }

    private static ImsNodeOptions WithTags(ImsNodeOptions options, KeyValuePair<string, object?>[] tags)
    {
        ImsNodeOptions copy = options.Clone();
        copy.MetricTags = tags;
        Assert.Empty(options.MetricTags);
        return copy;
    }

    private sealed record Identities(string Impu, string IcscfImpu, string Calling, string ScscfCalling, string Called, string IcscfCalled, string NpdiCalling)
    {
        public string[] All => [Impu, IcscfImpu, Calling, ScscfCalling, Called, IcscfCalled, NpdiCalling];
    }
}
