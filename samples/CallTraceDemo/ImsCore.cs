using System.Collections.Concurrent;
using System.Net;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation.Ims;

namespace CallTraceDemo;

/// <summary>The names the IMS flow's nodes go by in traces and metrics.</summary>
public static class ImsRoles
{
    public const string UserEquipmentA = "UE-A";
    public const string UserEquipmentB = "UE-B";
    public const string Pcscf = "P-CSCF";
    public const string Icscf = "I-CSCF";
    public const string Scscf = "S-CSCF";
    public const string ApplicationServer = "AS";
}

/// <summary>
/// Stand-in latencies for what the demo does not run: Diameter towards the HSS (Cx) and the PCRF (Rx), the
/// IPsec security association, the application server's service logic, and the called party ringing.
/// Short and jittered so a run takes a moment and the latency percentiles differ.
/// </summary>
public static class ImsTimings
{
    public static TimeSpan Hss => Jitter(3);

    public static TimeSpan Rx => Jitter(4);

    public static TimeSpan Ipsec => Jitter(2);

    public static TimeSpan ServiceLogic => Jitter(6);

    public static TimeSpan Ringing => Jitter(50);

    public static readonly TimeSpan Talk = TimeSpan.FromMilliseconds(30);

    private static TimeSpan Jitter(double milliseconds) => TimeSpan.FromMilliseconds(milliseconds * (0.75 + (Random.Shared.NextDouble() / 2)));
}

/// <summary>
/// What the IMS nodes share: a UDP socket, the transactions they wait on (by the branch of the Via they
/// pushed), and relaying requests and responses with <see cref="SipHop"/>.
/// </summary>
public abstract class ImsCscf : IAsyncDisposable
{
    private readonly ConcurrentDictionary<string, Action<byte[]>> _awaitingFinal = new(StringComparer.Ordinal);

    protected ImsCscf(string role)
    {
        Node = new UdpNode(role);
        Node.Start(OnDatagram);
    }

    public IPEndPoint EndPoint => Node.EndPoint;

    public string RouteEntry => $"<sip:{Node.HostPort};lr>";

    public ConcurrentErrors Errors => Node.Errors;

    protected UdpNode Node { get; }

    public ValueTask DisposeAsync()
    {
        GC.SuppressFinalize(this);
        return Node.DisposeAsync();
    }

    /// <summary>Handles a request; runs on its own task so a simulated Diameter exchange never holds up the socket.</summary>
    protected abstract Task OnRequestAsync(byte[] request, IPEndPoint from);

    /// <summary>Sees a final response before it is relayed upstream (e.g. the end of a session on a BYE's 200).</summary>
    protected virtual void OnFinalResponse(byte[] response)
    {
    }

    /// <summary>Relays a request and, when <paramref name="onFinal"/> is given, calls it with the final response before relaying that upstream.</summary>
    protected void Relay(byte[]? request, SipHop.RequestEdits edits, Action<byte[]>? onFinal = null)
    {
        if (request is null)
        {
            Errors.Add($"{Node.Name}: a request the reader rejects is not forwarded");
            return;
        }

        if (SipHop.Request(request, Node, edits, Errors) is not { } forwarded)
        {
            return;
        }

        if (onFinal is not null)
        {
            _awaitingFinal[forwarded.Branch] = onFinal;
        }

        Node.Send(forwarded.Message, forwarded.Next);
    }

    /// <summary>Answers a request this node handles itself.</summary>
    protected void Reply(byte[] request, int code, string reason)
    {
        byte[] response = SipText.Response(request, code, reason, Guid.NewGuid().ToString("N")[..8], EndPoint);
        Node.Send(response, SipText.ViaEndPoint(SipText.Header(response, "Via") ?? string.Empty));
    }

    /// <summary>A request as a span's node sends it on, its trace headers rewritten; <c>null</c> when it must not go on.</summary>
    protected static byte[]? Outgoing(ImsNode node, ImsSpan span, byte[] request)
    {
        byte[] destination = new byte[request.Length + node.MaxAddedBytes];
        return span.TryRewriteTraceHeaders(request, destination, out int written) ? destination[..written] : null;
    }

