using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace SipTraceContext.Capture.Tests;

/// <summary>
/// HEPv1 and HEPv2, laid out as Kamailio's siptrace writes them (<c>hep_version</c> 1 or 2): the fixed
/// header, both addresses, for version 2 the capture time and agent id in the sender's (little-endian)
/// byte order and padded to 12 bytes (the C struct's size), then the SIP message to the end of the datagram.
/// </summary>
public sealed class HepVersion1And2Tests
{
    private static readonly byte[] V4Source = [10, 0, 0, 1];
    private static readonly byte[] V4Destination = [192, 168, 1, 2];
    private static readonly byte[] V6Source = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1];
    private static readonly byte[] V6Destination = [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2];

    [Fact]
    public void Decodes_a_HEPv2_IPv4_packet_with_its_time_and_agent_id()
    {
        byte[] data = HepBuilder.Version1Or2(2, V4Source, V4Destination, HepBuilder.Sip);
        Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(data, out HepPacket p));
        Assert.Equal(2, p.Version);
        Assert.Equal(HepPacket.FamilyIPv4, p.IPFamily);
        Assert.Equal(17, p.IPProtocol);
        Assert.Equal(V4Source, p.SourceAddress.ToArray());
        Assert.Equal(V4Destination, p.DestinationAddress.ToArray());
        Assert.Equal(5060, p.SourcePort);
        Assert.Equal(5080, p.DestinationPort);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1_234_560), p.Timestamp);
        Assert.Equal(2001u, p.CaptureAgentId);
        Assert.Equal(HepBuilder.Sip, p.Payload.ToArray());
        Assert.False(p.IsPayloadCompressed);
        Assert.Equal(0, p.ChunkCount);
        Assert.Equal(
            HepFields.IPFamily | HepFields.IPProtocol | HepFields.SourceAddress | HepFields.DestinationAddress
            | HepFields.SourcePort | HepFields.DestinationPort | HepFields.TimestampSeconds | HepFields.TimestampMicroseconds
            | HepFields.ProtocolType | HepFields.CaptureAgentId | HepFields.Payload,
            p.Fields);
        Assert.Equal(HepPacket.ProtocolTypeSip, p.ProtocolType);
    }

    [Fact]
    public void Decodes_a_HEPv1_IPv6_packet_without_time_or_agent()
    {
        byte[] data = HepBuilder.Version1Or2(1, V6Source, V6Destination, HepBuilder.Sip, protocol: 6, sourcePort: 65535);
        Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(data, out HepPacket p));
        Assert.Equal(1, p.Version);
        Assert.Equal(HepPacket.FamilyIPv6, p.IPFamily);
        Assert.Equal(6, p.IPProtocol);
        Assert.Equal(V6Source, p.SourceAddress.ToArray());
        Assert.Equal(V6Destination, p.DestinationAddress.ToArray());
        Assert.Equal(65535, p.SourcePort);
        Assert.Equal(HepBuilder.Sip, p.Payload.ToArray());
        Assert.Equal(HepFields.None, p.Fields & (HepFields.TimestampSeconds | HepFields.TimestampMicroseconds | HepFields.CaptureAgentId));
        Assert.Equal(HepPacket.ProtocolTypeSip, p.ProtocolType);
        Assert.Equal(0u, p.CaptureAgentId);
        Assert.Equal(DateTimeOffset.UnixEpoch, p.Timestamp);
    }

    [Theory]
    [InlineData(28)]
    [InlineData(30)]
    [InlineData(23)]
    public void IPv6_family_values_of_other_systems_are_read_by_the_header_length(byte family)
    {
        byte[] data = HepBuilder.Version1Or2(2, V6Source, V6Destination, HepBuilder.Sip, family: family);
        Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(data, out HepPacket p));
        Assert.Equal(HepPacket.FamilyIPv6, p.IPFamily);
        Assert.Equal(V6Destination, p.DestinationAddress.ToArray());
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void IPv4_family_with_IPv6_sized_addresses_and_the_reverse_are_rejected(byte version)
    {
        Assert.Equal(HepDecodeStatus.AddressFamilyMismatch, HepPacket.Decode(HepBuilder.Version1Or2(version, V6Source, V6Destination, HepBuilder.Sip, family: HepPacket.FamilyIPv4), out _));
        Assert.Equal(HepDecodeStatus.AddressFamilyMismatch, HepPacket.Decode(HepBuilder.Version1Or2(version, V4Source, V4Destination, HepBuilder.Sip, family: HepPacket.FamilyIPv6), out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(17)]
    [InlineData(26)]
    [InlineData(39)]
    [InlineData(41)]
    [InlineData(255)]
    public void Header_length_other_than_16_or_40_is_rejected(byte headerLength)
    {
        byte[] data = HepBuilder.Version1Or2(2, V4Source, V4Destination, HepBuilder.Sip);
        data[1] = headerLength;
        Assert.Equal(HepDecodeStatus.LengthMismatch, HepPacket.Decode(data, out HepPacket p));
        Assert.True(p.Payload.IsEmpty);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    public void Every_cut_through_the_headers_is_truncated_and_nothing_after_them_is_a_missing_payload(byte version)
    {
        foreach ((byte[] source, byte[] destination) in new[] { (V4Source, V4Destination), (V6Source, V6Destination) })
        {
            byte[] data = HepBuilder.Version1Or2(version, source, destination, HepBuilder.Sip);
            int headers = data.Length - HepBuilder.Sip.Length;
            for (int cut = 1; cut < headers; cut++)
            {
                HepDecodeStatus status = HepPacket.Decode(data.AsSpan(0, cut), out HepPacket p);
                Assert.True(status is HepDecodeStatus.Truncated or HepDecodeStatus.LengthMismatch, $"cut {cut}: {status}");
                Assert.True(p.Payload.IsEmpty);
            }

            Assert.Equal(HepDecodeStatus.MissingPayload, HepPacket.Decode(data.AsSpan(0, headers), out _));

            // No length field: one byte of message is a (short) message.
            Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(data.AsSpan(0, headers + 1), out HepPacket one));
            Assert.Equal(1, one.Payload.Length);
        }
    }

    [Fact]
    public void HEPv2_microseconds_of_a_whole_second_are_rejected()
    {
        Assert.Equal(HepDecodeStatus.BadChunkValue, HepPacket.Decode(HepBuilder.Version1Or2(2, V4Source, V4Destination, HepBuilder.Sip, micros: 1_000_000), out _));
        Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(HepBuilder.Version1Or2(2, V4Source, V4Destination, HepBuilder.Sip, micros: 999_999), out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData((byte)'h')]
    public void Other_first_bytes_are_bad_magic(byte first)
    {
        byte[] data = HepBuilder.Version1Or2(2, V4Source, V4Destination, HepBuilder.Sip);
        data[0] = first;
        Assert.Equal(HepDecodeStatus.BadMagic, HepPacket.Decode(data, out _));
    }

    [Fact]
    public void The_version_of_a_HEPv3_packet_is_3()
    {
        Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(HepBuilder.IPv4().Build(), out HepPacket p));
        Assert.Equal(3, p.Version);
    }

    /// <summary>Field values a HEPv1/v2 sender could write.</summary>
    internal sealed record Fields(byte Version, bool V6, byte Protocol, byte[] Source, byte[] Destination, ushort SourcePort, ushort DestinationPort, uint Seconds, uint Micros, ushort Agent, byte[] Payload);

    private static Gen<byte> Bytes => ArbMap.Default.GeneratorFor<byte>();

    private static Gen<Fields> FieldValues =>
        from version in Gen.Elements((byte)1, (byte)2)
        from v6 in Gen.Elements(true, false)
        from protocol in Bytes
        from source in Gen.ArrayOf(Bytes, v6 ? 16 : 4)
        from destination in Gen.ArrayOf(Bytes, v6 ? 16 : 4)
        from sourcePort in ArbMap.Default.GeneratorFor<ushort>()
        from destinationPort in ArbMap.Default.GeneratorFor<ushort>()
        from seconds in ArbMap.Default.GeneratorFor<uint>()
        from micros in Gen.Choose(0, 999_999)
        from agent in ArbMap.Default.GeneratorFor<ushort>()
        from length in Gen.Choose(1, 1500)
        from payload in Gen.ArrayOf(Bytes, length)
        select new Fields(version, v6, protocol, source, destination, sourcePort, destinationPort, seconds, (uint)micros, agent, payload);

    [Property(MaxTest = 300)]
    public Property Encode_then_decode_round_trips() =>
        Prop.ForAll(FieldValues.ToArbitrary(), f =>
        {
            byte[] data = HepBuilder.Version1Or2(f.Version, f.Source, f.Destination, f.Payload, protocol: f.Protocol, sourcePort: f.SourcePort,
                destinationPort: f.DestinationPort, seconds: f.Seconds, micros: f.Micros, agent: f.Agent);
            bool v2 = f.Version == 2;
            return HepPacket.Decode(data, out HepPacket p) == HepDecodeStatus.Ok
                && p.Version == f.Version && p.IPFamily == (f.V6 ? HepPacket.FamilyIPv6 : HepPacket.FamilyIPv4) && p.IPProtocol == f.Protocol
                && p.SourceAddress.SequenceEqual(f.Source) && p.DestinationAddress.SequenceEqual(f.Destination)
                && p.SourcePort == f.SourcePort && p.DestinationPort == f.DestinationPort
                && p.TimestampSeconds == (v2 ? f.Seconds : 0) && p.TimestampMicroseconds == (v2 ? f.Micros : 0)
                && p.CaptureAgentId == (v2 ? f.Agent : 0u) && p.Payload.SequenceEqual(f.Payload);
        });

    [Property(MaxTest = 1000)]
    public Property Arbitrary_bytes_after_a_version_byte_never_throw() =>
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), Gen.Elements((byte)1, (byte)2).ToArbitrary(), Gen.Elements<byte>(16, 40, 0).ToArbitrary(), (noise, version, headerLength) =>
        {
            // A valid version byte and, mostly, a valid header length, so that the rest of the decoder sees the noise.
            byte[] data = [version, headerLength != 0 ? headerLength : (noise.Length > 0 ? noise[0] : (byte)0), .. noise];
            byte[] framed = [.. data, .. Enumerable.Repeat((byte)0xEE, 64)];
            HepDecodeStatus status = HepPacket.Decode(framed.AsSpan(0, data.Length), out HepPacket p);
            return Enum.IsDefined(status)
                && (status == HepDecodeStatus.Ok
                    ? p.Payload.Length + p.SourceAddress.Length + p.DestinationAddress.Length < data.Length
                    : p.Payload.IsEmpty);
        });
}
