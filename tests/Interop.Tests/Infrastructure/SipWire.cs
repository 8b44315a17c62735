using System.Globalization;
using System.Net;
using System.Text;
using SipTraceContext.Sip;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// What the test's SIP elements need to read from and write into messages, on top of
/// <see cref="SipMessageReader"/>: header values as strings (unfolded), responses built from requests,
/// URIs and Via sent-by turned into endpoints. Test plumbing, not a SIP stack.
/// </summary>
internal static class SipWire
{
    public static bool IsRequest(byte[] message, string method)
    {
        var reader = new SipMessageReader(message);
        return reader.IsComplete && reader.IsRequest && reader.Method.SequenceEqual(Encoding.ASCII.GetBytes(method));
    }

    public static bool IsResponse(byte[] message, out int statusCode, out string cseqMethod)
    {
        var reader = new SipMessageReader(message);
        statusCode = reader.IsComplete && reader.IsResponse ? reader.StatusCode : 0;
        cseqMethod = statusCode == 0 ? string.Empty : CSeqMethod(message);
        return statusCode != 0;
    }

    public static string Method(byte[] message)
    {
        var reader = new SipMessageReader(message);
        return reader.IsComplete && reader.IsRequest ? Encoding.ASCII.GetString(reader.Method) : string.Empty;
    }

    public static string RequestUri(byte[] message)
    {
        var reader = new SipMessageReader(message);
        return Encoding.ASCII.GetString(reader.RequestUri);
    }

    /// <summary>The method in CSeq (what a response answers).</summary>
    public static string CSeqMethod(byte[] message)
    {
        string cseq = Header(message, "CSeq") ?? string.Empty;
        int space = cseq.LastIndexOf(' ');
        return space < 0 ? string.Empty : cseq[(space + 1)..];
    }

    /// <summary>The first instance of a header (long or compact name, any case), unfolded; null when absent.</summary>
    public static string? Header(byte[] message, string name)
    {
        List<string> values = Headers(message, name);
        return values.Count == 0 ? null : values[0];
    }

    /// <summary>Every instance of a header (long or compact name, any case), unfolded, in order.</summary>
    public static List<string> Headers(byte[] message, string name)
    {
        var values = new List<string>();
        var reader = new SipMessageReader(message);
        if (!reader.HeadersComplete)
        {
            return values;
        }

        foreach (SipHeaderField field in reader.GetHeaders(Encoding.ASCII.GetBytes(name)))
        {
            values.Add(Unfolded(field));
        }

        return values;
    }

    /// <summary>Every header field as (name as sent, unfolded value), in order.</summary>
    public static List<(string Name, string Value)> AllHeaders(byte[] message)
    {
        var fields = new List<(string, string)>();
        var reader = new SipMessageReader(message);
        if (!reader.HeadersComplete)
        {
            return fields;
        }

        foreach (SipHeaderField field in reader.Headers)
        {
            fields.Add((Encoding.ASCII.GetString(field.Name), Unfolded(field)));
        }

        return fields;
    }

    /// <summary>Every header field as (name as sent, its raw line(s) with line ends and folding), in order.</summary>
    public static List<(string Name, string Raw)> RawFields(byte[] message)
    {
        var fields = new List<(string, string)>();
        var reader = new SipMessageReader(message);
        if (!reader.HeadersComplete)
        {
            return fields;
        }

        foreach (SipHeaderField field in reader.Headers)
        {
            fields.Add((Encoding.ASCII.GetString(field.Name), Encoding.Latin1.GetString(message, field.Offset, field.Length)));
        }

        return fields;
    }

    public static string Unfolded(SipHeaderField field)
    {
        if (!field.IsFolded)
        {
            return Encoding.UTF8.GetString(field.Value);
        }

        byte[] buffer = new byte[field.UnfoldedValueLength];
        return field.TryCopyUnfoldedValue(buffer, out int written)
            ? Encoding.UTF8.GetString(buffer, 0, written)
            : Encoding.UTF8.GetString(field.Value);
    }

