using System.Buffers.Binary;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace SipTraceContext.Capture.Tests;

/// <summary>FsCheck properties of the HEPv3 decoder over generated packets and hostile input.</summary>
public sealed class HepPacketProperties
{
    /// <summary>Field values a capture agent could send.</summary>
    internal sealed record Fields(
        bool V6, byte Protocol, byte[] Source, byte[] Destination, ushort SourcePort, ushort DestinationPort,
        uint Seconds, uint Micros, byte ProtocolType, uint Agent, byte[] Auth, byte[] Payload, bool Compressed, byte[] Correlation);

    private static Gen<byte> Bytes => ArbMap.Default.GeneratorFor<byte>();

    private static Gen<byte[]> Blob(int max) => Gen.Choose(0, max).SelectMany(n => Gen.ArrayOf(Bytes, n));

    private static Gen<Fields> FieldValues =>
        from v6 in Gen.Elements(true, false)
        from protocol in Bytes
        from source in Gen.ArrayOf(Bytes, v6 ? 16 : 4)
        from destination in Gen.ArrayOf(Bytes, v6 ? 16 : 4)
        from sourcePort in ArbMap.Default.GeneratorFor<ushort>()
        from destinationPort in ArbMap.Default.GeneratorFor<ushort>()
        from seconds in ArbMap.Default.GeneratorFor<uint>()
        from micros in Gen.Choose(0, 999_999)
        from protocolType in Bytes
        from agent in ArbMap.Default.GeneratorFor<uint>()
        from auth in Blob(40)
        from payload in Blob(1500)
        from compressed in Gen.Elements(true, false)
        from correlation in Blob(80)
        select new Fields(v6, protocol, source, destination, sourcePort, destinationPort, seconds, (uint)micros,
            protocolType, agent, auth, payload, compressed, correlation);

    /// <summary>Generic chunks of the fields plus unknown and vendor chunks to skip.</summary>
    private static List<byte[]> Encode(Fields f, int extras)
    {
        var b = new HepBuilder()
            .U8(1, f.V6 ? HepPacket.FamilyIPv6 : HepPacket.FamilyIPv4).U8(2, f.Protocol)
            .Add(f.V6 ? (ushort)5 : (ushort)3, f.Source).Add(f.V6 ? (ushort)6 : (ushort)4, f.Destination)
            .U16(7, f.SourcePort).U16(8, f.DestinationPort)
            .U32(9, f.Seconds).U32(10, f.Micros)
            .U8(11, f.ProtocolType).U32(12, f.Agent)
            .Add(14, f.Auth).Add(f.Compressed ? (ushort)16 : (ushort)15, f.Payload).Add(17, f.Correlation);
        for (int i = 0; i < extras; i++)
        {
            b.Add((ushort)(100 + i), new byte[i]).Add(1, [(byte)i], vendor: (ushort)(1 + i));
        }

        return [.. b.Chunks];
    }

    private static bool Matches(byte[] data, Fields f)
    {
        if (HepPacket.Decode(data, out HepPacket p) != HepDecodeStatus.Ok)
        {
            return false;
        }

        return p.IPFamily == (f.V6 ? 10 : 2) && p.IPProtocol == f.Protocol
            && p.SourceAddress.SequenceEqual(f.Source) && p.DestinationAddress.SequenceEqual(f.Destination)
            && p.SourcePort == f.SourcePort && p.DestinationPort == f.DestinationPort
            && p.TimestampSeconds == f.Seconds && p.TimestampMicroseconds == f.Micros
            && p.Timestamp == DateTimeOffset.FromUnixTimeSeconds(f.Seconds).AddTicks(f.Micros * 10L)
            && p.ProtocolType == f.ProtocolType && p.CaptureAgentId == f.Agent
            && p.AuthKey.SequenceEqual(f.Auth) && p.Payload.SequenceEqual(f.Payload)
            && p.IsPayloadCompressed == f.Compressed && p.CorrelationId.SequenceEqual(f.Correlation);
    }

