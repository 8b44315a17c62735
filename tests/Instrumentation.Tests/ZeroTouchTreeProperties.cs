using System.Diagnostics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using OpenTelemetry;
using OpenTelemetry.Trace;
using A = SipTraceContext.Conventions.SipAttributes;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// Zero-touch call trees (issue 25): generated calls through a chain of proxies, one of which may fork,
/// with retransmitted INVITEs and no trace header anywhere. Each node has its own call tracer, as each
/// process (or each capture agent) has, sharing only the deployment key. Their setup spans form exactly
/// one tree per call, in one trace; and nodes split between two groups of tracers (two collectors)
/// export exactly the spans that one group of tracers fed every node exports.
/// </summary>
public sealed class ZeroTouchTreeProperties
{
    private static readonly byte[] Key = [.. Enumerable.Range(100, 32).Select(i => (byte)i)];

    /// <summary>A generated call: proxies before and after the fork point, whether the caller is traced, INVITE repeats.</summary>
    public sealed record CallShape(int Proxies, int ForkAt, bool CallerTraced, int Repeats, bool SplitOdd);

    private static Gen<CallShape> Calls =>
        from proxies in Gen.Choose(1, 4)
        from forkAt in Gen.Choose(0, proxies)
        from callerTraced in Gen.Elements(true, false)
        from repeats in Gen.Choose(0, 2)
        from split in Gen.Elements(true, false)
        select new CallShape(proxies, forkAt, callerTraced, repeats, split);

    [Property(MaxTest = 100)]
    public Property Each_call_is_one_tree_and_split_tracers_agree_with_one_set() =>
        Prop.ForAll(Calls.ToArbitrary(), call =>
        {
            List<NodeMessages> nodes = Build(call);
            List<string> together = Run(nodes, groups: 1, out List<Activity> spans);
            List<string> split = Run(nodes, groups: 2, out _, call.SplitOdd);

            // One trace, and exactly one span whose parent is not among the call's spans: the caller's
            // root, or the first proxy's (its parent, the untraced caller's span, is never exported).
            HashSet<ActivitySpanId> ids = [.. spans.Select(s => s.SpanId)];
            int roots = spans.Count(s => !ids.Contains(s.ParentSpanId));
            bool oneTrace = spans.Select(s => s.TraceId).Distinct().Count() == 1;
            int expectedSpans = nodes.Count(n => n.Traced);
            return (oneTrace && roots == 1 && spans.Count == expectedSpans && together.SequenceEqual(split))
                .Label($"spans {spans.Count}/{expectedSpans}, roots {roots}, one trace {oneTrace}\n{string.Join("\n", together)}\nsplit:\n{string.Join("\n", split)}");
        });

    [Fact]
    public void Without_a_trace_header_a_proxy_chain_is_one_trace_each_hop_under_the_previous()
    {
        List<NodeMessages> nodes = Build(new CallShape(Proxies: 2, ForkAt: 0, CallerTraced: true, Repeats: 0, SplitOdd: false));
        _ = Run(nodes, groups: 1, out List<Activity> spans);

        // Caller -> P1 -> P2 -> callee: each setup span the child of the one before.
        Activity[] chain = [.. nodes.Select(n => Assert.Single(spans, s => (string?)s.GetTagItem("test.node") == n.Name))];
        Assert.Equal(default, chain[0].ParentSpanId);
        Assert.Equal(ActivityKind.Client, chain[0].Kind);
        for (int i = 1; i < chain.Length; i++)
        {
            Assert.Equal(chain[0].TraceId, chain[i].TraceId);
            Assert.Equal(chain[i - 1].SpanId, chain[i].ParentSpanId);
            Assert.Equal(ActivityKind.Server, chain[i].Kind);
        }

        // W3C level 2: derived trace ids are random, and say so.
        Assert.All(chain, s => Assert.Equal((ActivityTraceFlags)3, s.ActivityTraceFlags));
    }

    [Fact]
    public void With_id_derivation_off_each_node_is_its_own_trace()
    {
        List<NodeMessages> nodes = Build(new CallShape(Proxies: 1, ForkAt: 0, CallerTraced: true, Repeats: 0, SplitOdd: false));
        _ = Run(nodes, groups: 1, out List<Activity> spans, derivation: SipIdDerivation.Off);
        Assert.Equal(3, spans.Select(s => s.TraceId).Distinct().Count());
    }

    /// <summary>One node's messages in the order it saw them, and whether it has a tracer.</summary>
    private sealed record NodeMessages(string Name, bool Traced, List<(byte[] Message, SipDirection Direction)> Messages);

