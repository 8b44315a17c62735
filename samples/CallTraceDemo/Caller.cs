using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Threading.Channels;
using SipTraceContext.Instrumentation;
using SipTraceContext.Propagation;

namespace CallTraceDemo;

/// <summary>The demo's four kinds of call.</summary>
public enum CallScenario
{
    /// <summary>Rings, is answered, then the caller hangs up.</summary>
    Answered,

    /// <summary>The callee answers 486 Busy Here.</summary>
    Busy,

    /// <summary>The caller cancels while it rings.</summary>
    Cancelled,

    /// <summary>The callee is slow: the caller retransmits the INVITE, then the call is answered and hung up.</summary>
    Retransmitted,

    /// <summary>IMS flow: a handset registers through P-CSCF, I-CSCF and S-CSCF.</summary>
    ImsRegistration,

    /// <summary>IMS flow: the registered handset calls UE-B through the P-CSCF, S-CSCF, MMTel AS and I-CSCF, then hangs up.</summary>
    ImsCall,
}

/// <summary>
/// The calling party (UAC): its INVITE carries a pre-loaded Route through the edge and core proxies,
/// and every request it sends carries its call span's context, injected by the propagator.
/// </summary>
public sealed class Caller : IAsyncDisposable
{
    private readonly UdpNode _node = new("caller");
    private readonly SipRawPropagator _propagator;
    private readonly ActivitySource _source;
    private readonly ConcurrentDictionary<string, Channel<byte[]>> _calls = new(StringComparer.Ordinal);

    // Without trace headers the caller's spans come from its own call tracer, as any node's.
    private readonly SipCallTracer? _tracer;

    public Caller(SipPropagationOptions propagation, ActivitySource source, bool traceHeaders = true)
    {
        _propagator = new SipRawPropagator(propagation);
        _source = source;
        _tracer = traceHeaders ? null : DemoRunner.NodeTracer("caller", propagation);
        _node.Start((data, _) =>
        {
            _tracer?.Record(data, SipDirection.In);
            if (_calls.TryGetValue(SipText.Header(data, "Call-ID") ?? string.Empty, out Channel<byte[]>? inbox))
            {
                inbox.Writer.TryWrite(data);
            }
        });
    }