    /// <summary>A request without any trace header; <c>null</c> when it must not go on.</summary>
    protected static byte[]? Stripped(ImsNode node, byte[] request)
    {
        byte[] destination = new byte[request.Length];
        return node.TryStripTraceHeaders(request, destination, out int written) ? destination[..written] : null;
    }

    /// <summary>Ends a span with the final response to the request it forwarded.</summary>
    protected static Action<byte[]> EndOn(ImsSpan span) => response => End(span, SipText.Status(response));

    /// <summary>Records a span's outcome and ends it: here the outcome and the end arrive together.</summary>
    protected static void End(ImsSpan span, int resultCode)
    {
        span.SetResultCode(resultCode);
        span.Dispose();
    }

    /// <summary>The flow's options with this node's metric tags, so its IMS measurements are its own series.</summary>
    protected static ImsNodeOptions ForNode(ImsNodeOptions options, string node)
    {
        ImsNodeOptions own = options.Clone();
        own.MetricTags = NodeMetricsCollector.TagsOf(node);
        return own;
    }

    /// <summary>Tags a span with the demo node that recorded it (the waterfall's node column).</summary>
    protected ImsSpan Mark(ImsSpan span)
    {
        span.Activity?.SetTag(DemoRunner.NodeTag, Node.Name);
        return span;
    }

    private void OnDatagram(byte[] data, IPEndPoint from)
    {
        if (SipText.Method(data).Length > 0)
        {
            _ = Task.Run(async () =>
            {
                try
                {
                    await OnRequestAsync(data, from);
                }
                catch (Exception e)
                {
                    Errors.Add($"{Node.Name}: {e.Message}");
                }
            });
            return;
        }

        if (SipHop.Response(data, Node, Errors) is not { } forwarded)
        {
            return;
        }

        if (SipText.Status(data) >= 200)
        {
            OnFinalResponse(data);
            if (_awaitingFinal.TryRemove(forwarded.Branch, out Action<byte[]>? onFinal))
            {
                onFinal(data);
            }
        }

        Node.Send(forwarded.Message, forwarded.Next);
    }
}

/// <summary>
/// The P-CSCF, the edge between handsets and the core: it roots the registration and call traces (a handset's
/// trace headers are at most a link), sets up the IPsec association and the Rx policy session, asserts the
/// caller's identity and generates the charging id, and strips every trace header from what it sends to a
/// handset. Requests from the core are the terminating leg.
/// </summary>
public sealed class PcscfNode(ImsNodeOptions options) : ImsCscf(ImsRoles.Pcscf)
{
    private readonly PcscfInstrumentation _ims = new(ForNode(options, ImsRoles.Pcscf));
    private int _securityAssociations;
    private int _sessions;

    /// <summary>Where REGISTERs go (the home network's I-CSCF).</summary>
    public string IcscfRoute { get; set; } = string.Empty;

    /// <summary>Where originating requests go (the S-CSCF's Service-Route from the registration).</summary>
    public string ScscfRoute { get; set; } = string.Empty;

    /// <summary>The core's nodes: requests from them are the terminating leg.</summary>
    public IReadOnlyCollection<IPEndPoint> Core { get; set; } = [];

    protected override async Task OnRequestAsync(byte[] request, IPEndPoint from)
    {
        string method = SipText.Method(request);
        bool fromCore = Core.Contains(from);
        bool initial = SipText.Param(SipText.Header(request, "To") ?? string.Empty, "tag") is null;
        if (method == "REGISTER" && !fromCore)
        {
            ImsSpan register = Mark(_ims.StartRegister(request));
            using (ImsSpan ipsec = Mark(_ims.StartIpsecSetup(register)))
            {
                await Task.Delay(ImsTimings.Ipsec);
                ipsec.SetResultCode(0x1000 + Interlocked.Increment(ref _securityAssociations)); // the SPI of the new association
            }

            Relay(Outgoing(_ims, register, request), new SipHop.RequestEdits { PushRoutes = [IcscfRoute] }, EndOn(register));
        }
        else if (method == "INVITE" && initial && !fromCore)
        {
            // TS 24.229 §5.2.6.3: assert the registered identity, and §5.2.7.2: generate the charging id. Both go
            // in before the span starts, so it reads them like every node after it.
            string impu = SipText.Header(request, "P-Preferred-Identity") ?? SipText.Header(request, "From") ?? string.Empty;
            int session = Interlocked.Increment(ref _sessions);
            byte[] asserted = SipHop.AddHeaders(request, $"P-Asserted-Identity: {impu.Split(';')[0]}", $"P-Charging-Vector: icid-value=pcscf-{session:x8};icid-generated-at=127.0.0.1");
            ImsSpan invite = Mark(_ims.StartInvite(asserted, ImsLeg.Originating));
            using (ImsSpan rx = Mark(_ims.StartRxAar(invite, $"pcscf.demo;{session};1")))
            {
                await Task.Delay(ImsTimings.Rx);
                rx.SetResultCode(2001); // DIAMETER_SUCCESS
            }

            Relay(Outgoing(_ims, invite, asserted), new SipHop.RequestEdits { PushRoutes = [ScscfRoute], RecordRoute = true }, EndOn(invite));
        }
        else if (method == "INVITE" && initial)
        {
            ImsSpan invite = Mark(_ims.StartInvite(request, ImsLeg.Terminating));
            Relay(Outgoing(_ims, invite, request), new SipHop.RequestEdits { RecordRoute = true }, EndOn(invite));
        }
        else
        {
            // In-dialog requests have no P-CSCF span to carry; the trust edge still applies both ways.
            Relay(Stripped(_ims, request), new SipHop.RequestEdits());
        }
    }
}

