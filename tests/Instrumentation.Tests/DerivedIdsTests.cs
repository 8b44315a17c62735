using System.Diagnostics;
using System.Globalization;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using OpenTelemetry;
using OpenTelemetry.Trace;
using SipTraceContext.Instrumentation.Internal;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// Span and trace ids derived from SIP (issue 25, docs/zero-touch-call-trees.md): a chain of proxies
/// assembles from the Via stack alone, the key decides the ids, and the ids follow RFC 3261's
/// comparison rules.
/// </summary>
public sealed class DerivedIdsTests
{
    private const string TokenAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~";

    private static readonly byte[] Key = [.. Enumerable.Range(1, 32).Select(i => (byte)i)];

    private static readonly Gen<string> Tokens =
        from length in Gen.Choose(1, 24)
        from chars in Gen.ArrayOf(Gen.Elements(TokenAlphabet.ToCharArray()), length)
        select new string(chars);

    private static readonly Gen<string> CallIds =
        from local in Tokens
        from host in Gen.Elements("", "@pc33.atlanta.example.com", "@192.0.2.4", "@[2001:db8::9]")
        select local + host;

    /// <summary>A call through <c>Proxies</c> proxies: the Call-ID and one distinct branch per sender, the originator's first.</summary>
    private static readonly Gen<Path> Paths =
        from callId in CallIds
        from proxies in Gen.Choose(1, 8)
        from suffixes in Gen.ArrayOf(Tokens, proxies + 1)
        from combine in Gen.ArrayOf(Gen.Elements(true, false), proxies + 1)
        select new Path(
            callId,
            [.. suffixes.Select((s, i) => "z9hG4bK" + s + "-" + i.ToString(CultureInfo.InvariantCulture))],
            combine);

