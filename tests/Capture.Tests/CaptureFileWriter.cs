using System.Buffers.Binary;

namespace SipTraceContext.Capture.Tests;

/// <summary>Writes pcap and pcapng files, frame by frame, with the link, IP and transport headers a capture holds.</summary>
internal sealed class CaptureFileWriter : IDisposable
{
    private readonly MemoryStream _file = new();
    private readonly bool _pcapng;
    private readonly bool _bigEndian;
    private readonly bool _nanoseconds;

    public CaptureFileWriter(bool pcapng, int linkType, bool bigEndian = false, bool nanoseconds = false)
    {
        _pcapng = pcapng;
        _bigEndian = bigEndian;
        _nanoseconds = nanoseconds;
        LinkType = linkType;
        if (pcapng)
        {
            // Section header: type, length, byte-order magic, version 1.0, section length -1.
            var shb = new List<byte>();
            shb.AddRange(U32(0x1A2B3C4D));
            shb.AddRange(U16(1));
            shb.AddRange(U16(0));
            shb.AddRange(new byte[] { 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF });
            Block(0x0A0D0D0A, [.. shb]);

            // Interface description: link type, reserved, snaplen, if_tsresol (9 = ns, 6 = µs), end.
            var idb = new List<byte>();
            idb.AddRange(U16((ushort)linkType));
            idb.AddRange(U16(0));
            idb.AddRange(U32(262144));
            idb.AddRange(U16(9));
            idb.AddRange(U16(1));
            idb.AddRange(new byte[] { (byte)(nanoseconds ? 9 : 6), 0, 0, 0 });
            idb.AddRange(U16(0));
            idb.AddRange(U16(0));
            Block(1, [.. idb]);
        }
        else
        {
            _file.Write(U32(nanoseconds ? 0xA1B23C4D : 0xA1B2C3D4));
            _file.Write(U16(2));
            _file.Write(U16(4));
            _file.Write(U32(0));
            _file.Write(U32(0));
            _file.Write(U32(262144));
            _file.Write(U32((uint)linkType));
        }
    }

    public int LinkType { get; }

    public ushort VlanId { get; set; }

    /// <summary>Linux cooked captures: mark frames as the outgoing copy of a loopback packet.</summary>
    public bool Outgoing { get; set; }

    public byte[] ToArray() => _file.ToArray();

    public void Dispose() => _file.Dispose();

    public CaptureFileWriter Udp(DateTimeOffset time, string source, string destination, byte[] payload)
        => Frame(time, Link(Ip(source, destination, 17, UdpHeader(source, destination, payload))));

    public CaptureFileWriter Tcp(DateTimeOffset time, string source, string destination, uint sequence, byte[] payload, byte flags = 0x18)
        => Frame(time, Link(Ip(source, destination, 6, TcpHeader(source, destination, sequence, flags, payload))));

    public CaptureFileWriter Frame(DateTimeOffset time, byte[] frame)
    {
        long ticks = time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (_pcapng)
        {
            ulong units = _nanoseconds ? (ulong)ticks * 100 : (ulong)ticks / 10;
            var epb = new List<byte>();
            epb.AddRange(U32(0));
            epb.AddRange(U32((uint)(units >> 32)));
            epb.AddRange(U32((uint)units));
            epb.AddRange(U32((uint)frame.Length));
            epb.AddRange(U32((uint)frame.Length));
            epb.AddRange(frame);
            epb.AddRange(new byte[(4 - (frame.Length % 4)) % 4]);
            Block(6, [.. epb]);
        }
        else
        {
            _file.Write(U32((uint)(ticks / TimeSpan.TicksPerSecond)));
            long fraction = ticks % TimeSpan.TicksPerSecond;
            _file.Write(U32((uint)(_nanoseconds ? fraction * 100 : fraction / 10)));
            _file.Write(U32((uint)frame.Length));
            _file.Write(U32((uint)frame.Length));
            _file.Write(frame);
        }

        return this;
    }

    /// <summary>An IPv4 fragment (more fragments set) of a UDP datagram.</summary>
    public CaptureFileWriter Fragment(DateTimeOffset time, string source, string destination, byte[] payload)
    {
        byte[] ip = Ip(source, destination, 17, UdpHeader(source, destination, payload));
        ip[6] = 0x20;
        return Frame(time, Link(ip));
    }