    /// <summary>
    /// The caller, <c>Proxies</c> proxies (the one at <c>ForkAt</c>, when there is one, sends the INVITE
    /// on two branches, each to its own callee; one answers 200, the other 486), and the callees.
    /// </summary>
    private static List<NodeMessages> Build(CallShape call)
    {
        var nodes = new List<NodeMessages>();
        string callId = "zt-" + Guid.NewGuid().ToString("N") + "@caller.example.com";
        int next = 0;
        string Branch() => "z9hG4bK" + (next++).ToString(System.Globalization.CultureInfo.InvariantCulture) + "x" + callId[3..11];

        // Walks one path from a node that sends `vias`: proxies relay, then a callee answers `status`.
        void Path(List<string> vias, int firstProxy, int status, List<(byte[], SipDirection)> upstreamOut, List<(byte[], SipDirection)> upstreamIn)
        {
            if (firstProxy < call.Proxies)
            {
                int p = firstProxy;
                var messages = new List<(byte[], SipDirection)>();
                nodes.Add(new NodeMessages("proxy" + p + "/" + vias[0].Split('x')[0], Traced: true, messages));
                for (int r = 0; r <= call.Repeats; r++)
                {
                    messages.Add((Invite(callId, vias), SipDirection.In));
                }

                bool fork = call.ForkAt == p + 1 && call.ForkAt > 0 && p + 1 < call.Proxies + 1 && status == 200 && vias.Count == p + 1;
                List<string> relayed = [Branch(), .. vias];
                if (fork)
                {
                    // A second branch from this proxy to its own callee, which is busy.
                    List<string> other = [Branch(), .. vias];
                    messages.Add((Invite(callId, relayed), SipDirection.Out));
                    messages.Add((Invite(callId, other), SipDirection.Out));
                    Callee(other, 486, messages);
                    Path(relayed, p + 1, status, messages, messages);
                    messages.Add((Response(callId, 200, vias), SipDirection.Out));
                    return;
                }

                for (int r = 0; r <= call.Repeats; r++)
                {
                    messages.Add((Invite(callId, relayed), SipDirection.Out));
                }

                Path(relayed, p + 1, status, messages, messages);
                messages.Add((Response(callId, status, vias), SipDirection.Out));
                return;
            }

            Callee(vias, status, upstreamIn);
        }

        // A callee: receives the INVITE (and its repeats), answers; its upstream hears the answer.
        void Callee(List<string> vias, int status, List<(byte[], SipDirection)> upstream)
        {
            var messages = new List<(byte[], SipDirection)>();
            nodes.Add(new NodeMessages("callee/" + vias[0].Split('x')[0], Traced: true, messages));
            for (int r = 0; r <= call.Repeats; r++)
            {
                messages.Add((Invite(callId, vias), SipDirection.In));
            }

            messages.Add((Response(callId, status, vias), SipDirection.Out));
            upstream.Add((Response(callId, status, vias), SipDirection.In));
        }

        var caller = new List<(byte[], SipDirection)>();
        nodes.Add(new NodeMessages("caller", call.CallerTraced, caller));
        List<string> stack = [Branch()];
        for (int r = 0; r <= call.Repeats; r++)
        {
            caller.Add((Invite(callId, stack), SipDirection.Out));
        }

        Path(stack, 0, 200, caller, caller);
        caller.Add((Response(callId, 200, stack), SipDirection.In));
        return nodes;
    }

    /// <summary>
    /// Feeds each traced node's messages to its own tracer, in <paramref name="groups"/> groups (each its
    /// own tracer provider, as separate collectors would be), and describes the setup spans.
    /// </summary>
    private static List<string> Run(List<NodeMessages> nodes, int groups, out List<Activity> spans, bool oddFirst = false, SipIdDerivation derivation = SipIdDerivation.Derive)
    {
        spans = [];
        for (int g = 0; g < groups; g++)
        {
            var exported = new List<Activity>();
            using (TracerProvider provider = Sdk.CreateTracerProviderBuilder().SetSampler(new AlwaysOnSampler()).AddSipInstrumentation().AddInMemoryExporter(exported).Build()!)
            {
                for (int n = 0; n < nodes.Count; n++)
                {
                    NodeMessages node = nodes[n];
                    if (!node.Traced || (groups > 1 && (n % 2 == 1) != (oddFirst ? g == 0 : g == 1)))
                    {
                        continue;
                    }

                    string name = node.Name;
                    var options = new SipCallTracerOptions
                    {
                        IdDerivation = derivation,
                        DerivationKey = Key,
                        EnrichWithRequest = (activity, in message) => activity.SetTag("test.node", name),
                    };
                    using var tracer = new SipCallTracer(options);
                    foreach ((byte[] message, SipDirection direction) in node.Messages)
                    {
                        tracer.Record(message, direction);
                    }
                }

                provider.ForceFlush();
            }

            spans.AddRange(exported.Where(s => s.OperationName == Conventions.SipSpanNames.CallSetup));
        }

        return [.. spans
            .Select(s => $"{s.GetTagItem("test.node")} {s.Kind} trace={s.TraceId} span={s.SpanId} parent={s.ParentSpanId} status={s.GetTagItem(A.StatusCode)}")
            .Order(StringComparer.Ordinal)];
    }

    private static byte[] Invite(string callId, List<string> branches)
    {
        var text = new StringBuilder("INVITE sip:bob@biloxi.example.com SIP/2.0\r\n");
        Vias(text, branches);
        text.Append("Max-Forwards: 70\r\nFrom: <sip:alice@atlanta.example.com>;tag=a1\r\nTo: <sip:bob@biloxi.example.com>\r\n")
            .Append("Call-ID: ").Append(callId).Append("\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static byte[] Response(string callId, int status, List<string> branches)
    {
        var text = new StringBuilder("SIP/2.0 ").Append(status).Append(status == 200 ? " OK\r\n" : " Busy Here\r\n");
        Vias(text, branches);
        text.Append("From: <sip:alice@atlanta.example.com>;tag=a1\r\nTo: <sip:bob@biloxi.example.com>;tag=b")
            .Append(branches[0][^4..]).Append("\r\nCall-ID: ").Append(callId).Append("\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    private static void Vias(StringBuilder text, List<string> branches)
    {
        for (int i = 0; i < branches.Count; i++)
        {
            text.Append("Via: SIP/2.0/UDP node").Append(branches.Count - i).Append(".example.com;branch=").Append(branches[i]).Append("\r\n");
        }
    }
}
