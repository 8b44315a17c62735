using System.Globalization;
using System.Net;
using System.Text;
using SipTraceContext.Sip;

namespace CallTraceDemo;

/// <summary>Small string helpers over <see cref="SipMessageReader"/> for the demo's SIP elements.</summary>
public static class SipText
{
    public static byte[] Bytes(string text) => Encoding.ASCII.GetBytes(text);

    public static string? Header(byte[] message, string name)
    {
        var reader = new SipMessageReader(message);
        if (!reader.HeadersComplete)
        {
            return null;
        }

        foreach (SipHeaderField field in reader.GetHeaders(Encoding.ASCII.GetBytes(name)))
        {
            return Encoding.ASCII.GetString(field.Value);
        }

        return null;
    }

    public static List<string> Headers(byte[] message, string name)
    {
        var values = new List<string>();
        var reader = new SipMessageReader(message);
        if (reader.HeadersComplete)
        {
            foreach (SipHeaderField field in reader.GetHeaders(Encoding.ASCII.GetBytes(name)))
            {
                values.Add(Encoding.ASCII.GetString(field.Value));
            }
        }

        return values;
    }

    public static string Method(byte[] message)
    {
        var reader = new SipMessageReader(message);
        return reader.IsComplete && reader.IsRequest ? Encoding.ASCII.GetString(reader.Method) : string.Empty;
    }

    public static int Status(byte[] message)
    {
        var reader = new SipMessageReader(message);
        return reader.IsComplete && reader.IsResponse ? reader.StatusCode : 0;
    }

    public static string CSeqMethod(byte[] message)
    {
        string cseq = Header(message, "CSeq") ?? string.Empty;
        int space = cseq.LastIndexOf(' ');
        return space < 0 ? string.Empty : cseq[(space + 1)..];
    }

    /// <summary>A ;name=value parameter after the URI (outside angle brackets); null when absent.</summary>
    public static string? Param(string value, string name)
    {
        int close = value.LastIndexOf('>');
        string tail = close >= 0 ? value[(close + 1)..] : value;
        int semi = tail.IndexOf(';', StringComparison.Ordinal);
        if (semi < 0)
        {
            return null;
        }

        foreach (string part in tail[(semi + 1)..].Split(';', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = part.IndexOf('=', StringComparison.Ordinal);
            if ((eq < 0 ? part : part[..eq]).Equals(name, StringComparison.OrdinalIgnoreCase))
            {
                return eq < 0 ? string.Empty : part[(eq + 1)..];
            }
        }

        return null;
    }

    /// <summary>host:port of a SIP URI, bare or in angle brackets (numeric IPv4 hosts).</summary>
    public static IPEndPoint UriEndPoint(string uri)
    {
        int open = uri.IndexOf('<', StringComparison.Ordinal);
        if (open >= 0)
        {
            uri = uri[(open + 1)..uri.IndexOf('>', open)];
        }

        string rest = uri[(uri.IndexOf(':', StringComparison.Ordinal) + 1)..];
        int at = rest.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            rest = rest[(at + 1)..];
        }

        int end = rest.IndexOfAny([';', '?', '>']);
        return HostPort(end < 0 ? rest : rest[..end]);
    }

    /// <summary>The sent-by of a Via value ("SIP/2.0/UDP host:port;params").</summary>
    public static IPEndPoint ViaEndPoint(string via)
    {
        string sentBy = via[(via.IndexOf(' ', StringComparison.Ordinal) + 1)..];
        int semi = sentBy.IndexOf(';', StringComparison.Ordinal);
        return HostPort((semi < 0 ? sentBy : sentBy[..semi]).Trim());
    }

    private static IPEndPoint HostPort(string hostPort)
    {
        int colon = hostPort.LastIndexOf(':');
        return colon < 0
            ? new IPEndPoint(IPAddress.Parse(hostPort), 5060)
            : new IPEndPoint(IPAddress.Parse(hostPort[..colon]), int.Parse(hostPort[(colon + 1)..], CultureInfo.InvariantCulture));
    }

    /// <summary>A response to a request (RFC 3261 §8.2.6): Vias, From, To (+tag), Call-ID, CSeq, Record-Route/Contact for a dialog.</summary>
    public static byte[] Response(byte[] request, int code, string reason, string toTag, IPEndPoint contact)
    {
        var text = new StringBuilder(512);
        text.Append(CultureInfo.InvariantCulture, $"SIP/2.0 {code} {reason}\r\n");
        foreach (string via in Headers(request, "Via"))
        {
            text.Append("Via: ").Append(via).Append("\r\n");
        }

        bool dialog = Method(request) == "INVITE" && code is > 100 and < 300;
        if (dialog)
        {
            foreach (string rr in Headers(request, "Record-Route"))
            {
                text.Append("Record-Route: ").Append(rr).Append("\r\n");
            }
        }

        text.Append("From: ").Append(Header(request, "From")).Append("\r\n");
        string to = Header(request, "To") ?? string.Empty;
        if (code > 100 && Param(to, "tag") is null)
        {
            to += ";tag=" + toTag;
        }

        text.Append("To: ").Append(to).Append("\r\n");
        text.Append("Call-ID: ").Append(Header(request, "Call-ID")).Append("\r\n");
        text.Append("CSeq: ").Append(Header(request, "CSeq")).Append("\r\n");
        if (dialog)
        {
            text.Append(CultureInfo.InvariantCulture, $"Contact: <sip:callee@{contact.Address}:{contact.Port}>\r\n");
        }

        text.Append("Content-Length: 0\r\n\r\n");
        return Bytes(text.ToString());
    }
}