    public byte[] Link(byte[] ip)
    {
        bool v6 = ip[0] >> 4 == 6;
        ushort etherType = v6 ? (ushort)0x86DD : (ushort)0x0800;
        var frame = new List<byte>();
        switch (LinkType)
        {
            case 1:
                frame.AddRange(new byte[12]);
                if (VlanId != 0)
                {
                    frame.AddRange(Be16(0x8100));
                    frame.AddRange(Be16(VlanId));
                }

                frame.AddRange(Be16(etherType));
                break;
            case 113:
                frame.AddRange(Be16(Outgoing ? (ushort)4 : (ushort)0));
                frame.AddRange(Be16(772));
                frame.AddRange(Be16(6));
                frame.AddRange(new byte[8]);
                frame.AddRange(Be16(etherType));
                break;
            case 276:
                frame.AddRange(Be16(etherType));
                frame.AddRange(Be16(0));
                frame.AddRange(new byte[] { 0, 0, 0, 1 });
                frame.AddRange(Be16(772));
                frame.Add(Outgoing ? (byte)4 : (byte)0);
                frame.Add(6);
                frame.AddRange(new byte[8]);
                break;
            case 0:
                frame.AddRange(BitConverter.GetBytes(v6 ? 10 : 2));
                break;
            case 101:
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(ip));
        }

        frame.AddRange(ip);
        return [.. frame];
    }

    public static byte[] Ip(string source, string destination, byte protocol, byte[] transport)
    {
        byte[] src = System.Net.IPAddress.Parse(source).GetAddressBytes();
        byte[] dst = System.Net.IPAddress.Parse(destination).GetAddressBytes();
        if (src.Length == 16)
        {
            var v6 = new byte[40 + transport.Length];
            v6[0] = 0x60;
            BinaryPrimitives.WriteUInt16BigEndian(v6.AsSpan(4), (ushort)transport.Length);
            v6[6] = protocol;
            v6[7] = 64;
            src.CopyTo(v6, 8);
            dst.CopyTo(v6, 24);
            transport.CopyTo(v6, 40);
            return v6;
        }

        var v4 = new byte[20 + transport.Length];
        v4[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(v4.AsSpan(2), (ushort)v4.Length);
        v4[6] = 0x40;
        v4[8] = 64;
        v4[9] = protocol;
        src.CopyTo(v4, 12);
        dst.CopyTo(v4, 16);
        transport.CopyTo(v4, 20);
        return v4;
    }

    private static byte[] UdpHeader(string source, string destination, byte[] payload)
    {
        var udp = new byte[8 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, Port(source));
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), Port(destination));
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        payload.CopyTo(udp, 8);
        return udp;
    }

    private static byte[] TcpHeader(string source, string destination, uint sequence, byte flags, byte[] payload)
    {
        var tcp = new byte[20 + payload.Length];
        BinaryPrimitives.WriteUInt16BigEndian(tcp, Port(source));
        BinaryPrimitives.WriteUInt16BigEndian(tcp.AsSpan(2), Port(destination));
        BinaryPrimitives.WriteUInt32BigEndian(tcp.AsSpan(4), sequence);
        tcp[12] = 5 << 4;
        tcp[13] = flags;
        payload.CopyTo(tcp, 20);
        return tcp;
    }

    // "address" alone in Ip(); "address|port" elsewhere is not needed: ports are set per writer call.
    private static ushort Port(string endPoint) => s_ports.TryGetValue(endPoint, out ushort port) ? port : (ushort)5060;

    private static readonly Dictionary<string, ushort> s_ports = new()
    {
        ["10.0.0.1"] = 5070,
        ["10.0.0.5"] = 5060,
        ["2001:db8::1"] = 5070,
        ["2001:db8::5"] = 5060,
        ["10.0.0.9"] = 5090,
    };

    private void Block(uint type, byte[] body)
    {
        uint length = (uint)(12 + body.Length);
        _file.Write(U32(type));
        _file.Write(U32(length));
        _file.Write(body);
        _file.Write(U32(length));
    }

    private byte[] U32(uint value)
    {
        var bytes = new byte[4];
        if (_bigEndian)
        {
            BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt32LittleEndian(bytes, value);
        }

        return bytes;
    }

    private byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        if (_bigEndian)
        {
            BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        }
        else
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes, value);
        }

        return bytes;
    }

    private static byte[] Be16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }
}
