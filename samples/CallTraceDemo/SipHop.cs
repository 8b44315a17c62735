using System.Buffers;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using SipTraceContext.Sip;

namespace CallTraceDemo;

/// <summary>
/// Relaying one SIP message through a proxy on raw bytes (RFC 3261 §16.6 and §16.7), for the IMS nodes: a
/// request gets its own Route entry popped, the node's routes pushed in front of the rest, Max-Forwards
/// decremented, a Via pushed and optionally a Record-Route; a response gets its top Via popped.
/// Trace headers are left as they are: each node decides what to inject or strip before calling this.
/// </summary>
public static class SipHop
{
    /// <summary>A request ready to send: its bytes, where to, and the branch of the Via this hop pushed.</summary>
    public readonly record struct ForwardedRequest(byte[] Message, IPEndPoint Next, string Branch);

    /// <summary>A response ready to send: its bytes, where to, and the branch of the Via this hop popped.</summary>
    public readonly record struct ForwardedResponse(byte[] Message, IPEndPoint Next, string Branch);

    /// <summary>What a hop does to a request besides the mandatory Via and Max-Forwards edits.</summary>
    public sealed record RequestEdits
    {
        /// <summary>Route entries to put in front of the remaining ones (where the node sends the request next).</summary>
        public IReadOnlyList<string> PushRoutes { get; init; } = [];

        /// <summary>Whether to stay in the dialog's path (Record-Route, for an initial INVITE).</summary>
        public bool RecordRoute { get; init; }

        /// <summary>A new Request-URI (the callee's registered contact), or null to keep it.</summary>
        public string? RequestUri { get; init; }

        /// <summary>Whole header lines (without CRLF) to add.</summary>
        public IReadOnlyList<string> AddHeaders { get; init; } = [];
    }

    /// <summary>The branch a hop uses for a request: derived from the incoming one, so a retransmission maps to the same downstream transaction.</summary>
    public static string DeriveBranch(string node, byte[] request)
    {
        string incoming = SipText.Param(SipText.Header(request, "Via") ?? string.Empty, "branch") ?? string.Empty;
        byte[] hash = SHA256.HashData(Encoding.UTF8.GetBytes(node + "|" + incoming));
        return "z9hG4bK-" + Convert.ToHexStringLower(hash, 0, 8);
    }

    /// <summary>The Route entries of a request, in order, one per element.</summary>
    public static List<string> Routes(byte[] request) =>
        [.. SipText.Headers(request, "Route").SelectMany(v => v.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))];

    /// <summary>Relays a request from <paramref name="self"/>; null (and an error) when it must not be forwarded.</summary>
    public static ForwardedRequest? Request(byte[] data, UdpNode self, RequestEdits edits, ConcurrentErrors errors)
    {
        var reader = new SipMessageReader(data);
        if (!reader.IsComplete || !reader.IsRequest)
        {
            errors.Add($"{self.Name}: unreadable request ({reader.Status})");
            return null;
        }

        string method = Encoding.ASCII.GetString(reader.Method);
        string branch = DeriveBranch(self.Name, data);
        List<string> routes = Routes(data);
        if (routes.Count > 0 && SipText.UriEndPoint(routes[0]).Equals(self.EndPoint))
        {
            routes.RemoveAt(0); // our own entry (loose routing): pop it
        }

        routes.InsertRange(0, edits.PushRoutes);
        string requestUri = edits.RequestUri ?? Encoding.ASCII.GetString(reader.RequestUri);

        var output = new ArrayBufferWriter<byte>(data.Length + 512);
        Write(output, $"{method} {requestUri} SIP/2.0\r\n");
        if (edits.RecordRoute)
        {
            Write(output, $"Record-Route: <sip:{self.HostPort};lr>\r\n");
        }

        Write(output, $"Via: SIP/2.0/UDP {self.HostPort};branch={branch}\r\n");
        foreach (SipHeaderField field in reader.Headers)
        {
            if (field.KnownHeader == KnownSipHeader.Route)
            {
                continue;
            }

            if (field.KnownHeader == KnownSipHeader.MaxForwards)
            {
                int hops = int.Parse(Encoding.ASCII.GetString(field.Value), NumberStyles.None, CultureInfo.InvariantCulture);
                if (hops <= 0)
                {
                    errors.Add($"{self.Name}: {method} with Max-Forwards 0");
                    return null;
                }

                Write(output, $"Max-Forwards: {hops - 1}\r\n");
                continue;
            }

            output.Write(data.AsSpan(field.Offset, field.Length));
        }

        if (routes.Count > 0)
        {
            Write(output, "Route: " + string.Join(", ", routes) + "\r\n");
        }

        foreach (string header in edits.AddHeaders)
        {
            Write(output, header + "\r\n");
        }

        output.Write(data.AsSpan(reader.HeadersEnd, reader.MessageLength - reader.HeadersEnd));
        IPEndPoint next = SipText.UriEndPoint(routes.Count > 0 ? routes[0] : requestUri);
        return new ForwardedRequest(output.WrittenSpan.ToArray(), next, branch);
    }

    /// <summary>Relays a response towards the next Via; null (and an error) when the top Via is not <paramref name="self"/>'s.</summary>
    public static ForwardedResponse? Response(byte[] data, UdpNode self, ConcurrentErrors errors)
    {
        var reader = new SipMessageReader(data);
        if (!reader.IsComplete || !reader.IsResponse)
        {
            errors.Add($"{self.Name}: unreadable response ({reader.Status})");
            return null;
        }

        var output = new ArrayBufferWriter<byte>(data.Length);
        output.Write(data.AsSpan(0, reader.HeadersOffset));
        string? ours = null;
        string? next = null;
        foreach (SipHeaderField field in reader.Headers)
        {
            if (field.KnownHeader == KnownSipHeader.Via)
            {
                // The demo's elements write one Via value per field.
                string via = Encoding.ASCII.GetString(field.Value);
                if (ours is null)
                {
                    ours = via;
                    continue;
                }

                next ??= via;
            }

            output.Write(data.AsSpan(field.Offset, field.Length));
        }

        if (ours is null || !ours.Contains(" " + self.HostPort + ";", StringComparison.Ordinal) || next is null)
        {
            errors.Add($"{self.Name}: response not routable through us (top Via {ours ?? "none"})");
            return null;
        }

        output.Write(data.AsSpan(reader.HeadersEnd, reader.MessageLength - reader.HeadersEnd));
        return new ForwardedResponse(output.WrittenSpan.ToArray(), SipText.ViaEndPoint(next), SipText.Param(ours, "branch") ?? string.Empty);
    }

    /// <summary>Returns <paramref name="message"/> with header lines (without CRLF) added at the end of its header section.</summary>
    public static byte[] AddHeaders(byte[] message, params string[] headers)
    {
        var reader = new SipMessageReader(message);
        if (!reader.HeadersComplete)
        {
            return message;
        }

        int blankLine = reader.HeadersEnd;
        var output = new ArrayBufferWriter<byte>(message.Length + 256);
        output.Write(message.AsSpan(0, blankLine));
        foreach (string header in headers)
        {
            Write(output, header + "\r\n");
        }

        output.Write(message.AsSpan(blankLine));
        return output.WrittenSpan.ToArray();
    }

    private static void Write(ArrayBufferWriter<byte> output, string text) => output.Write(Encoding.ASCII.GetBytes(text));
}
