using System.Buffers;
using System.Globalization;
using System.Text;
using SipTraceContext.Sip;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// Renders what the tracer reads from an <see cref="ISipMessageCarrier"/> (start line, the headers it
/// uses and the trace headers the propagator extracts from) as a SIP message in a pooled buffer, so that
/// carriers and raw bytes go through one code path and behave the same: the message is read once, and the
/// context is extracted from what was rendered rather than from the carrier a second time. A value holding
/// CR or LF makes the rendered message malformed, which the tracer then counts as such: a carrier cannot
/// smuggle headers in.
/// </summary>
/// <remarks>
/// Carrier values are supposed to be single, unfolded lines. One holding CR, LF or NUL would, written
/// out, become a header line of its own (an extra top Via, a second Call-ID, a traceparent): such a
/// carrier is refused as a whole rather than rendered.
/// </remarks>
internal static class CarrierMessage
{
    private const string Version = "SIP/2.0";
    private const int InitialSize = 1024;

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
    /// <param name="carrier">The message.</param>
    /// <param name="traceHeaderNames">
    /// The trace headers to render with every value the carrier has for each (one line per value), so that
    /// extraction sees how many there are, as it would on the wire.
    /// </param>
    /// <param name="length">The rendered length.</param>
    public static byte[]? Render(ISipMessageCarrier carrier, IReadOnlyList<string> traceHeaderNames, out int length)
    {
        var writer = new Writer(ArrayPool<byte>.Shared.Rent(InitialSize));
        if (!TryRender(carrier, traceHeaderNames, ref writer))
        {
            ArrayPool<byte>.Shared.Return(writer.Buffer);
            length = 0;
            return null;
        }

        length = writer.Length;
        return writer.Buffer;
    }

    private static bool TryRender(ISipMessageCarrier carrier, IReadOnlyList<string> traceHeaderNames, ref Writer writer)
    {
        if (carrier.IsRequest)
        {
            if (string.IsNullOrEmpty(carrier.Method) || string.IsNullOrEmpty(carrier.RequestUri)
                || Breaks(carrier.Method) || Breaks(carrier.RequestUri))
            {
                return false;
            }

            writer.Write(carrier.Method!);
            writer.Write(" ");
            writer.Write(carrier.RequestUri!);
            writer.Write(" " + Version + "\r\n");
        }
        else
        {
            if (Breaks(carrier.ReasonPhrase))
            {
                return false;
            }

            writer.Write(Version + " ");
            writer.Write(carrier.StatusCode.ToString(CultureInfo.InvariantCulture));
            writer.Write(" ");
            writer.Write(carrier.ReasonPhrase ?? string.Empty);
            writer.Write("\r\n");
        }

        foreach (string name in s_headers)
        {
            if (carrier.TryGetValue(name, out string? value) && value is not null && !TryWriteField(ref writer, name, value))
            {
                return false;
            }
        }

        for (int i = 0; i < traceHeaderNames.Count; i++)
        {
            string name = traceHeaderNames[i];
            IReadOnlyList<string>? values = carrier.GetValues(name);
            for (int v = 0; values is not null && v < values.Count; v++)
            {
                if (values[v] is { } value && !TryWriteField(ref writer, name, value))
                {
                    return false;
                }
            }
        }

        writer.Write("\r\n");
        return true;
    }

    private static bool TryWriteField(ref Writer writer, string name, string value)
    {
        if (Breaks(value))
        {
            return false;
        }

        writer.Write(name);
        writer.Write(": ");
        writer.Write(value);
        writer.Write("\r\n");
        return true;
    }

    private static bool Breaks(string? value) => value is not null && value.AsSpan().ContainsAny(s_lineBreaking);

    /// <summary>UTF-8 into a pooled buffer that grows by renting a larger one.</summary>
    private struct Writer
    {
        public Writer(byte[] buffer)
        {
            Buffer = buffer;
            Length = 0;
        }

        public byte[] Buffer { get; private set; }

        public int Length { get; private set; }

        public void Write(string text)
        {
            int needed = Encoding.UTF8.GetByteCount(text.AsSpan());
            if (Buffer.Length - Length < needed)
            {
                byte[] larger = ArrayPool<byte>.Shared.Rent(Math.Max(Buffer.Length * 2, Length + needed));
                Buffer.AsSpan(0, Length).CopyTo(larger);
                ArrayPool<byte>.Shared.Return(Buffer);
                Buffer = larger;
            }

            Length += Encoding.UTF8.GetBytes(text.AsSpan(), Buffer.AsSpan(Length));
        }
    }
}