    private static readonly Gen<byte[]> Keys =
        from length in Gen.Choose(DerivedIds.MinimumKeyLength, 64)
        from bytes in Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b), length)
        select bytes;

    [Property(MaxTest = 300)]
    public Property Each_hop_names_the_previous_hops_span_as_its_parent() =>
        Prop.ForAll(Paths.ToArbitrary(), path =>
        {
            using var derived = new DerivedIds(Key);

            // The originator sends [b0]; proxy i receives [b(i-1) .. b0] and sends [bi .. b0]; the UAS
            // receives [bN .. b0]. Each node's ids come from real messages through ViaBranches.
            DerivedCallIds previous = Derive(derived, path, SipDirection.Out, stack: 1);
            bool chained = !previous.HasParent;
            for (int hop = 1; hop <= path.Branches.Length; hop++)
            {
                DerivedCallIds received = Derive(derived, path, SipDirection.In, stack: hop);
                chained &= received.HasParent && received.ParentSpanId == previous.SpanId && received.TraceId == previous.TraceId;
                if (hop < path.Branches.Length)
                {
                    // A proxy seen only by what it forwards is the same span as seen by what it received.
                    DerivedCallIds sent = Derive(derived, path, SipDirection.Out, stack: hop + 1);
                    chained &= sent.SpanId == received.SpanId && sent.ParentSpanId == received.ParentSpanId;
                }

                previous = received;
            }

            return chained;
        });

    [Property(MaxTest = 300)]
    public Property Different_keys_give_different_ids_for_the_same_message() =>
        Prop.ForAll(Paths.ToArbitrary(), Keys.ToArbitrary(), Keys.ToArbitrary(), (path, key1, key2) =>
        {
            using var first = new DerivedIds(key1);
            using var second = new DerivedIds(key2);
            DerivedCallIds one = Derive(first, path, SipDirection.In, stack: path.Branches.Length);
            DerivedCallIds two = Derive(second, path, SipDirection.In, stack: path.Branches.Length);
            return key1.AsSpan().SequenceEqual(key2)
                ? (one.TraceId == two.TraceId && one.SpanId == two.SpanId && one.ParentSpanId == two.ParentSpanId).Label("same key")
                : (one.TraceId != two.TraceId && one.SpanId != two.SpanId && one.ParentSpanId != two.ParentSpanId).Label("other key");
        });

    [Property(MaxTest = 500)]
    public Property Ids_are_never_zero() =>
        Prop.ForAll(CallIds.ToArbitrary(), Tokens.ToArbitrary(), Keys.ToArbitrary(), (callId, branch, key) =>
        {
            using var derived = new DerivedIds(key);
            byte[] call = Encoding.UTF8.GetBytes(callId);
            byte[] b = Encoding.UTF8.GetBytes(branch);
            return derived.TryTraceId(CorrelatorKind.CallId, call, out ActivityTraceId trace) && trace != default
                && derived.TryHopSpanId(call, b, out ActivitySpanId hop) && hop != default
                && derived.TryOriginSpanId(call, b, out ActivitySpanId origin) && origin != default;
        });

    [Property(MaxTest = 300)]
    public Property The_call_id_is_case_sensitive_and_the_branch_is_not() =>
        Prop.ForAll(Paths.ToArbitrary(), path =>
        {
            // RFC 3261 §20.8: Call-IDs are compared byte by byte. §7.3.1: parameter values and tokens
            // are case-insensitive unless a header says otherwise, and Via's branch does not (§17.2.3
            // only asks the branch to be "equal").
            using var derived = new DerivedIds(Key);
            int stack = path.Branches.Length;
            DerivedCallIds original = Derive(derived, path, SipDirection.In, stack);
            DerivedCallIds branchCase = Derive(derived, path with { Branches = [.. path.Branches.Select(Swap)] }, SipDirection.In, stack);
            string swapped = Swap(path.CallId);
            DerivedCallIds callIdCase = Derive(derived, path with { CallId = swapped }, SipDirection.In, stack);
            bool callIdChanged = !string.Equals(swapped, path.CallId, StringComparison.Ordinal);

            return (branchCase.SpanId == original.SpanId && branchCase.ParentSpanId == original.ParentSpanId && branchCase.TraceId == original.TraceId)
                .Label("branch case ignored")
                .And((!callIdChanged || (callIdCase.TraceId != original.TraceId && callIdCase.SpanId != original.SpanId && callIdCase.ParentSpanId != original.ParentSpanId))
                .Label("Call-ID case kept"));
        });

    [Property(MaxTest = 300)]
    public Property Teardown_ids_name_each_node_alike_on_either_side_and_apart_from_setup_ids() =>
        Prop.ForAll(Paths.ToArbitrary(), path =>
        {
            // The node that hangs up sends [b0]; proxy i receives [b(i-1) .. b0] and sends [bi .. b0].
            // Whichever copy a collector sees, a node's teardown span gets one id, and no two nodes,
            // nor any setup span of the call, share it.
            using var derived = new DerivedIds(Key);
            var teardowns = new List<ActivitySpanId> { Teardown(derived, path, SipDirection.Out, stack: 1) };
            bool alike = true;
            for (int hop = 1; hop <= path.Branches.Length; hop++)
            {
                ActivitySpanId received = Teardown(derived, path, SipDirection.In, stack: hop);
                if (hop < path.Branches.Length)
                {
                    alike &= Teardown(derived, path, SipDirection.Out, stack: hop + 1) == received;
                }

                teardowns.Add(received);
            }

            var setups = new HashSet<ActivitySpanId> { Derive(derived, path, SipDirection.Out, stack: 1).SpanId };
            for (int hop = 1; hop <= path.Branches.Length; hop++)
            {
                setups.Add(Derive(derived, path, SipDirection.In, stack: hop).SpanId);
            }

            return alike.Label("either side")
                .And((teardowns.Distinct().Count() == teardowns.Count).Label("one per node"))
                .And(teardowns.All(t => t != default && !setups.Contains(t)).Label("apart from setup ids"));
        });

    [Fact]
    public void Trace_hop_and_origin_derivations_are_kept_apart()
    {
        using var derived = new DerivedIds(Key);
        byte[] callId = "a84b4c76e66710@pc33.atlanta.example.com"u8.ToArray();
        byte[] branch = "z9hG4bK776asdhds"u8.ToArray();

        Assert.True(derived.TryHopSpanId(callId, branch, out ActivitySpanId hop));
        Assert.True(derived.TryOriginSpanId(callId, branch, out ActivitySpanId origin));
        Assert.NotEqual(hop, origin);

        // The same bytes as a Call-ID, a Session-ID and an icid are three different correlators...
        Assert.True(derived.TryTraceId(CorrelatorKind.CallId, callId, out ActivityTraceId asCallId));
        Assert.True(derived.TryTraceId(CorrelatorKind.SessionId, callId, out ActivityTraceId asSessionId));
        Assert.True(derived.TryTraceId(CorrelatorKind.ChargingId, callId, out ActivityTraceId asIcid));
        Assert.Equal(3, new[] { asCallId, asSessionId, asIcid }.Distinct().Count());

        // ...while a B2BUA's X-CID (the A leg's Call-ID) puts the B leg in the A leg's trace, and a
        // Session-ID UUID matches whatever the case of its hex digits.
        Assert.True(derived.TryTraceId(CorrelatorKind.CallId, callId, out ActivityTraceId viaXcid));
        Assert.Equal(asCallId, viaXcid);
        Assert.True(derived.TryTraceId(CorrelatorKind.SessionId, "AB12cd34EF56ab12CD34ef56AB12cd34"u8, out ActivityTraceId upper));
        Assert.True(derived.TryTraceId(CorrelatorKind.SessionId, "ab12cd34ef56ab12cd34ef56ab12cd34"u8, out ActivityTraceId lower));
        Assert.Equal(lower, upper);
    }

    [Fact]
    public void Field_boundaries_are_part_of_the_input()
    {
        using var derived = new DerivedIds(Key);
        Assert.True(derived.TryHopSpanId("ab"u8, "c"u8, out ActivitySpanId one));
        Assert.True(derived.TryHopSpanId("a"u8, "bc"u8, out ActivitySpanId two));
        Assert.NotEqual(one, two);
    }

    [Fact]
    public void Missing_inputs_and_short_keys_derive_nothing()
    {
        Assert.Throws<ArgumentException>(() => new DerivedIds(new byte[DerivedIds.MinimumKeyLength - 1]));
        using var derived = new DerivedIds(Key);
        Assert.False(derived.TryHopSpanId("call"u8, default, out _));
        Assert.False(derived.TryHopSpanId(default, "z9hG4bK1"u8, out _));
        Assert.False(derived.TryTraceId(CorrelatorKind.CallId, default, out _));

        // An RFC 2543 Via (no branch) on top: no span to name; one below: no parent to name.
        ViaBranches noTop = ViaBranches.From(default, "z9hG4bK1"u8, count: 2);
        Assert.False(derived.TryDerive(SipDirection.In, in noTop, "call"u8, CorrelatorKind.CallId, "call"u8, out _));
        ViaBranches noSecond = ViaBranches.From("z9hG4bK2"u8, default, count: 2);
        Assert.True(derived.TryDerive(SipDirection.In, in noSecond, "call"u8, CorrelatorKind.CallId, "call"u8, out DerivedCallIds ids));
        Assert.False(ids.HasParent);
    }

    [Fact]
    public void Long_call_ids_are_derived_too()
    {
        using var derived = new DerivedIds(Key);
        byte[] longCallId = Encoding.ASCII.GetBytes(new string('x', 2000));
        Assert.True(derived.TryHopSpanId(longCallId, "z9hG4bK1"u8, out ActivitySpanId one));
        longCallId[^1] = (byte)'y';
        Assert.True(derived.TryHopSpanId(longCallId, "z9hG4bK1"u8, out ActivitySpanId two));
        Assert.NotEqual(one, two);
    }

    [Fact]
    public void Via_branches_are_read_across_lines_and_entries()
    {
        byte[] message = Encoding.ASCII.GetBytes(
            "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" +
            "v: SIP/2.0/UDP p2.example.com;BRANCH=z9hG4bKtop , SIP/2.0/TCP p1.example.com;received=192.0.2.1;branch=z9hG4bKmid\r\n" +
            "Max-Forwards: 68\r\n" +
            "Via: SIP/2.0/UDP old.example.com\r\n" +
            "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bKfourth\r\n" +
            "From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n" +
            "To: <sip:bob@biloxi.example.com>\r\n" +
            "Call-ID: a84b4c76e66710\r\n" +
            "CSeq: 314159 INVITE\r\n" +
            "Content-Length: 0\r\n\r\n");
        var reader = new SipMessageReader(message);
        ViaBranches branches = ViaBranches.Read(in reader);

        Assert.Equal(ViaBranches.Capacity, branches.Count);
        Assert.Equal("z9hG4bKtop", Encoding.ASCII.GetString(branches.Top));
        Assert.Equal("z9hG4bKmid", Encoding.ASCII.GetString(branches[1]));
        Assert.True(branches[2].IsEmpty); // an RFC 2543 entry: counted, without a branch
    }

    [Fact]
    public void The_runtime_lets_a_started_activity_take_a_chosen_span_id()
    {
        Assert.True(ActivitySpanIds.IsSupported);
        var unstarted = new Activity("unstarted");
        Assert.False(ActivitySpanIds.TrySet(unstarted, ActivitySpanId.CreateRandom()));
    }

    [Fact]
    public void The_sdk_exports_derived_hops_as_one_chain()
    {
        // The originator and three proxies, each its own node, in one process only for the test, each
        // span started as the tracer will (DerivedSpans): the SDK exports what the next hop names as
        // its parent, and the originator as the root.
        string sourceName = "DerivedIdsTests." + Guid.NewGuid().ToString("N");
        var exported = new List<Activity>();
        using var source = new ActivitySource(new ActivitySourceOptions(sourceName));
        using TracerProvider provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(sourceName)
            .SetSampler(new AlwaysOnSampler())
            .AddInMemoryExporter(exported)
            .Build();

        using var derived = new DerivedIds(Key);
        var path = new Path("f81d4fae-7dec-11d0-a765-00a0c91e6bf6@foo.example.com", ["z9hG4bKuac", "z9hG4bKp1", "z9hG4bKp2"], [false, false, false]);
        var expected = new List<DerivedCallIds> { Derive(derived, path, SipDirection.Out, stack: 1) };
        for (int hop = 1; hop <= 3; hop++)
        {
            expected.Add(Derive(derived, path, SipDirection.In, stack: hop));
        }

        WithoutAmbient(() =>
        {
            foreach (DerivedCallIds ids in expected)
            {
                Activity activity = DerivedSpans.Start(source, "sip.call.setup", ActivityKind.Server, in ids, DateTimeOffset.UtcNow)!;
                Assert.Equal(ids.SpanId, activity.Context.SpanId);
                Assert.Equal($"00-{ids.TraceId.ToHexString()}-{ids.SpanId.ToHexString()}-01", activity.Id);
                activity.Stop();
            }
        });

        provider.ForceFlush();
        Assert.Equal(4, exported.Count);
        Assert.Equal(default, exported[0].ParentSpanId);
        for (int node = 0; node < 4; node++)
        {
            Activity span = exported[node];
            Assert.Equal(expected[node].TraceId, span.TraceId);
            Assert.Equal(expected[node].SpanId, span.SpanId);
            Assert.Equal(expected[node].ParentSpanId, span.ParentSpanId);
            if (node > 0)
            {
                Assert.Equal(exported[node - 1].SpanId, span.ParentSpanId);
            }
        }
    }

    [Fact]
    public void A_ratio_sampler_decides_alike_on_every_hop_of_a_call()
    {
        // Every node derives the same trace id and the sampler sees it as a root's: the decision is a
        // function of the call, the same on every hop, with no shared state.
        string sourceName = "DerivedIdsTests." + Guid.NewGuid().ToString("N");
        var sampler = new TraceIdRatioBasedSampler(0.5);
        using var source = new ActivitySource(new ActivitySourceOptions(sourceName));
        using TracerProvider provider = Sdk.CreateTracerProviderBuilder()
            .AddSource(sourceName)
            .SetSampler(new ParentBasedSampler(sampler))
            .Build();
        using var derived = new DerivedIds(Key);

        int sampled = 0;
        const int Calls = 200;
        WithoutAmbient(() =>
        {
            for (int call = 0; call < Calls; call++)
            {
                var path = new Path($"call-{call.ToString(CultureInfo.InvariantCulture)}@example.com", ["z9hG4bKa", "z9hG4bKb", "z9hG4bKc"], [false, false, false]);
                DerivedCallIds first = Derive(derived, path, SipDirection.In, stack: 1);
                DerivedCallIds third = Derive(derived, path, SipDirection.In, stack: 3);
                bool expected = sampler.ShouldSample(new SamplingParameters(default, first.TraceId, "sip.call.setup", ActivityKind.Server)).Decision == SamplingDecision.RecordAndSample;

                // Start makes each span current: detach it, as the tracer does, so the next is a root too.
                using Activity? one = DerivedSpans.Start(source, "sip.call.setup", ActivityKind.Server, in first, default);
                Activity.Current = null;
                using Activity? three = DerivedSpans.Start(source, "sip.call.setup", ActivityKind.Server, in third, default);
                Activity.Current = null;
                Assert.Equal(expected, one?.Recorded ?? false);
                Assert.Equal(expected, three?.Recorded ?? false);
                sampled += expected ? 1 : 0;
            }
        });

        Assert.InRange(sampled, Calls / 4, Calls * 3 / 4);
    }

    private static void WithoutAmbient(Action action)
    {
        Activity? ambient = Activity.Current;
        Activity.Current = null;
        try
        {
            action();
        }
        finally
        {
            Activity.Current = ambient;
        }
    }

    /// <summary>The ids of the node that received or sent the INVITE whose Via stack holds the top <paramref name="stack"/> senders.</summary>
    private static DerivedCallIds Derive(DerivedIds derived, Path path, SipDirection direction, int stack)
    {
        byte[] message = path.Invite(stack);
        var reader = new SipMessageReader(message);
        Assert.True(SipMessageFacts.TryRead(in reader, out SipMessageFacts facts, out _));
        ViaBranches branches = ViaBranches.Read(in reader);
        Assert.True(derived.TryDerive(direction, in branches, facts.CallId, CorrelatorKind.CallId, facts.CallId, out DerivedCallIds ids));
        return ids;
    }

    /// <summary>The teardown span id of the node that received or sent a BYE whose Via stack holds the top <paramref name="stack"/> senders.</summary>
    private static ActivitySpanId Teardown(DerivedIds derived, Path path, SipDirection direction, int stack)
    {
        byte[] message = Encoding.ASCII.GetBytes(Encoding.ASCII.GetString(path.Invite(stack)).Replace("INVITE", "BYE", StringComparison.Ordinal));
        var reader = new SipMessageReader(message);
        Assert.True(SipMessageFacts.TryRead(in reader, out SipMessageFacts facts, out _));
        Assert.True(derived.TryTeardownSpanId(direction, ViaBranches.Read(in reader), facts.CallId, out ActivitySpanId span));
        return span;
    }

    private static string Swap(string value) =>
        string.Concat(value.Select(c => char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)));

    /// <summary>A call's Call-ID, its senders' branches (originator first) and which Vias share a line with the one above.</summary>
    internal sealed record Path(string CallId, string[] Branches, bool[] Combine)
    {
        /// <summary>The INVITE as sent by sender <paramref name="stack"/> - 1: its Vias those of senders stack-1 down to 0.</summary>
        public byte[] Invite(int stack)
        {
            var text = new StringBuilder("INVITE sip:bob@biloxi.example.com SIP/2.0\r\n");
            for (int i = stack - 1; i >= 0; i--)
            {
                string entry = $"SIP/2.0/UDP node{i.ToString(CultureInfo.InvariantCulture)}.example.com;branch={Branches[i]}";
                bool sameLine = i < stack - 1 && Combine[i];
                text.Append(sameLine ? ", " : (i < stack - 1 ? "\r\nVia: " : "Via: ")).Append(entry);
            }

            text.Append("\r\nMax-Forwards: 70\r\n")
                .Append("From: <sip:alice@atlanta.example.com>;tag=1928301774\r\n")
                .Append("To: <sip:bob@biloxi.example.com>\r\n")
                .Append("Call-ID: ").Append(CallId).Append("\r\n")
                .Append("CSeq: 314159 INVITE\r\n")
                .Append("Content-Length: 0\r\n\r\n");
            return Encoding.ASCII.GetBytes(text.ToString());
        }
    }
}
