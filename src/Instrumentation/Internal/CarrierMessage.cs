using System.Buffers;
using System.Text;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// Renders what the tracer reads from an <see cref="ISipMessageCarrier"/> (start line and the headers
/// it uses) as a SIP message in a pooled buffer, so that carriers and raw bytes go through one code
/// path and behave the same. A value holding CR or LF makes the rendered message malformed, which
/// the tracer then counts as such: a carrier cannot smuggle headers in.
/// </summary>
internal static class CarrierMessage
{
    private const string Version = "SIP/2.0";

    // The headers the tracer reads; the Via list's first value is enough (the top Via).
    private static readonly string[] s_headers =
    [
        SipHeaderNames.CallId,
        SipHeaderNames.CSeq,
        SipHeaderNames.Via,
        SipHeaderNames.From,
        SipHeaderNames.To,
        SipHeaderNames.SessionId,
        SipHeaderNames.XCid,
        SipHeaderNames.PChargingVector,
        SipHeaderNames.UserAgent,
    ];

    /// <summary>Renders the message; returns a buffer from <see cref="ArrayPool{T}.Shared"/> to give back, or <see langword="null"/> when the carrier has no start line.</summary>
    public static byte[]? Render(ISipMessageCarrier carrier, out int length)
    {
        var text = new StringBuilder(512);
        if (carrier.IsRequest)
        {
            if (string.IsNullOrEmpty(carrier.Method) || string.IsNullOrEmpty(carrier.RequestUri))
            {
                length = 0;
                return null;
            }

            text.Append(carrier.Method).Append(' ').Append(carrier.RequestUri).Append(' ').Append(Version).Append("\r\n");
        }
        else
        {
            text.Append(Version).Append(' ')
                .Append(carrier.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append(' ').Append(carrier.ReasonPhrase).Append("\r\n");
        }

        foreach (string name in s_headers)
        {
            if (carrier.TryGetValue(name, out string? value) && value is not null)
            {
                text.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        text.Append("\r\n");
        string rendered = text.ToString();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(rendered.Length));
        length = Encoding.UTF8.GetBytes(rendered, buffer);
        return buffer;
    }
}
