using System.Buffers;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using SipTraceContext.Instrumentation;
using SipTraceContext.Propagation;
using SipTraceContext.Sip;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>One request the hop forwarded: the context it extracted, the one it injected.</summary>
internal sealed record HopRequest(string Method, string CallId, string Branch, bool Extracted, ActivityContext Incoming, ActivityContext Forwarded, bool Retransmission);

/// <summary>
/// A stateless SIP proxy hop (RFC 3261 §16.11) built on our wire reader and raw propagator, between
/// Kamailio and SIPp. Requests: its own Route entry popped, Max-Forwards decremented, a Via pushed with
/// a branch derived from the incoming one (so a CANCEL or a non-2xx ACK gets the INVITE's branch),
/// Record-Route on a dialog-creating INVITE, the incoming trace context extracted and a child context
/// injected (replacing the trace headers); next hop from the remaining Route, else the Request-URI.
/// Responses: its Via popped, sent where the next Via says. Every other byte is forwarded unchanged.
/// Tracing is the <see cref="SipCallTracer"/>'s, fed as a proxy feeds it: every message received
/// (<see cref="SipDirection.In"/>) and every copy sent (<see cref="SipDirection.Out"/>); the context it
/// returns for a request is what the hop injects.
/// </summary>
internal sealed class ProxyHop : IAsyncDisposable
{
    private readonly SipUdpEndpoint _endpoint;
    private readonly SipRawPropagator _propagator;
    private readonly SipCallTracer _tracer;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<HopRequest> _requests = new();
    private readonly HashSet<string> _seenTransactions = new(StringComparer.Ordinal);
    private readonly string _self;
    private readonly Task _loop;

    public ProxyHop(SipUdpEndpoint endpoint, SipRawPropagator propagator, SipCallTracer tracer)
    {
        _endpoint = endpoint;
        _propagator = propagator;
        _tracer = tracer;
        _self = $"127.0.0.1:{endpoint.Port}";
        _loop = Task.Run(RunAsync);
    }

    public IPEndPoint EndPoint => _endpoint.LocalEndPoint;

    /// <summary>Every request forwarded, in order, retransmissions included.</summary>
    public IReadOnlyCollection<HopRequest> Requests => _requests;

    /// <summary>Requests dropped as unreadable or not routable, with the reason.</summary>
    public ConcurrentQueue<string> Dropped { get; } = new();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        try
        {
            await _loop.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
    }

    private async Task RunAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            ReceivedDatagram? datagram = await _endpoint.TryReceiveAsync(TimeSpan.FromSeconds(30), _stop.Token).ConfigureAwait(false);
            if (datagram is null)
            {
                continue;
            }

