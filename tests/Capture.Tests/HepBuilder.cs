using System.Buffers.Binary;
using System.Net;

namespace SipTraceContext.Capture.Tests;

/// <summary>Builds HEPv3 packets chunk by chunk, and HEPv1/v2 packets whole, for the decoder and listener tests.</summary>
internal sealed class HepBuilder
{
    private readonly List<byte[]> _chunks = [];

    public IReadOnlyList<byte[]> Chunks => _chunks;

    public static byte[] Chunk(ushort vendor, ushort type, ReadOnlySpan<byte> value)
    {
        var chunk = new byte[6 + value.Length];
        BinaryPrimitives.WriteUInt16BigEndian(chunk, vendor);
        BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(2), type);
        BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(4), (ushort)chunk.Length);
        value.CopyTo(chunk.AsSpan(6));
        return chunk;
    }

    public HepBuilder Raw(byte[] chunk)
    {
        _chunks.Add(chunk);
        return this;
    }

    public HepBuilder Add(ushort type, ReadOnlySpan<byte> value, ushort vendor = 0) => Raw(Chunk(vendor, type, value));

    public HepBuilder U8(ushort type, byte value) => Add(type, [value]);

    public HepBuilder U16(ushort type, ushort value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(b, value);
        return Add(type, b);
    }

    public HepBuilder U32(ushort type, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(b, value);
        return Add(type, b);
    }

    public byte[] Build() => Build(_chunks);

    public static byte[] Build(IEnumerable<byte[]> chunks)
    {
        byte[] body = chunks.SelectMany(c => c).ToArray();
        var packet = new byte[6 + body.Length];
        "HEP3"u8.CopyTo(packet);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)packet.Length);
        body.CopyTo(packet.AsSpan(6));
        return packet;
    }

    public static readonly byte[] Sip = "INVITE sip:bob@example.com SIP/2.0\r\nCall-ID: abc@host\r\n\r\n"u8.ToArray();

    public static HepBuilder IPv4() => new HepBuilder()
        .U8(1, 2).U8(2, 17)
        .Add(3, [10, 0, 0, 1]).Add(4, [192, 168, 1, 2])
        .U16(7, 5060).U16(8, 5080)
        .U32(9, 1_700_000_000).U32(10, 123_456)
        .U8(11, 1).U32(12, 2001)
        .Add(14, "secret"u8).Add(15, Sip).Add(17, "abc@host"u8);

    public static HepBuilder IPv6() => new HepBuilder()
        .U8(1, 10).U8(2, 6)
        .Add(5, Enumerable.Range(1, 16).Select(i => (byte)i).ToArray())
        .Add(6, Enumerable.Range(101, 16).Select(i => (byte)i).ToArray())
        .U16(7, 5061).U16(8, 65535)
        .U32(9, uint.MaxValue).U32(10, 999_999)
        .U8(11, 1).U32(12, uint.MaxValue)
        .Add(15, Sip).Add(17, "abc@host"u8);

    /// <summary>
    /// A HEPv3 packet as a capture agent (Kamailio's siptrace, OpenSIPS, FreeSWITCH, Asterisk) sends one:
    /// the SIP message, its addresses and ports, the capture time and the agent id.
    /// </summary>
    public static byte[] Capture(
        byte[] sip,
        IPEndPoint source,
        IPEndPoint destination,
        DateTimeOffset time,
        uint? agent = 2001,
        string? authKey = null,
        byte protocolType = 1)
    {
        bool v6 = source.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
        long micros = (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TimeSpan.TicksPerMicrosecond;
        HepBuilder builder = new HepBuilder()
            .U8(1, v6 ? (byte)10 : (byte)2).U8(2, 17)
            .Add(v6 ? (ushort)5 : (ushort)3, source.Address.GetAddressBytes())
            .Add(v6 ? (ushort)6 : (ushort)4, destination.Address.GetAddressBytes())
            .U16(7, (ushort)source.Port).U16(8, (ushort)destination.Port)
            .U32(9, (uint)(micros / 1_000_000)).U32(10, (uint)(micros % 1_000_000))
            .U8(11, protocolType);
        if (agent is { } id)
        {
            builder.U32(12, id);
        }

        if (authKey is not null)
        {
            builder.Add(14, System.Text.Encoding.UTF8.GetBytes(authKey));
        }

        return builder.Add(15, sip).Build();
    }

    /// <summary>
    /// A HEPv1 or HEPv2 packet as Kamailio's siptrace writes one (<c>hep_version</c> 1 or 2): the fixed
    /// header, both addresses, for version 2 the capture time and agent id (little-endian, padded to 12
    /// bytes), then the SIP message to the end of the datagram.
    /// </summary>
    public static byte[] Version1Or2(
        byte version,
        byte[] source,
        byte[] destination,
        ReadOnlySpan<byte> payload,
        byte family = 0,
        byte protocol = 17,
        ushort sourcePort = 5060,
        ushort destinationPort = 5080,
        uint seconds = 1_700_000_000,
        uint micros = 123_456,
        ushort agent = 2001)
    {
        int headerLength = 8 + source.Length + destination.Length;
        int timeLength = version == 2 ? 12 : 0;
        byte[] data = new byte[headerLength + timeLength + payload.Length];
        data[0] = version;
        data[1] = (byte)headerLength;
        data[2] = family != 0 ? family : source.Length == 4 ? HepPacket.FamilyIPv4 : HepPacket.FamilyIPv6;
        data[3] = protocol;
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4), sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(6), destinationPort);
        source.CopyTo(data, 8);
        destination.CopyTo(data, 8 + source.Length);
        if (version == 2)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(headerLength), seconds);
            BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(headerLength + 4), micros);
            BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(headerLength + 8), agent);
        }

        payload.CopyTo(data.AsSpan(headerLength + timeLength));
        return data;
    }
}