    [Property(MaxTest = 1000)]
    public Property Arbitrary_bytes_never_throw() =>
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), Gen.Elements(true, false).ToArbitrary(), (noise, withHeader) =>
        {
            byte[] data = noise;
            if (withHeader)
            {
                // Give the noise a valid header so the chunk walker sees it too.
                data = new byte[noise.Length + 6];
                "HEP3"u8.CopyTo(data);
                BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(4), (ushort)data.Length);
                noise.CopyTo(data, 6);
            }

            HepDecodeStatus status = HepPacket.Decode(data, out HepPacket p);
            bool decoded = HepPacket.TryDecode(data, out HepPacket q);
            return Enum.IsDefined(status) && (status == HepDecodeStatus.Ok || p.Payload.IsEmpty)
                && decoded == (status == HepDecodeStatus.Ok) && q.Payload.Length == p.Payload.Length && q.ChunkCount == p.ChunkCount;
        });

    [Property(MaxTest = 500)]
    public Property Corrupted_valid_packets_never_throw_or_read_outside_the_datagram() =>
        Prop.ForAll(FieldValues.ToArbitrary(), ArbMap.Default.ArbFor<(int, byte)[]>(), (fields, edits) =>
        {
            byte[] data = HepBuilder.Build(Encode(fields, 2));
            foreach ((int at, byte value) in edits)
            {
                data[(int)((uint)at % (uint)data.Length)] = value;
            }

            // Decode a slice of a larger buffer: the packet must be judged on the slice alone.
            byte[] framed = [.. data, .. Enumerable.Repeat((byte)0xEE, 64)];
            HepDecodeStatus status = HepPacket.Decode(framed.AsSpan(0, data.Length), out HepPacket p);
            return Enum.IsDefined(status)
                && (status != HepDecodeStatus.Ok || p.Payload.Length + p.CorrelationId.Length + p.AuthKey.Length <= data.Length);
        });

    [Property(MaxTest = 200)]
    public Property Every_strict_prefix_of_a_valid_packet_is_rejected() =>
        Prop.ForAll(FieldValues.ToArbitrary(), Gen.Choose(0, 3).ToArbitrary(), (fields, extras) =>
        {
            byte[] data = HepBuilder.Build(Encode(fields, extras));
            for (int cut = 0; cut < data.Length; cut++)
            {
                if (HepPacket.Decode(data.AsSpan(0, cut), out _) == HepDecodeStatus.Ok)
                {
                    return false;
                }
            }

            return true;
        });

    [Property(MaxTest = 500)]
    public Property The_listener_picks_a_consumer_by_the_agent_id_the_decoder_reads() =>
        Prop.ForAll(FieldValues.ToArbitrary(), ArbMap.Default.ArbFor<(int, byte)[]>(), Gen.Elements<byte>(2, 3).ToArbitrary(), (fields, edits, version) =>
        {
            // Corrupted packets too: whatever decodes must go to its agent's consumer, or two consumers
            // would share an agent's state.
            byte[] data = version == 3
                ? HepBuilder.Build(Encode(fields, 2))
                : HepBuilder.Version1Or2(version, fields.Source, fields.Destination, fields.Payload, agent: (ushort)fields.Agent);
            foreach ((int at, byte value) in edits)
            {
                data[(int)((uint)at % (uint)data.Length)] = value;
            }

            uint peeked = HepCaptureListener.PeekCaptureAgentId(data);
            return HepPacket.Decode(data, out HepPacket p) != HepDecodeStatus.Ok || peeked == p.CaptureAgentId;
        });

    [Property(MaxTest = 300)]
    public Property Encode_then_decode_round_trips() =>
        Prop.ForAll(FieldValues.ToArbitrary(), Gen.Choose(0, 5).ToArbitrary(), (fields, extras) =>
            Matches(HepBuilder.Build(Encode(fields, extras)), fields));

    [Property(MaxTest = 300)]
    public Property Chunk_order_does_not_change_the_decoded_fields() =>
        Prop.ForAll(FieldValues.ToArbitrary(), Gen.Choose(0, 5).ToArbitrary(), ArbMap.Default.GeneratorFor<int>().ToArbitrary(), (fields, extras, seed) =>
        {
            List<byte[]> chunks = Encode(fields, extras);
            byte[][] shuffled = [.. chunks];
            new Random(seed).Shuffle(shuffled);
            return Matches(HepBuilder.Build(chunks), fields) && Matches(HepBuilder.Build(shuffled), fields);
        });
}
