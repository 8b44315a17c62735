using System.Diagnostics;
using System.Net;
using SipTraceContext.Instrumentation;
using SipTraceContext.Propagation;
using SipTraceContext.Sip;

namespace CallTraceDemo;

/// <summary>
/// A stateless SIP proxy (RFC 3261 §16.11) working on raw bytes: <see cref="SipHop"/> relays each message
/// (Route pop, Max-Forwards, a Via whose branch is derived from the incoming one so CANCEL and non-2xx ACK
/// match the INVITE's downstream transaction, Record-Route on an initial INVITE), and the context the call
/// tracer returns is injected in place of the incoming trace headers. Every message in and out is fed to
/// the tracer.
/// </summary>
public sealed class Proxy : IAsyncDisposable
{
    private readonly UdpNode _node;
    private readonly SipRawPropagator _propagator;
    private readonly SipCallTracer _tracer;
    private readonly bool _injectTraceHeaders;

    /// <param name="role">The node's name.</param>
    /// <param name="propagation">The trace header style.</param>
    /// <param name="injectTraceHeaders">Whether to put this node's context in what it relays; without, it relays as a stock proxy does.</param>
    public Proxy(string role, SipPropagationOptions propagation, bool injectTraceHeaders = true)
    {
        Role = role;
        _node = new UdpNode(role);
        _propagator = new SipRawPropagator(propagation);
        _tracer = DemoRunner.NodeTracer(role, propagation);
        _injectTraceHeaders = injectTraceHeaders;
        _node.Start(OnDatagram);
    }

    public string Role { get; }

    public IPEndPoint EndPoint => _node.EndPoint;

    public string HostPort => _node.HostPort;

    public ConcurrentErrors Errors => _node.Errors;

    public int TrackedCalls => _tracer.TrackedCalls;

    public async ValueTask DisposeAsync()
    {
        await _node.DisposeAsync();
        _tracer.Dispose();
    }

    private void OnDatagram(byte[] data, IPEndPoint from)
    {
        var reader = new SipMessageReader(data);
        if (!reader.IsComplete)
        {
            Errors.Add($"{Role}: unreadable message ({reader.Status})");
            return;
        }

        (byte[] Message, IPEndPoint To)? forward = reader.IsRequest ? ForwardRequest(data) : ForwardResponse(data);
        if (forward is { } f)
        {
            _node.Send(f.Message, f.To);
        }
    }

    private (byte[], IPEndPoint)? ForwardRequest(byte[] data)
    {
        bool initialInvite = SipText.Method(data) == "INVITE" && SipText.Param(SipText.Header(data, "To") ?? string.Empty, "tag") is null;
        if (SipHop.Request(data, _node, new SipHop.RequestEdits { RecordRoute = initialInvite }, Errors) is not { } routed)
        {
            return null;
        }

        // Record first: the context returned is the span this request belongs to; inject it.
        ActivityContext context = _tracer.Record(data, SipDirection.In);
        if (!_injectTraceHeaders)
        {
            _tracer.Record(routed.Message, SipDirection.Out);
            return (routed.Message, routed.Next);
        }

        if (context == default)
        {
            _propagator.TryExtract(data, out context); // outside a tracked call: pass the caller's on
        }

        byte[] buffer = new byte[routed.Message.Length + _propagator.MaxAddedBytes];
        if (!_propagator.TryInject(routed.Message, context, buffer, out int written))
        {
            Errors.Add($"{Role}: TryInject failed on {SipText.Method(data)}");
            return null;
        }

        byte[] message = buffer[..written];
        _tracer.Record(message, SipDirection.Out);
        return (message, routed.Next);
    }

    private (byte[], IPEndPoint)? ForwardResponse(byte[] data)
    {
        if (SipHop.Response(data, _node, Errors) is not { } routed)
        {
            return null;
        }

        _tracer.Record(data, SipDirection.In);
        _tracer.Record(routed.Message, SipDirection.Out);
        return (routed.Message, routed.Next);
    }
}
