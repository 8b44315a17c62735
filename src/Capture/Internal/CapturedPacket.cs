using System.Buffers.Binary;

namespace SipTraceContext.Capture.Internal;

/// <summary>Why a captured frame carried no SIP message to replay.</summary>
internal enum FrameSkip
{
    None,

    /// <summary>A link type the decoder does not know, or a frame shorter than its link header.</summary>
    UnknownLink,

    /// <summary>Not IPv4 or IPv6 (ARP, for instance), or an IP header cut short or inconsistent.</summary>
    NotIP,

    /// <summary>An IPv4 or IPv6 fragment: not reassembled.</summary>
    Fragment,

    /// <summary>Neither UDP nor TCP, or a transport header cut short.</summary>
    NotUdpOrTcp,

    /// <summary>Neither port is one of the SIP ports named.</summary>
    OtherPort,

    /// <summary>The frame was captured shorter than the packet (snapshot length).</summary>
    CutShort,

    /// <summary>
    /// A Linux cooked capture's outgoing copy of a loopback packet: capturing on <c>any</c> sees each
    /// loopback packet twice, sent and received; the received copy is kept.
    /// </summary>
    LoopbackDuplicate,
}

/// <summary>The IP and transport layers of one captured frame, decoded in place: addresses, ports, payload.</summary>
internal ref struct CapturedPacket
{
    public const int LinkNull = 0;
    public const int LinkEthernet = 1;
    public const int LinkRaw = 101;
    public const int LinkLoop = 108;
    public const int LinkLinuxSll = 113;
    public const int LinkIPv4 = 228;
    public const int LinkIPv6 = 229;
    public const int LinkLinuxSll2 = 276;

    public const byte ProtocolTcp = 6;
    public const byte ProtocolUdp = 17;

    public ReadOnlySpan<byte> SourceAddress;
    public ReadOnlySpan<byte> DestinationAddress;
    public ushort SourcePort;
    public ushort DestinationPort;
    public byte Protocol;
    public ReadOnlySpan<byte> Payload;

    // TCP only.
    public uint Sequence;
    public bool Syn;
    public bool Fin;
    public bool Rst;

    /// <summary>Decodes a frame of a link type down to its UDP or TCP payload.</summary>
    public static FrameSkip Decode(int linkType, ReadOnlySpan<byte> frame, out CapturedPacket packet)
    {
        packet = default;
        ReadOnlySpan<byte> ip;
        switch (linkType)
        {
            case LinkEthernet:
            {
                if (frame.Length < 14)
                {
                    return FrameSkip.UnknownLink;
                }

                int at = 12;
                int etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(at));

                // 802.1Q and 802.1ad tags, stacked (QinQ) up to four deep.
                for (int tags = 0; tags < 4 && etherType is 0x8100 or 0x88A8 or 0x9100; tags++)
                {
                    at += 4;
                    if (frame.Length < at + 2)
                    {
                        return FrameSkip.UnknownLink;
                    }

                    etherType = BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(at));
                }

                if (etherType is not (0x0800 or 0x86DD))
                {
                    return FrameSkip.NotIP;
                }

                ip = frame.Slice(at + 2);
                break;
            }

            case LinkLinuxSll:
                if (frame.Length < 16)
                {
                    return FrameSkip.UnknownLink;
                }

                if (BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(14)) is not (0x0800 or 0x86DD))
                {
                    return FrameSkip.NotIP;
                }

                if (IsLoopbackOutgoing(BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(2)), BinaryPrimitives.ReadUInt16BigEndian(frame)))
                {
                    return FrameSkip.LoopbackDuplicate;
                }

                ip = frame.Slice(16);
                break;
            case LinkLinuxSll2:
                if (frame.Length < 20)
                {
                    return FrameSkip.UnknownLink;
                }

                if (BinaryPrimitives.ReadUInt16BigEndian(frame) is not (0x0800 or 0x86DD))
                {
                    return FrameSkip.NotIP;
                }

                if (IsLoopbackOutgoing(BinaryPrimitives.ReadUInt16BigEndian(frame.Slice(8)), frame[10]))
                {
                    return FrameSkip.LoopbackDuplicate;
                }

                ip = frame.Slice(20);
                break;
            case LinkNull:
            case LinkLoop:
                // A 4-byte address family (host byte order for NULL, network order for LOOP): the IP
                // version nibble that follows says the same, whatever the capturing host's order.
                if (frame.Length < 4)
                {
                    return FrameSkip.UnknownLink;
                }

                ip = frame.Slice(4);
                break;
            case LinkRaw:
            case LinkIPv4:
            case LinkIPv6:
                ip = frame;
                break;
            default:
                return FrameSkip.UnknownLink;
        }

        return DecodeIP(ip, ref packet);
    }

    // ARPHRD_LOOPBACK (772) and PACKET_OUTGOING (4).
    private static bool IsLoopbackOutgoing(int hardwareType, int packetType) => hardwareType == 772 && packetType == 4;

    private static FrameSkip DecodeIP(ReadOnlySpan<byte> ip, ref CapturedPacket packet)
    {
        if (ip.IsEmpty)
        {
            return FrameSkip.NotIP;
        }

        ReadOnlySpan<byte> transport;
        byte protocol;
        int version = ip[0] >> 4;
        if (version == 4)
        {
            int headerLength = (ip[0] & 0x0F) * 4;
            if (headerLength < 20 || ip.Length < headerLength)
            {
                return FrameSkip.NotIP;
            }

            int totalLength = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(2));
            if (totalLength < headerLength)
            {
                return FrameSkip.NotIP;
            }

            // More fragments, or an offset: part of a datagram, not reassembled.
            int fragment = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(6));
            if ((fragment & 0x3FFF) != 0)
            {
                return FrameSkip.Fragment;
            }

            if (ip.Length < totalLength)
            {
                return FrameSkip.CutShort;
            }

            protocol = ip[9];
            packet.SourceAddress = ip.Slice(12, 4);
            packet.DestinationAddress = ip.Slice(16, 4);

            // An Ethernet frame pads a short packet: the IP length says where it ends.
            transport = ip.Slice(headerLength, totalLength - headerLength);
        }
        else if (version == 6)
        {
            if (ip.Length < 40)
            {
                return FrameSkip.NotIP;
            }

            int payloadLength = BinaryPrimitives.ReadUInt16BigEndian(ip.Slice(4));
            if (payloadLength == 0)
            {
                // A jumbogram (hop-by-hop option): not SIP.
                return FrameSkip.NotIP;
            }

            if (ip.Length < 40 + payloadLength)
            {
                return FrameSkip.CutShort;
            }

            packet.SourceAddress = ip.Slice(8, 16);
            packet.DestinationAddress = ip.Slice(24, 16);
            protocol = ip[6];
            transport = ip.Slice(40, payloadLength);

            // Extension headers: hop-by-hop, routing, destination options are skipped; a fragment header
            // means a fragment. At most eight, so that a crafted chain ends.
            for (int i = 0; i < 8 && protocol is 0 or 43 or 60 or 44; i++)
            {
                if (protocol == 44)
                {
                    return FrameSkip.Fragment;
                }

                if (transport.Length < 8)
                {
                    return FrameSkip.NotIP;
                }

                int length = (transport[1] + 1) * 8;
                if (transport.Length < length)
                {
                    return FrameSkip.NotIP;
                }

                protocol = transport[0];
                transport = transport.Slice(length);
            }
        }
        else
        {
            return FrameSkip.NotIP;
        }

        packet.Protocol = protocol;
        if (protocol == ProtocolUdp)
        {
            if (transport.Length < 8)
            {
                return FrameSkip.NotUdpOrTcp;
            }

            int length = BinaryPrimitives.ReadUInt16BigEndian(transport.Slice(4));
            if (length < 8 || length > transport.Length)
            {
                return FrameSkip.NotUdpOrTcp;
            }

            packet.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(transport);
            packet.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(transport.Slice(2));
            packet.Payload = transport.Slice(8, length - 8);
            return FrameSkip.None;
        }

        if (protocol == ProtocolTcp)
        {
            if (transport.Length < 20)
            {
                return FrameSkip.NotUdpOrTcp;
            }

            int offset = (transport[12] >> 4) * 4;
            if (offset < 20 || offset > transport.Length)
            {
                return FrameSkip.NotUdpOrTcp;
            }

            packet.SourcePort = BinaryPrimitives.ReadUInt16BigEndian(transport);
            packet.DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(transport.Slice(2));
            packet.Sequence = BinaryPrimitives.ReadUInt32BigEndian(transport.Slice(4));
            byte flags = transport[13];
            packet.Fin = (flags & 0x01) != 0;
            packet.Syn = (flags & 0x02) != 0;
            packet.Rst = (flags & 0x04) != 0;
            packet.Payload = transport.Slice(offset);
            return FrameSkip.None;
        }

        return FrameSkip.NotUdpOrTcp;
    }
}