/// <summary>The I-CSCF: asks the HSS which S-CSCF serves a registering user (UAR) and where a called user is (LIR).</summary>
public sealed class IcscfNode(ImsNodeOptions options) : ImsCscf(ImsRoles.Icscf)
{
    private readonly IcscfInstrumentation _ims = new(ForNode(options, ImsRoles.Icscf));

    /// <summary>The S-CSCF the HSS assigns to registering users.</summary>
    public string ScscfRoute { get; set; } = string.Empty;

    /// <summary>
    /// Where a called user is reachable: the P-CSCF route and the registered contact. The demo folds the
    /// terminating S-CSCF's part (contact lookup, Path) into this node, as seed 001's tree does.
    /// </summary>
    public Func<string, (string Route, string Contact)?> Locate { get; set; } = _ => null;

    protected override async Task OnRequestAsync(byte[] request, IPEndPoint from)
    {
        string method = SipText.Method(request);
        if (method == "REGISTER")
        {
            ImsSpan register = Mark(_ims.StartRegister(request));
            await QueryHssAsync(register, ImsAttributes.HssCommandValues.Uar);
            Relay(Outgoing(_ims, register, request), new SipHop.RequestEdits { PushRoutes = [ScscfRoute] }, EndOn(register));
        }
        else if (method == "INVITE")
        {
            ImsSpan invite = Mark(_ims.StartInvite(request));
            await QueryHssAsync(invite, ImsAttributes.HssCommandValues.Lir);
            string called = SipText.Header(request, "To") ?? string.Empty;
            if (Locate(called) is not { } location)
            {
                Reply(request, 404, "Not Found");
                End(invite, 404);
                return;
            }

            Relay(Outgoing(_ims, invite, request), new SipHop.RequestEdits { PushRoutes = [location.Route], RequestUri = location.Contact }, EndOn(invite));
        }
        else
        {
            Relay(request, new SipHop.RequestEdits());
        }
    }

    private async Task QueryHssAsync(ImsSpan parent, string command)
    {
        using ImsSpan query = Mark(_ims.StartHssQuery(parent, command));
        await Task.Delay(ImsTimings.Hss);
        query.SetResultCode(2001); // DIAMETER_SUCCESS
    }
}

/// <summary>
/// The S-CSCF: the registrar (SAR to the HSS, then 200 OK), and for a call the session's serving node: profile
/// query, initial filter criteria, the MMTel application server (the INVITE goes out to it and comes back),
/// then on to the terminating network through the I-CSCF.
/// </summary>
public sealed class ScscfNode(ImsNodeOptions options) : ImsCscf(ImsRoles.Scscf)
{
    private const string ReturnParameter = "orig-ret";

    private readonly ScscfInstrumentation _ims = new(ForNode(options, ImsRoles.Scscf));
    private readonly ConcurrentDictionary<string, Invocation> _atApplicationServer = new(StringComparer.Ordinal);

    /// <summary>The MMTel application server the filter criteria select.</summary>
    public string AsUri { get; set; } = string.Empty;

