using System.Buffers;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using SipTraceContext.Instrumentation;
using SipTraceContext.Propagation;
using SipTraceContext.Sip;

namespace CallTraceDemo;

/// <summary>
/// A stateless SIP proxy (RFC 3261 §16.11) working on raw bytes: requests get their own Route entry
/// popped, Max-Forwards decremented, a Via pushed (branch derived from the incoming one so CANCEL and
/// non-2xx ACK match the INVITE's downstream transaction), Record-Route on an initial INVITE, and the
/// context the call tracer returns injected in place of the incoming trace headers. Responses get
/// their Via popped and go where the next Via says. Every message in and out is fed to the tracer.
/// </summary>
public sealed class Proxy : IAsyncDisposable
{
    private readonly UdpNode _node;
    private readonly SipRawPropagator _propagator;
    private readonly SipCallTracer _tracer;

    public Proxy(string role, SipPropagationOptions propagation)
    {
        Role = role;
        _node = new UdpNode(role);
        _propagator = new SipRawPropagator(propagation);
        _tracer = new SipCallTracer(new SipInstrumentationOptions
        {
            Propagation = propagation,
            EnrichWithRequest = (Activity activity, in SipMessageReader _) => activity.SetTag(DemoRunner.NodeTag, role),
        });
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
        var reader = new SipMessageReader(data);
        string method = Encoding.ASCII.GetString(reader.Method);
        string branch = DeriveBranch(SipText.Param(SipText.Header(data, "Via") ?? string.Empty, "branch") ?? string.Empty);
        bool initialInvite = method == "INVITE" && SipText.Param(SipText.Header(data, "To") ?? string.Empty, "tag") is null;

        var routes = new List<string>();
        var output = new ArrayBufferWriter<byte>(data.Length + 256);
        output.Write(data.AsSpan(0, reader.HeadersOffset));
        if (initialInvite)
        {
            Write(output, $"Record-Route: <sip:{HostPort};lr>\r\n");
        }

        Write(output, $"Via: SIP/2.0/UDP {HostPort};branch={branch}\r\n");
        foreach (SipHeaderField field in reader.Headers)
        {
            if (field.KnownHeader == KnownSipHeader.Route)
            {
                routes.AddRange(Encoding.ASCII.GetString(field.Value).Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
                continue;
            }

            if (field.KnownHeader == KnownSipHeader.MaxForwards)
            {
                int hops = int.Parse(Encoding.ASCII.GetString(field.Value), NumberStyles.None, CultureInfo.InvariantCulture);
                if (hops <= 0)
                {
                    Errors.Add($"{Role}: {method} with Max-Forwards 0");
                    return null;
                }

                Write(output, $"Max-Forwards: {hops - 1}\r\n");
                continue;
            }

            output.Write(data.AsSpan(field.Offset, field.Length));
        }

        if (routes.Count > 0 && SipText.UriEndPoint(routes[0]).Equals(EndPoint))
        {
            routes.RemoveAt(0); // our own entry (loose routing): pop it
        }

        if (routes.Count > 0)
        {
            Write(output, "Route: " + string.Join(", ", routes) + "\r\n");
        }

        output.Write(data.AsSpan(reader.HeadersEnd, reader.MessageLength - reader.HeadersEnd));

        // Record first: the context returned is the span this request belongs to; inject it.
        ActivityContext context = _tracer.Record(data, SipDirection.In);
        if (context == default)
        {
            _propagator.TryExtract(data, out context); // outside a tracked call: pass the caller's on
        }

        byte[] routed = output.WrittenSpan.ToArray();
        byte[] buffer = new byte[routed.Length + _propagator.MaxAddedBytes];
        if (!_propagator.TryInject(routed, context, buffer, out int written))
        {
            Errors.Add($"{Role}: TryInject failed on {method}");
            return null;
        }

        byte[] message = buffer[..written];
        _tracer.Record(message, SipDirection.Out);
        IPEndPoint to = SipText.UriEndPoint(routes.Count > 0 ? routes[0] : Encoding.ASCII.GetString(reader.RequestUri));
        return (message, to);
    }

    private (byte[], IPEndPoint)? ForwardResponse(byte[] data)
    {
        var reader = new SipMessageReader(data);
        var output = new ArrayBufferWriter<byte>(data.Length);
        output.Write(data.AsSpan(0, reader.HeadersOffset));
        bool popped = false;
        string? next = null;
        foreach (SipHeaderField field in reader.Headers)
        {
            if (field.KnownHeader == KnownSipHeader.Via)
            {
                // The demo's elements write one Via value per field.
                string via = Encoding.ASCII.GetString(field.Value);
                if (!popped)
                {
                    popped = true;
                    if (!via.Contains(" " + HostPort + ";", StringComparison.Ordinal))
                    {
                        Errors.Add($"{Role}: response whose top Via is not ours: {via}");
                        return null;
                    }

                    continue;
                }

                next ??= via;
            }

            output.Write(data.AsSpan(field.Offset, field.Length));
        }

        if (next is null)
        {
            Errors.Add($"{Role}: response with no Via after ours");
            return null;
        }

        output.Write(data.AsSpan(reader.HeadersEnd, reader.MessageLength - reader.HeadersEnd));
        _tracer.Record(data, SipDirection.In);
        byte[] message = output.WrittenSpan.ToArray();
        _tracer.Record(message, SipDirection.Out);
        return (message, SipText.ViaEndPoint(next));
    }

    private string DeriveBranch(string incoming)
    {
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(Role + "|" + incoming));
        return "z9hG4bK-" + Convert.ToHexStringLower(hash, 0, 8);
    }

    private static void Write(ArrayBufferWriter<byte> output, string text) => output.Write(Encoding.ASCII.GetBytes(text));
}
