using System.Buffers;
using System.Text;
using SipTraceContext.Conventions;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>The <c>network.transport</c> attribute value a Via names.</summary>
internal static class NetworkTransport
{
    private const byte Slash = (byte)'/';

    private static readonly SearchValues<byte> s_whitespace = SearchValues.Create(" \t\r\n"u8);

    /// <summary>
    /// The transport of a via-parm (<c>SIP/2.0/UDP host</c>) as the <c>network.transport</c> value:
    /// TLS and WebSocket run over TCP; <see langword="null"/> when unknown.
    /// </summary>
    public static string? FromVia(ReadOnlySpan<byte> via)
    {
        int end = via.IndexOfAny(s_whitespace);
        ReadOnlySpan<byte> protocol = end < 0 ? via : via[..end];
        int slash = protocol.LastIndexOf(Slash);
        if (slash < 0)
        {
            return null;
        }

        ReadOnlySpan<byte> transport = protocol[(slash + 1)..];
        if (Ascii.EqualsIgnoreCase(transport, "UDP"u8))
        {
            return OtelAttributes.NetworkTransportValues.Udp;
        }

        if (Ascii.EqualsIgnoreCase(transport, "TCP"u8) || Ascii.EqualsIgnoreCase(transport, "TLS"u8)
            || Ascii.EqualsIgnoreCase(transport, "WS"u8) || Ascii.EqualsIgnoreCase(transport, "WSS"u8))
        {
            return OtelAttributes.NetworkTransportValues.Tcp;
        }

        // The conventions record SCTP (and TLS over SCTP) as 'sctp', which has no generated constant.
        return Ascii.EqualsIgnoreCase(transport, "SCTP"u8) || Ascii.EqualsIgnoreCase(transport, "TLS-SCTP"u8)
            ? "sctp"
            : null;
    }
}