    /// <summary>
    /// A response to <paramref name="request"/> as RFC 3261 §8.2.6 builds it: every Via, From, To (with
    /// <paramref name="toTag"/> added when To has none), Call-ID, CSeq, and for a dialog-creating
    /// INVITE response the Record-Route set and a Contact.
    /// </summary>
    public static byte[] Response(byte[] request, int statusCode, string reason, string? toTag, IPEndPoint? contact)
    {
        var text = new StringBuilder(512);
        text.Append(CultureInfo.InvariantCulture, $"SIP/2.0 {statusCode} {reason}\r\n");
        foreach (string via in Headers(request, "Via"))
        {
            text.Append("Via: ").Append(via).Append("\r\n");
        }

        bool dialog = Method(request) == "INVITE" && statusCode is > 100 and < 300;
        if (dialog)
        {
            foreach (string route in Headers(request, "Record-Route"))
            {
                text.Append("Record-Route: ").Append(route).Append("\r\n");
            }
        }

        text.Append("From: ").Append(Header(request, "From")).Append("\r\n");
        string to = Header(request, "To") ?? string.Empty;
        if (toTag is not null && statusCode > 100 && !HasParameter(to, "tag"))
        {
            to += ";tag=" + toTag;
        }

        text.Append("To: ").Append(to).Append("\r\n");
        text.Append("Call-ID: ").Append(Header(request, "Call-ID")).Append("\r\n");
        text.Append("CSeq: ").Append(Header(request, "CSeq")).Append("\r\n");
        if (dialog && contact is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"Contact: <sip:dotnet@{contact.Address}:{contact.Port}>\r\n");
        }

        text.Append("Content-Length: 0\r\n\r\n");
        return Encoding.ASCII.GetBytes(text.ToString());
    }

    /// <summary>Whether a header value (outside its URI's angle brackets) has the parameter.</summary>
    public static bool HasParameter(string value, string parameter) => GetParameter(value, parameter) is not null;

    /// <summary>A ;name=value parameter of a header value, outside angle brackets; "" for a flag.</summary>
    public static string? GetParameter(string value, string parameter)
    {
        int close = value.LastIndexOf('>');
        string parameters = close >= 0 ? value[(close + 1)..] : value[Math.Max(0, value.IndexOf(';', StringComparison.Ordinal))..];
        foreach (string part in parameters.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? part : part[..equals];
            if (name.Equals(parameter, StringComparison.OrdinalIgnoreCase))
            {
                return equals < 0 ? string.Empty : part[(equals + 1)..];
            }
        }

        return null;
    }

    /// <summary>The host:port of a SIP URI (bare or in angle brackets); numeric IPv4 hosts only.</summary>
    public static IPEndPoint UriEndPoint(string uriOrNameAddr)
    {
        string uri = uriOrNameAddr;
        int open = uri.IndexOf('<', StringComparison.Ordinal);
        if (open >= 0)
        {
            uri = uri[(open + 1)..uri.IndexOf('>', open)];
        }

        int colon = uri.IndexOf(':', StringComparison.Ordinal);
        string rest = uri[(colon + 1)..];
        int at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            rest = rest[(at + 1)..];
        }

        int end = rest.IndexOfAny([';', '?', '>']);
        string hostPort = end < 0 ? rest : rest[..end];
        return ParseHostPort(hostPort, 5060);
    }

    /// <summary>Where a response goes by this Via value (RFC 3261 §18.2.2 with RFC 3581 rport).</summary>
    public static IPEndPoint ViaEndPoint(string via)
    {
        // SIP/2.0/UDP host[:port];params
        int space = via.IndexOf(' ', StringComparison.Ordinal);
        string sentBy = via[(space + 1)..];
        int semicolon = sentBy.IndexOf(';', StringComparison.Ordinal);
        string parameters = semicolon < 0 ? string.Empty : sentBy[semicolon..];
        IPEndPoint endPoint = ParseHostPort((semicolon < 0 ? sentBy : sentBy[..semicolon]).Trim(), 5060);
        string? received = GetParameter(parameters, "received");
        string? rport = GetParameter(parameters, "rport");
        return new IPEndPoint(
            received is { Length: > 0 } ? IPAddress.Parse(received) : endPoint.Address,
            rport is { Length: > 0 } ? int.Parse(rport, CultureInfo.InvariantCulture) : endPoint.Port);
    }

    private static IPEndPoint ParseHostPort(string hostPort, int defaultPort)
    {
        int colon = hostPort.LastIndexOf(':');
        return colon < 0
            ? new IPEndPoint(IPAddress.Parse(hostPort), defaultPort)
            : new IPEndPoint(IPAddress.Parse(hostPort[..colon]), int.Parse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture));
    }
}
