using System.Buffers.Binary;

namespace SipTraceContext.Capture;

/// <summary>
/// One HEP (Homer capture protocol) packet, version 3 or the older 1 and 2, decoded in place: every
/// span points into the datagram passed to <see cref="Decode"/>, so decoding allocates nothing and
/// the packet is only valid while that buffer is.
/// </summary>
/// <remarks>
/// <para>
/// HEPv3: <c>HEP3</c>, a big-endian uint16 total length (header included), then chunks of vendor id,
/// type id and length (uint16 each, length including the 6-byte chunk header) followed by the chunk
/// payload. Generic (vendor 0) chunks 1-12, 14-17 are decoded; unknown types and other vendors are
/// skipped. Decoding never throws, never reads past the datagram and stops after <see cref="MaxChunks"/>.
/// </para>
/// <para>
/// HEPv1 and HEPv2 (what Kamailio's <c>siptrace</c> sends unless <c>hep_version</c> is 3, and older
/// OpenSIPS and FreeSWITCH setups): a fixed header of version (1 or 2), header length, IP family, IP
/// protocol and the two ports (big-endian), then both addresses (4 or 16 bytes each, as the header
/// length says: 16 or 40); version 2 follows with the capture time (seconds, microseconds) and a 16-bit
/// capture agent id, 12 bytes with the padding of the C struct that senders copy out whole, written in
/// their own byte order and read here as little-endian (the x86 and ARM machines they run on). The rest
/// of the datagram is the SIP message: these versions have no length field and carry only SIP, so their
/// packets report <see cref="ProtocolTypeSip"/>.
/// </para>
/// </remarks>
public readonly ref struct HepPacket
{
    /// <summary>The most chunks a packet may have; more is <see cref="HepDecodeStatus.TooManyChunks"/>.</summary>
    public const int MaxChunks = 128;

    /// <summary>Size of the packet header: <c>HEP3</c> and the total length.</summary>
    public const int HeaderLength = 6;

    /// <summary>Size of a chunk header: vendor id, type id and chunk length.</summary>
    public const int ChunkHeaderLength = 6;

    /// <summary>The IP family value for IPv4.</summary>
    public const byte FamilyIPv4 = 2;

    /// <summary>The IP family value for IPv6.</summary>
    public const byte FamilyIPv6 = 10;

    /// <summary>The protocol type value for SIP.</summary>
    public const byte ProtocolTypeSip = 1;

    private const int MicrosPerSecond = 1_000_000;

    // HEPv1/v2: version, header length, family, protocol, source and destination port.
    private const int FixedHeaderLength = 8;

    // HEPv2's capture time and agent id: seconds, microseconds (uint32 each) and the id (uint16), as
    // the C struct every sender copies out whole, padded to a multiple of 4 bytes.
    private const int TimeHeaderLength = 12;

    /// <summary>The HEP version of the packet: 1, 2 or 3.</summary>
    public byte Version { get; private init; }

    /// <summary>Which generic fields the packet carried.</summary>
    public HepFields Fields { get; private init; }

    /// <summary>IP family (2 = IPv4, 10 = IPv6); 0 when absent.</summary>
    public byte IPFamily { get; private init; }

    /// <summary>IP protocol id (17 = UDP, 6 = TCP); 0 when absent.</summary>
    public byte IPProtocol { get; private init; }

    /// <summary>Source address: 4 bytes (IPv4) or 16 bytes (IPv6), network order; empty when absent.</summary>
    public ReadOnlySpan<byte> SourceAddress { get; private init; }

    /// <summary>Destination address: 4 bytes (IPv4) or 16 bytes (IPv6), network order; empty when absent.</summary>
    public ReadOnlySpan<byte> DestinationAddress { get; private init; }

    /// <summary>Source port; 0 when absent.</summary>
    public ushort SourcePort { get; private init; }

    /// <summary>Destination port; 0 when absent.</summary>
    public ushort DestinationPort { get; private init; }

    /// <summary>Capture time, seconds since the Unix epoch; 0 when absent.</summary>
    public uint TimestampSeconds { get; private init; }

    /// <summary>Capture time, microseconds within the second (below 1,000,000); 0 when absent.</summary>
    public uint TimestampMicroseconds { get; private init; }

    /// <summary>
    /// Capture time from <see cref="TimestampSeconds"/> and <see cref="TimestampMicroseconds"/> (UTC);
    /// the Unix epoch when the seconds chunk is absent (see <see cref="Fields"/>).
    /// </summary>
    public DateTimeOffset Timestamp =>
        DateTimeOffset.UnixEpoch.AddTicks((TimestampSeconds * TimeSpan.TicksPerSecond) + (TimestampMicroseconds * TimeSpan.TicksPerMicrosecond));

    /// <summary>Protocol type of the payload (1 = SIP; always for HEPv1/v2, which carry only SIP); 0 when absent.</summary>
    public byte ProtocolType { get; private init; }

    /// <summary>Capture agent (node) id; 0 when absent.</summary>
    public uint CaptureAgentId { get; private init; }

    /// <summary>Authentication key bytes; empty when absent.</summary>
    public ReadOnlySpan<byte> AuthKey { get; private init; }

    /// <summary>The captured message (chunk 15), or compressed bytes when <see cref="IsPayloadCompressed"/> (chunk 16).</summary>
    public ReadOnlySpan<byte> Payload { get; private init; }

    /// <summary>Whether <see cref="Payload"/> came from the compressed payload chunk (16).</summary>
    public bool IsPayloadCompressed { get; private init; }

    /// <summary>Correlation id bytes (often the SIP Call-ID); empty when absent.</summary>
    public ReadOnlySpan<byte> CorrelationId { get; private init; }

    /// <summary>Number of chunks in the packet, skipped ones included; 0 for HEPv1 and HEPv2, which have none.</summary>
    public int ChunkCount { get; private init; }

    /// <summary>
    /// Decodes one HEP datagram, as <see cref="Decode"/> does, when only whether it succeeded matters.
    /// </summary>
    /// <param name="datagram">The received bytes.</param>
    /// <param name="packet">The decoded packet, or default when the datagram was rejected.</param>
    /// <returns>Whether the datagram is one well-formed HEP packet.</returns>
    public static bool TryDecode(ReadOnlySpan<byte> datagram, out HepPacket packet) =>
        Decode(datagram, out packet) == HepDecodeStatus.Ok;

    /// <summary>
    /// Decodes one HEP datagram. A HEPv3 datagram must be exactly one packet: its length must equal the
    /// total length field. A datagram whose first byte is 1 or 2 is read as HEPv1 or HEPv2, whose
    /// message runs to the end of the datagram.
    /// </summary>
    /// <param name="datagram">The received bytes.</param>
    /// <param name="packet">The decoded packet when the result is <see cref="HepDecodeStatus.Ok"/>; otherwise default.</param>
    /// <returns><see cref="HepDecodeStatus.Ok"/> or the reason the datagram was rejected; never throws.</returns>
    public static HepDecodeStatus Decode(ReadOnlySpan<byte> datagram, out HepPacket packet)
    {
        packet = default;
        if (!datagram.IsEmpty && datagram[0] is 1 or 2)
        {
            return DecodeVersion1Or2(datagram, out packet);
        }

        ReadOnlySpan<byte> magic = "HEP3"u8;
        int magicBytes = Math.Min(datagram.Length, magic.Length);
        if (!datagram[..magicBytes].SequenceEqual(magic[..magicBytes]))
        {
            return HepDecodeStatus.BadMagic;
        }

        if (datagram.Length < HeaderLength)
        {
            return HepDecodeStatus.Truncated;
        }

        int total = BinaryPrimitives.ReadUInt16BigEndian(datagram[4..]);
        if (total < HeaderLength)
        {
            return HepDecodeStatus.LengthMismatch;
        }

        if (total > datagram.Length)
        {
            return HepDecodeStatus.Truncated;
        }

        if (total < datagram.Length)
        {
            return HepDecodeStatus.LengthMismatch;
        }

        HepFields fields = HepFields.None;
        byte family = 0, ipProtocol = 0, protocolType = 0;
        ushort sourcePort = 0, destinationPort = 0;
        uint seconds = 0, micros = 0, agent = 0;
        bool compressed = false;
        ReadOnlySpan<byte> source = default, destination = default, auth = default, payload = default, correlation = default;

        int chunks = 0;
        ReadOnlySpan<byte> rest = datagram[HeaderLength..];
        while (!rest.IsEmpty)
        {
            if (++chunks > MaxChunks)
            {
                return HepDecodeStatus.TooManyChunks;
            }

            if (rest.Length < ChunkHeaderLength)
            {
                return HepDecodeStatus.BadChunkLength;
            }

            ushort vendor = BinaryPrimitives.ReadUInt16BigEndian(rest);
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(rest[2..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(rest[4..]);
            if (length < ChunkHeaderLength || length > rest.Length)
            {
                return HepDecodeStatus.BadChunkLength;
            }

            ReadOnlySpan<byte> value = rest[ChunkHeaderLength..length];
            rest = rest[length..];
            if (vendor != 0)
            {
                continue;
            }

            HepFields field = FieldOf(type);
            if (field == HepFields.None)
            {
                continue;
            }

            if ((fields & field) != 0)
            {
                return HepDecodeStatus.DuplicateChunk;
            }

            fields |= field;
            switch (type)
            {
                case 1 when value.Length == 1:
                    family = value[0];
                    break;
                case 2 when value.Length == 1:
                    ipProtocol = value[0];
                    break;
                case 3 when value.Length == 4:
                case 5 when value.Length == 16:
                    source = value;
                    break;
                case 4 when value.Length == 4:
                case 6 when value.Length == 16:
                    destination = value;
                    break;
                case 7 when value.Length == 2:
                    sourcePort = BinaryPrimitives.ReadUInt16BigEndian(value);
                    break;
                case 8 when value.Length == 2:
                    destinationPort = BinaryPrimitives.ReadUInt16BigEndian(value);
                    break;
                case 9 when value.Length == 4:
                    seconds = BinaryPrimitives.ReadUInt32BigEndian(value);
                    break;
                case 10 when value.Length == 4:
                    micros = BinaryPrimitives.ReadUInt32BigEndian(value);
                    if (micros >= MicrosPerSecond)
                    {
                        return HepDecodeStatus.BadChunkValue;
                    }

                    break;
                case 11 when value.Length == 1:
                    protocolType = value[0];
                    break;
                case 12 when value.Length == 4:
                    agent = BinaryPrimitives.ReadUInt32BigEndian(value);
                    break;
                case 14:
                    auth = value;
                    break;
                case 15:
                case 16:
                    payload = value;
                    compressed = type == 16;
                    break;
                case 17:
                    correlation = value;
                    break;
                default:
                    return HepDecodeStatus.BadChunkValue;
            }
        }

        if ((fields & HepFields.Payload) == 0)
        {
            return HepDecodeStatus.MissingPayload;
        }

        if (!source.IsEmpty && !destination.IsEmpty && source.Length != destination.Length)
        {
            return HepDecodeStatus.AddressFamilyMismatch;
        }

        if ((fields & HepFields.IPFamily) != 0)
        {
            int expected = family switch { FamilyIPv4 => 4, FamilyIPv6 => 16, _ => 0 };
            if ((!source.IsEmpty && source.Length != expected) || (!destination.IsEmpty && destination.Length != expected))
            {
                return HepDecodeStatus.AddressFamilyMismatch;
            }
        }

        packet = new HepPacket
        {
            Version = 3,
            Fields = fields,
            IPFamily = family,
            IPProtocol = ipProtocol,
            SourceAddress = source,
            DestinationAddress = destination,
            SourcePort = sourcePort,
            DestinationPort = destinationPort,
            TimestampSeconds = seconds,
            TimestampMicroseconds = micros,
            ProtocolType = protocolType,
            CaptureAgentId = agent,
            AuthKey = auth,
            Payload = payload,
            IsPayloadCompressed = compressed,
            CorrelationId = correlation,
            ChunkCount = chunks,
        };
        return HepDecodeStatus.Ok;
    }

    private static HepDecodeStatus DecodeVersion1Or2(ReadOnlySpan<byte> datagram, out HepPacket packet)
    {
        packet = default;
        if (datagram.Length < FixedHeaderLength)
        {
            return HepDecodeStatus.Truncated;
        }

        byte version = datagram[0];
        int headerLength = datagram[1];
        int addressLength = headerLength switch
        {
            FixedHeaderLength + (2 * 4) => 4,
            FixedHeaderLength + (2 * 16) => 16,
            _ => 0,
        };
        if (addressLength == 0)
        {
            return HepDecodeStatus.LengthMismatch;
        }

        // IPv6's family value differs between systems (10 on Linux, 28 or 30 on the BSDs), so the
        // header length decides; only IPv4's 2 with IPv6-sized addresses, or the reverse, is wrong.
        if ((datagram[2] == FamilyIPv4) != (addressLength == 4))
        {
            return HepDecodeStatus.AddressFamilyMismatch;
        }

        int payloadStart = headerLength + (version == 2 ? TimeHeaderLength : 0);
        if (datagram.Length < payloadStart)
        {
            return HepDecodeStatus.Truncated;
        }

        if (datagram.Length == payloadStart)
        {
            return HepDecodeStatus.MissingPayload;
        }

        HepFields fields = HepFields.IPFamily | HepFields.IPProtocol | HepFields.SourceAddress | HepFields.DestinationAddress
            | HepFields.SourcePort | HepFields.DestinationPort | HepFields.ProtocolType | HepFields.Payload;
        uint seconds = 0, micros = 0, agent = 0;
        if (version == 2)
        {
            ReadOnlySpan<byte> time = datagram.Slice(headerLength, TimeHeaderLength);
            seconds = BinaryPrimitives.ReadUInt32LittleEndian(time);
            micros = BinaryPrimitives.ReadUInt32LittleEndian(time[4..]);
            agent = BinaryPrimitives.ReadUInt16LittleEndian(time[8..]);
            if (micros >= MicrosPerSecond)
            {
                return HepDecodeStatus.BadChunkValue;
            }

            fields |= HepFields.TimestampSeconds | HepFields.TimestampMicroseconds | HepFields.CaptureAgentId;
        }

        packet = new HepPacket
        {
            Version = version,
            Fields = fields,
            IPFamily = addressLength == 4 ? FamilyIPv4 : FamilyIPv6,
            IPProtocol = datagram[3],
            SourcePort = BinaryPrimitives.ReadUInt16BigEndian(datagram[4..]),
            DestinationPort = BinaryPrimitives.ReadUInt16BigEndian(datagram[6..]),
            SourceAddress = datagram.Slice(FixedHeaderLength, addressLength),
            DestinationAddress = datagram.Slice(FixedHeaderLength + addressLength, addressLength),
            TimestampSeconds = seconds,
            TimestampMicroseconds = micros,
            ProtocolType = ProtocolTypeSip,
            CaptureAgentId = agent,
            Payload = datagram[payloadStart..],
        };
        return HepDecodeStatus.Ok;
    }

    private static HepFields FieldOf(ushort type) => type switch
    {
        1 => HepFields.IPFamily,
        2 => HepFields.IPProtocol,
        3 or 5 => HepFields.SourceAddress,
        4 or 6 => HepFields.DestinationAddress,
        7 => HepFields.SourcePort,
        8 => HepFields.DestinationPort,
        9 => HepFields.TimestampSeconds,
        10 => HepFields.TimestampMicroseconds,
        11 => HepFields.ProtocolType,
        12 => HepFields.CaptureAgentId,
        14 => HepFields.AuthKey,
        15 or 16 => HepFields.Payload,
        17 => HepFields.CorrelationId,
        _ => HepFields.None,
    };
}