            (byte[] Message, IPEndPoint To)? forward;
            try
            {
                forward = Route(datagram.Data);
            }
#pragma warning disable CA1031 // Recorded in Dropped, which every test asserts empty; the hop keeps serving.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Dropped.Enqueue("failed on a message: " + e);
                continue;
            }

            if (forward is { } f)
            {
                await _endpoint.SendAsync(f.Message, f.To).ConfigureAwait(false);
            }
        }
    }

    private (byte[] Message, IPEndPoint To)? Route(byte[] data)
    {
        var reader = new SipMessageReader(data);
        if (!reader.IsComplete)
        {
            Dropped.Enqueue($"unreadable: {reader.Status} {reader.Error}");
            return null;
        }

        return reader.IsRequest ? ForwardRequest(data) : ForwardResponse(data);
    }

    private (byte[] Message, IPEndPoint To)? ForwardRequest(byte[] data)
    {
        var reader = new SipMessageReader(data);
        string method = Encoding.ASCII.GetString(reader.Method);
        string topVia = SipWire.Header(data, "Via") ?? string.Empty;
        string incomingBranch = SipWire.GetParameter(topVia, "branch") ?? string.Empty;
        string branch = DeriveBranch(incomingBranch);
        bool initialInvite = method == "INVITE" && !SipWire.HasParameter(SipWire.Header(data, "To") ?? string.Empty, "tag");

        var output = new ArrayBufferWriter<byte>(data.Length + 256);
        output.Write(data.AsSpan(0, reader.HeadersOffset));
        if (initialInvite)
        {
            Write(output, $"Record-Route: <sip:{_self};lr>\r\n");
        }

        Write(output, $"Via: SIP/2.0/UDP {_self};branch={branch};rport\r\n");

        string? nextRoute = null;
        bool topRouteSeen = false;
        foreach (SipHeaderField field in reader.Headers)
        {
            if (field.KnownHeader == KnownSipHeader.Route && !topRouteSeen)
            {
                topRouteSeen = true;
                string[] entries = SipWire.Unfolded(field).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (entries.Length > 0 && SipWire.UriEndPoint(entries[0]).Equals(_endpoint.LocalEndPoint))
                {
                    // Our own entry (we record-routed): pop it, keep the rest of this field.
                    if (entries.Length > 1)
                    {
                        Write(output, "Route: " + string.Join(", ", entries[1..]) + "\r\n");
                        nextRoute = entries[1];
                    }

                    continue;
                }

                nextRoute = entries.Length > 0 ? entries[0] : null;
            }
            else if (field.KnownHeader == KnownSipHeader.Route && nextRoute is null)
            {
                nextRoute = SipWire.Unfolded(field).Split(',', StringSplitOptions.TrimEntries)[0];
            }

            if (field.KnownHeader == KnownSipHeader.MaxForwards)
            {
                if (!int.TryParse(Encoding.ASCII.GetString(field.Value), NumberStyles.None, CultureInfo.InvariantCulture, out int hops) || hops <= 0)
                {
                    Dropped.Enqueue($"{method}: Max-Forwards {Encoding.ASCII.GetString(field.Value)}");
                    return null;
                }

                Write(output, $"Max-Forwards: {hops - 1}\r\n");
                continue;
            }

            output.Write(data.AsSpan(field.Offset, field.Length));
        }

        output.Write(data.AsSpan(reader.HeadersEnd, reader.MessageLength - reader.HeadersEnd));

        bool extracted = _propagator.TryExtract(data, out ActivityContext incoming);
        bool retransmission = !_seenTransactions.Add(branch + " " + method);
        ActivityContext forwarded = _tracer.Record(data, SipDirection.In);
        if (forwarded == default)
        {
            // Outside any call the tracer follows (OPTIONS, REGISTER): pass the caller's context on.
            forwarded = incoming;
        }

        byte[] routed = output.WrittenSpan.ToArray();
        byte[] injected = new byte[routed.Length + _propagator.MaxAddedBytes];
        if (!_propagator.TryInject(routed, forwarded, injected, out int written))
        {
            Dropped.Enqueue($"{method}: TryInject failed");
            return null;
        }

        byte[] message = injected[..written];
        _tracer.Record(message, SipDirection.Out);
        _requests.Enqueue(new HopRequest(method, SipWire.Header(data, "Call-ID") ?? string.Empty, branch, extracted, incoming, forwarded, retransmission));
        IPEndPoint to = SipWire.UriEndPoint(nextRoute ?? Encoding.ASCII.GetString(reader.RequestUri));
        return (message, to);
    }

    private (byte[] Message, IPEndPoint To)? ForwardResponse(byte[] data)
    {
        var reader = new SipMessageReader(data);
        var output = new ArrayBufferWriter<byte>(data.Length);
        output.Write(data.AsSpan(0, reader.HeadersOffset));
        bool popped = false;
        string? nextVia = null;
        foreach (SipHeaderField field in reader.Headers)
        {
            if (field.KnownHeader == KnownSipHeader.Via && (!popped || nextVia is null))
            {
                string[] entries = SipWire.Unfolded(field).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries);
                if (!popped)
                {
                    popped = true;
                    if (entries.Length == 0 || !entries[0].Contains(" " + _self + ";", StringComparison.Ordinal))
                    {
                        Dropped.Enqueue("response whose top Via is not ours: " + SipWire.Unfolded(field));
                        return null;
                    }

                    if (entries.Length > 1)
                    {
                        Write(output, "Via: " + string.Join(", ", entries[1..]) + "\r\n");
                        nextVia = entries[1];
                    }

                    continue;
                }

                nextVia = entries[0];
            }

            output.Write(data.AsSpan(field.Offset, field.Length));
        }

        if (nextVia is null)
        {
            Dropped.Enqueue("response with no Via left after ours");
            return null;
        }

        output.Write(data.AsSpan(reader.HeadersEnd, reader.MessageLength - reader.HeadersEnd));
        _tracer.Record(data, SipDirection.In);
        byte[] message = output.WrittenSpan.ToArray();
        _tracer.Record(message, SipDirection.Out);
        return (message, SipWire.ViaEndPoint(nextVia));
    }

    private static string DeriveBranch(string incomingBranch)
    {
        // RFC 3261 §16.11: a stateless proxy derives its branch from the incoming top Via branch, so a
        // retransmission, the CANCEL and the non-2xx ACK map to the same downstream transaction.
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes("siptracecontext-hop:" + incomingBranch));
        return "z9hG4bK-hop-" + Convert.ToHexStringLower(hash, 0, 8);
    }

    private static void Write(ArrayBufferWriter<byte> output, string text) => output.Write(Encoding.ASCII.GetBytes(text));
}
