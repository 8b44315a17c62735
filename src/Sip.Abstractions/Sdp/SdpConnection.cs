using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip.Sdp;

/// <summary>The value of a <c>c=</c> line: network type, address type and connection address.</summary>
internal readonly ref struct SdpConnection
{
    // connection-field   = %s"c" "=" nettype SP addrtype SP connection-address CRLF
    // nettype            = token            ; typically "IN"
    // addrtype           = token            ; typically "IP4" or "IP6"
    // connection-address = multicast-address / ip4-address / ip6-address / FQDN / extn-addr
    // (RFC 8866 §9; a multicast address may carry "/ttl" and "/number of addresses")

    private SdpConnection(ReadOnlySpan<byte> networkType, ReadOnlySpan<byte> addressType, ReadOnlySpan<byte> address)
    {
        NetworkType = networkType;
        AddressType = addressType;
        Address = address;
    }

    /// <summary>The network type, <c>IN</c> for the Internet.</summary>
    public ReadOnlySpan<byte> NetworkType { get; }

    /// <summary>The address type, <c>IP4</c> or <c>IP6</c>.</summary>
    public ReadOnlySpan<byte> AddressType { get; }

    /// <summary>The connection address as written, with any <c>/ttl</c> or <c>/count</c> suffix.</summary>
    public ReadOnlySpan<byte> Address { get; }

    /// <summary>The address without any <c>/ttl</c> or <c>/count</c> suffix.</summary>
    public ReadOnlySpan<byte> Host
    {
        get
        {
            int slash = Address.IndexOf((byte)'/');
            return slash < 0 ? Address : Address[..slash];
        }
    }

    /// <summary>Whether <see cref="AddressType"/> is <c>IP6</c>.</summary>
    public bool IsIPv6 => AddressType.SequenceEqual("IP6"u8);

    /// <summary>Parses the value of a <c>c=</c> line (what follows <c>c=</c>).</summary>
    /// <param name="value">The line value, for example <c>IN IP6 2001:db8::1</c>.</param>
    /// <param name="connection">The parts; spans point into <paramref name="value"/>.</param>
    /// <returns><see langword="false"/> when a part is missing or not of its grammar.</returns>
    public static bool TryParse(ReadOnlySpan<byte> value, out SdpConnection connection)
    {
        ReadOnlySpan<byte> rest = SipGrammar.TrimLinearWhitespace(value);
        ReadOnlySpan<byte> networkType = SdpNumber.NextField(ref rest);
        ReadOnlySpan<byte> addressType = SdpNumber.NextField(ref rest);
        if (!SipGrammar.IsToken(networkType) || !SipGrammar.IsToken(addressType) || rest.IsEmpty ||
            rest.ContainsAny(SipGrammar.LinearWhitespace))
        {
            connection = default;
            return false;
        }

        connection = new SdpConnection(networkType, addressType, rest);
        return true;
    }
}