    public ConcurrentErrors Errors => _node.Errors;

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        _tracer?.Dispose();
    }

    /// <summary>Places one call through <paramref name="edge"/> then <paramref name="core"/> to the callee; returns its trace id.</summary>
    public async Task<ActivityTraceId> PlaceAsync(int index, CallScenario scenario, IPEndPoint edge, IPEndPoint core, IPEndPoint callee)
    {
        Activity.Current = null; // every call is its own trace
        using Activity? call = _tracer is not null ? null : _source.StartActivity($"call {index + 1}: {Describe(scenario)}", ActivityKind.Client);
        call?.SetTag(DemoRunner.NodeTag, "caller");
        call?.SetTag(DemoRunner.ScenarioTag, scenario.ToString());
        call?.SetTag(DemoRunner.IndexTag, index);
        ActivityContext context = call?.Context ?? default;

        string callId = $"demo-{index + 1}-{Guid.NewGuid():N}@127.0.0.1";
        var inbox = Channel.CreateUnbounded<byte[]>();
        _calls[callId] = inbox;
        try
        {
            string user = scenario switch
            {
                CallScenario.Busy => "busy",
                CallScenario.Cancelled => "ring",
                CallScenario.Retransmitted => "slow",
                _ => "answer",
            };
            var d = new Dialog
            {
                CallId = callId,
                FromTag = Guid.NewGuid().ToString("N")[..8],
                RequestUri = $"sip:{user}@{callee.Address}:{callee.Port}",
                To = $"<sip:{user}@127.0.0.1>",
                InviteBranch = NewBranch(),
                InviteRoute = $"<sip:{edge.Address}:{edge.Port};lr>, <sip:{core.Address}:{core.Port};lr>",
            };

            byte[] invite = Request("INVITE", d.RequestUri, d.InviteBranch, d.InviteRoute, d.To, d, 1, context);
            ActivityTraceId traceId = call?.TraceId ?? _tracer?.Record(invite, SipDirection.Out).TraceId ?? default;
            _node.Send(invite, edge);

            byte[] first;
            if (scenario == CallScenario.Retransmitted)
            {
                // No answer within our (shortened) T1: send the same INVITE again (RFC 3261 §17.1.1.2).
                using var t1 = new CancellationTokenSource(DemoTimings.Retransmit);
                byte[]? early = await TryReadAsync(inbox, t1.Token);
                if (early is null)
                {
                    Send(invite, edge);
                    call?.AddEvent(new ActivityEvent("INVITE retransmitted"));
                }

                first = early ?? await ReadAsync(inbox);
            }
            else
            {
                first = await ReadAsync(inbox);
            }

            byte[] response = first;
            bool cancelSent = false;
            while (true)
            {
                int code = SipText.Status(response);
                string method = SipText.CSeqMethod(response);
                if (method == "INVITE" && code == 180 && scenario == CallScenario.Cancelled && !cancelSent)
                {
                    await Task.Delay(DemoTimings.RingBeforeCancel);
                    Send(Request("CANCEL", d.RequestUri, d.InviteBranch, d.InviteRoute, d.To, d, 1, context), edge);
                    call?.AddEvent(new ActivityEvent("CANCEL sent"));
                    cancelSent = true;
                }

                if (method == "INVITE" && code >= 200)
                {
                    break;
                }

                response = await ReadAsync(inbox);
            }

            int final = SipText.Status(response);
            string to = SipText.Header(response, "To") ?? d.To;
            call?.SetTag("sip.status_code", final);
            if (final >= 300)
            {
                // ACK for a non-2xx: same branch and route as the INVITE.
                Send(Request("ACK", d.RequestUri, d.InviteBranch, d.InviteRoute, to, d, 1, context), edge);
                // A Client span: Error for a 4xx-6xx, except the 487 that answers its own CANCEL
                // (docs/semantic-conventions.md, "Span status").
                if (!(final == 487 && cancelSent))
                {
                    call?.SetStatus(ActivityStatusCode.Error, $"{final} {ReasonOf(response)}");
                }

                return traceId;
            }

            call?.AddEvent(new ActivityEvent("answered"));

            // The dialog's route set: the Record-Route entries reversed (RFC 3261 §12.1.2).
            var routeSet = SipText.Headers(response, "Record-Route")
                .SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                .Reverse()
                .ToList();
            string route = string.Join(", ", routeSet);
            string contact = SipText.Header(response, "Contact") ?? d.RequestUri;
            string target = contact.Trim('<', '>', ' ');
            IPEndPoint next = routeSet.Count > 0 ? SipText.UriEndPoint(routeSet[0]) : SipText.UriEndPoint(target);

            Send(Request("ACK", target, NewBranch(), route, to, d, 1, context), next);
            await Task.Delay(DemoTimings.Talk);
            Send(Request("BYE", target, NewBranch(), route, to, d, 2, context), next);
            call?.AddEvent(new ActivityEvent("BYE sent"));
            while (true)
            {
                response = await ReadAsync(inbox);
                if (SipText.CSeqMethod(response) == "BYE" && SipText.Status(response) >= 200)
                {
                    break;
                }
            }

            return traceId;
        }
        finally
        {
            _calls.TryRemove(callId, out _);
        }
    }

    public static string Describe(CallScenario scenario) => scenario switch
    {
        CallScenario.Answered => "answered, hung up",
        CallScenario.Busy => "busy (486)",
        CallScenario.Cancelled => "cancelled ringing",
        CallScenario.Retransmitted => "retransmitted INVITE",
        CallScenario.ImsRegistration => "IMS registration",
        CallScenario.ImsCall => "IMS call, answered, hung up",
        _ => scenario.ToString(),
    };

    private byte[] Request(string method, string uri, string branch, string route, string to, Dialog d, int cseq, ActivityContext context)
    {
        string text =
            $"{method} {uri} SIP/2.0\r\n" +
            $"Via: SIP/2.0/UDP {_node.HostPort};branch={branch}\r\n" +
            (route.Length > 0 ? $"Route: {route}\r\n" : string.Empty) +
            "Max-Forwards: 70\r\n" +
            $"From: <sip:caller@127.0.0.1>;tag={d.FromTag}\r\n" +
            $"To: {to}\r\n" +
            $"Call-ID: {d.CallId}\r\n" +
            $"CSeq: {cseq} {method}\r\n" +
            (method == "INVITE" ? $"Contact: <sip:caller@{_node.HostPort}>\r\n" : string.Empty) +
            "Content-Length: 0\r\n\r\n";
        byte[] plain = SipText.Bytes(text);
        if (_tracer is not null)
        {
            return plain; // no trace headers
        }

        byte[] buffer = new byte[plain.Length + _propagator.MaxAddedBytes];
        return _propagator.TryInject(plain, context, buffer, out int written) ? buffer[..written] : plain;
    }

    private void Send(byte[] message, IPEndPoint to)
    {
        _tracer?.Record(message, SipDirection.Out);
        _node.Send(message, to);
    }

    private static string ReasonOf(byte[] response)
    {
        string text = System.Text.Encoding.ASCII.GetString(response);
        string line = text[..text.IndexOf('\r', StringComparison.Ordinal)];
        return line[(line.IndexOf(' ', 8) + 1)..];
    }

    private static string NewBranch() => "z9hG4bK" + Guid.NewGuid().ToString("N")[..16];

    private static async Task<byte[]> ReadAsync(Channel<byte[]> inbox)
    {
        using var timeout = new CancellationTokenSource(DemoTimings.ResponseTimeout);
        return await TryReadAsync(inbox, timeout.Token) ?? throw new TimeoutException("no response from the proxies within " + DemoTimings.ResponseTimeout);
    }

    private static async Task<byte[]?> TryReadAsync(Channel<byte[]> inbox, CancellationToken token)
    {
        try
        {
            return await inbox.Reader.ReadAsync(token);
        }
        catch (OperationCanceledException)
        {
            return null;
        }
    }

    private sealed class Dialog
    {
        public required string CallId { get; init; }

        public required string FromTag { get; init; }

        public required string RequestUri { get; init; }

        public required string To { get; init; }

        public required string InviteBranch { get; init; }

        public required string InviteRoute { get; init; }
    }
}
