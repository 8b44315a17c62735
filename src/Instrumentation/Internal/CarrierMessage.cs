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
/// <remarks>
/// Carrier values are supposed to be single, unfolded lines. One holding CR, LF or NUL would, written
/// out, become a header line of its own (an extra top Via, a second Call-ID): such a carrier is
/// refused as a whole rather than rendered.
/// </remarks>
internal static class CarrierMessage
{
    private const string Version = "SIP/2.0";

    private static readonly SearchValues<char> s_lineBreaking = SearchValues.Create("\r\n\0");

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

    /// <summary>
    /// Renders the message; returns a buffer from <see cref="ArrayPool{T}.Shared"/> to give back, or
    /// <see langword="null"/> when the carrier has no start line or a value that would break a line.
    /// </summary>
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

            if (Breaks(carrier.Method) || Breaks(carrier.RequestUri))
            {
                length = 0;
                return null;
            }

            text.Append(carrier.Method).Append(' ').Append(carrier.RequestUri).Append(' ').Append(Version).Append("\r\n");
        }
        else
        {
            if (Breaks(carrier.ReasonPhrase))
            {
                length = 0;
                return null;
            }

            text.Append(Version).Append(' ')
                .Append(carrier.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture))
                .Append(' ').Append(carrier.ReasonPhrase).Append("\r\n");
        }

        foreach (string name in s_headers)
        {
            if (carrier.TryGetValue(name, out string? value) && value is not null)
            {
                if (Breaks(value))
                {
                    length = 0;
                    return null;
                }

                text.Append(name).Append(": ").Append(value).Append("\r\n");
            }
        }

        text.Append("\r\n");
        string rendered = text.ToString();
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetMaxByteCount(rendered.Length));
        length = Encoding.UTF8.GetBytes(rendered, buffer);
        return buffer;
    }

    private static bool Breaks(string? value) => value is not null && value.AsSpan().ContainsAny(s_lineBreaking);
}