    /// <summary>Where terminating requests go (the called user's home I-CSCF).</summary>
    public string IcscfRoute { get; set; } = string.Empty;

    protected override async Task OnRequestAsync(byte[] request, IPEndPoint from)
    {
        string method = SipText.Method(request);
        List<string> routes = SipHop.Routes(request);
        string? returning = routes.Count > 0 && SipText.UriEndPoint(routes[0]).Equals(EndPoint) ? SipText.Param(routes[0].Trim('<', '>'), ReturnParameter) : null;
        if (method == "REGISTER")
        {
            // The REGISTER has no S-CSCF span of its own: its SAR sits under the I-CSCF's span.
            using (ImsSpan sar = Mark(_ims.StartHssQuery(request, ImsAttributes.HssCommandValues.Sar)))
            {
                await Task.Delay(ImsTimings.Hss);
                sar.SetResultCode(2001);
            }

            Reply(request, 200, "OK");
        }
        else if (method == "INVITE" && returning is not null && _atApplicationServer.TryRemove(returning, out Invocation? returned))
        {
            // The AS routed the request back: its part is done, and so is the filter evaluation (one match).
            returned.AsInvoke.Dispose();
            End(returned.FilterEvaluation, 1);
            byte[]? onward = Outgoing(_ims, returned.Invite, request);
            Relay(onward, new SipHop.RequestEdits { PushRoutes = [IcscfRoute] }, EndOn(returned.Invite));
        }
        else if (method == "INVITE" && SipText.Param(SipText.Header(request, "To") ?? string.Empty, "tag") is null)
        {
            ImsSpan invite = Mark(_ims.StartInvite(request));
            using (ImsSpan profile = Mark(_ims.StartHssQuery(invite, ImsAttributes.HssCommandValues.Sar)))
            {
                await Task.Delay(ImsTimings.Hss);
                profile.SetResultCode(2001);
            }

            ImsSpan filters = Mark(_ims.StartIfcEvaluation(invite));
            ImsSpan asInvoke = Mark(_ims.StartAsInvoke(filters, AsUri, "mmtel"));
            string token = Guid.NewGuid().ToString("N")[..12];
            var invocation = new Invocation(invite, filters, asInvoke);
            _atApplicationServer[token] = invocation;
            var edits = new SipHop.RequestEdits
            {
                PushRoutes = [$"<{AsUri}>", $"<sip:{Node.HostPort};lr;{ReturnParameter}={token}>"],
                RecordRoute = true,
            };

            // A final response that arrives here instead of the request coming back means the AS answered
            // the call itself (rejected or redirected it).
            Relay(Outgoing(_ims, asInvoke, request), edits, response =>
            {
                if (_atApplicationServer.TryRemove(token, out Invocation? answeredByAs))
                {
                    End(answeredByAs.AsInvoke, SipText.Status(response));
                    End(answeredByAs.FilterEvaluation, 1);
                    End(answeredByAs.Invite, SipText.Status(response));
                }
            });
        }
        else
        {
            Relay(request, new SipHop.RequestEdits());
        }
    }

    protected override void OnFinalResponse(byte[] response)
    {
        if (SipText.CSeqMethod(response) == "BYE" && SipText.Status(response) is >= 200 and < 300)
        {
            _ims.EndSession();
        }
    }

    private sealed record Invocation(ImsSpan Invite, ImsSpan FilterEvaluation, ImsSpan AsInvoke);
}

/// <summary>
/// The MMTel application server, acting as a proxy for the originating session: it reads the context the
/// S-CSCF's <c>ims.scscf.as_invoke</c> span sent, runs its service logic and routes the request back.
/// </summary>
public sealed class ApplicationServerNode(ImsNodeOptions options) : ImsCscf(ImsRoles.ApplicationServer)
{
    private readonly ApplicationServerInstrumentation _ims = new(ForNode(options, ImsRoles.ApplicationServer));

    protected override async Task OnRequestAsync(byte[] request, IPEndPoint from)
    {
        if (SipText.Method(request) == "INVITE" && _ims.Receive(request) == default)
        {
            Errors.Add($"{Node.Name}: INVITE from the S-CSCF without a trace context");
        }

        await Task.Delay(ImsTimings.ServiceLogic);
        Relay(request, new SipHop.RequestEdits());
    }
}
