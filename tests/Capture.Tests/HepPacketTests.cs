using System.Buffers.Binary;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Capture.Tests;

public sealed class HepPacketTests
{
    [Fact]
    public void Decodes_every_generic_chunk_of_an_IPv4_packet()
    {
        byte[] data = HepBuilder.IPv4().Build();
        Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(data, out HepPacket p));
        Assert.Equal(HepPacket.FamilyIPv4, p.IPFamily);
        Assert.Equal(17, p.IPProtocol);
        Assert.Equal(new byte[] { 10, 0, 0, 1 }, p.SourceAddress.ToArray());
        Assert.Equal(new byte[] { 192, 168, 1, 2 }, p.DestinationAddress.ToArray());
        Assert.Equal(5060, p.SourcePort);
        Assert.Equal(5080, p.DestinationPort);
        Assert.Equal(1_700_000_000u, p.TimestampSeconds);
        Assert.Equal(123_456u, p.TimestampMicroseconds);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000).AddTicks(1_234_560), p.Timestamp);
        Assert.Equal(TimeSpan.Zero, p.Timestamp.Offset);
        Assert.Equal(HepPacket.ProtocolTypeSip, p.ProtocolType);
        Assert.Equal(2001u, p.CaptureAgentId);
        Assert.Equal("secret"u8.ToArray(), p.AuthKey.ToArray());
        Assert.Equal(HepBuilder.Sip, p.Payload.ToArray());
        Assert.False(p.IsPayloadCompressed);
        Assert.Equal("abc@host"u8.ToArray(), p.CorrelationId.ToArray());
        Assert.Equal(13, p.ChunkCount);
        Assert.Equal(
            HepFields.IPFamily | HepFields.IPProtocol | HepFields.SourceAddress | HepFields.DestinationAddress
            | HepFields.SourcePort | HepFields.DestinationPort | HepFields.TimestampSeconds | HepFields.TimestampMicroseconds
            | HepFields.ProtocolType | HepFields.CaptureAgentId | HepFields.AuthKey | HepFields.Payload | HepFields.CorrelationId,
            p.Fields);
    }

    [Fact]
    public void Decodes_an_IPv6_packet_with_extreme_values()
    {
        byte[] data = HepBuilder.IPv6().Build();
        Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(data, out HepPacket p));
        Assert.Equal(HepPacket.FamilyIPv6, p.IPFamily);
        Assert.Equal(6, p.IPProtocol);
        Assert.Equal(16, p.SourceAddress.Length);
        Assert.Equal(1, p.SourceAddress[0]);
        Assert.Equal(116, p.DestinationAddress[15]);
        Assert.Equal(65535, p.DestinationPort);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(uint.MaxValue).AddTicks(9_999_990), p.Timestamp);
        Assert.Equal(uint.MaxValue, p.CaptureAgentId);
        Assert.True(p.AuthKey.IsEmpty);
        Assert.Equal(HepFields.None, p.Fields & HepFields.AuthKey);
    }

    [Fact]
    public void Payload_only_packet_decodes_with_defaults()
    {
        byte[] data = new HepBuilder().Add(15, HepBuilder.Sip).Build();
        Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(data, out HepPacket p));
        Assert.Equal(HepFields.Payload, p.Fields);
        Assert.True(p.SourceAddress.IsEmpty);
        Assert.Equal(0, p.SourcePort);
        Assert.Equal(DateTimeOffset.UnixEpoch, p.Timestamp);
    }

    [Fact]
    public void Compressed_payload_is_flagged()
    {
        byte[] data = new HepBuilder().Add(16, [0x1f, 0x8b, 1, 2]).Build();
        Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(data, out HepPacket p));
        Assert.True(p.IsPayloadCompressed);
        Assert.Equal(new byte[] { 0x1f, 0x8b, 1, 2 }, p.Payload.ToArray());
    }

    [Fact]
    public void Unknown_chunks_vendor_chunks_and_zero_length_chunks_are_skipped()
    {
        byte[] data = new HepBuilder()
            .Add(13, [1, 2, 3])          // keep-alive timer: not decoded
            .Add(0x20, [])               // zero-length unknown
            .Add(1, [99], vendor: 3)     // vendor chunk reusing a generic type id
            .Add(15, [], vendor: 0xffff) // vendor chunk with no value
            .Add(0xffff, new byte[300])
            .Add(15, HepBuilder.Sip)
            .Add(17, [])                 // zero-length correlation id is empty, not missing
            .U8(1, 2)
            .Build();
        Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(data, out HepPacket p));
        Assert.Equal(2, p.IPFamily);
        Assert.Equal(8, p.ChunkCount);
        Assert.Equal(HepBuilder.Sip, p.Payload.ToArray());
        Assert.True(p.CorrelationId.IsEmpty);
        Assert.Equal(HepFields.Payload | HepFields.CorrelationId | HepFields.IPFamily, p.Fields);
    }

    [Fact]
    public void Zero_length_payload_is_an_empty_payload()
    {
        Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(new HepBuilder().Add(15, []).Build(), out HepPacket p));
        Assert.True(p.Payload.IsEmpty);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(10)]
    [InlineData(11)]
    [InlineData(12)]
    public void Zero_length_fixed_size_chunk_is_a_bad_value(ushort type)
    {
        byte[] data = new HepBuilder().Add(15, HepBuilder.Sip).Add(type, []).Build();
        Assert.Equal(HepDecodeStatus.BadChunkValue, HepPacket.Decode(data, out _));
    }

    [Theory]
    [InlineData(1, 2)]
    [InlineData(3, 16)]
    [InlineData(5, 4)]
    [InlineData(7, 4)]
    [InlineData(9, 8)]
    [InlineData(12, 2)]
    public void Wrong_size_fixed_chunk_is_a_bad_value(ushort type, int size)
    {
        byte[] data = new HepBuilder().Add(15, HepBuilder.Sip).Add(type, new byte[size]).Build();
        Assert.Equal(HepDecodeStatus.BadChunkValue, HepPacket.Decode(data, out _));
    }

    [Fact]
    public void Microseconds_of_a_whole_second_are_rejected()
    {
        byte[] data = new HepBuilder().Add(15, HepBuilder.Sip).U32(10, 1_000_000).Build();
        Assert.Equal(HepDecodeStatus.BadChunkValue, HepPacket.Decode(data, out _));
    }

    [Theory]
    [InlineData(15, 15)]
    [InlineData(15, 16)]
    [InlineData(3, 5)]
    [InlineData(4, 6)]
    [InlineData(9, 9)]
    [InlineData(17, 17)]
    public void Duplicate_fields_are_rejected(ushort first, ushort second)
    {
        var builder = new HepBuilder().Add(first, ValueFor(first)).Add(second, ValueFor(second));
        if (first is not (15 or 16))
        {
            builder.Add(15, HepBuilder.Sip);
        }

        Assert.Equal(HepDecodeStatus.DuplicateChunk, HepPacket.Decode(builder.Build(), out _));

        static byte[] ValueFor(ushort type) => type switch
        {
            3 or 4 or 9 => new byte[4],
            5 or 6 => new byte[16],
            _ => HepBuilder.Sip,
        };
    }

    [Fact]
    public void Family_disagreeing_with_addresses_is_rejected()
    {
        byte[] v6FamilyV4Address = new HepBuilder().U8(1, 10).Add(3, [1, 2, 3, 4]).Add(15, HepBuilder.Sip).Build();
        byte[] mixedAddresses = new HepBuilder().Add(3, [1, 2, 3, 4]).Add(6, new byte[16]).Add(15, HepBuilder.Sip).Build();
        byte[] unknownFamily = new HepBuilder().U8(1, 7).Add(4, [1, 2, 3, 4]).Add(15, HepBuilder.Sip).Build();
        Assert.Equal(HepDecodeStatus.AddressFamilyMismatch, HepPacket.Decode(v6FamilyV4Address, out _));
        Assert.Equal(HepDecodeStatus.AddressFamilyMismatch, HepPacket.Decode(mixedAddresses, out _));
        Assert.Equal(HepDecodeStatus.AddressFamilyMismatch, HepPacket.Decode(unknownFamily, out _));
    }

    [Fact]
    public void Missing_payload_is_rejected()
    {
        Assert.Equal(HepDecodeStatus.MissingPayload, HepPacket.Decode(new HepBuilder().U8(1, 2).Build(), out _));
        Assert.Equal(HepDecodeStatus.MissingPayload, HepPacket.Decode(HepBuilder.Build([]), out _));
        Assert.Equal(HepDecodeStatus.MissingPayload, HepPacket.Decode(new HepBuilder().Add(15, HepBuilder.Sip, vendor: 1).Build(), out _));
    }

    [Fact]
    public void Every_truncation_is_rejected()
    {
        byte[] data = HepBuilder.IPv4().Build();
        for (int cut = 0; cut < data.Length; cut++)
        {
            Assert.Equal(HepDecodeStatus.Truncated, HepPacket.Decode(data.AsSpan(0, cut), out HepPacket p));
            Assert.True(p.Payload.IsEmpty);
        }
    }

    [Fact]
    public void Truncation_with_the_total_length_patched_to_fit_is_rejected_unless_it_drops_whole_chunks()
    {
        HepBuilder builder = HepBuilder.IPv6();
        byte[] data = builder.Build();
        var validCuts = new HashSet<int>();
        int offset = 6;
        bool payloadSeen = false;
        foreach (byte[] chunk in builder.Chunks)
        {
            offset += chunk.Length;
            payloadSeen |= BinaryPrimitives.ReadUInt16BigEndian(chunk.AsSpan(2)) == 15;
            if (payloadSeen)
            {
                validCuts.Add(offset);
            }
        }

        for (int cut = 6; cut < data.Length; cut++)
        {
            byte[] shorter = data[..cut];
            BinaryPrimitives.WriteUInt16BigEndian(shorter.AsSpan(4), (ushort)cut);
            HepDecodeStatus status = HepPacket.Decode(shorter, out _);
            Assert.Equal(validCuts.Contains(cut), status == HepDecodeStatus.Ok);
        }
    }

    [Theory]
    [InlineData("HEP2")]
    [InlineData("hep3")]
    [InlineData("EEP3")]
    [InlineData("X")]
    public void Bad_magic_is_rejected(string magic)
    {
        byte[] data = HepBuilder.IPv4().Build();
        System.Text.Encoding.ASCII.GetBytes(magic).CopyTo(data, 0);
        Assert.Equal(HepDecodeStatus.BadMagic, HepPacket.Decode(data, out _));
        Assert.Equal(HepDecodeStatus.BadMagic, HepPacket.Decode(data.AsSpan(0, magic.Length), out _));
    }

    [Fact]
    public void Lying_total_length_is_rejected()
    {
        byte[] data = HepBuilder.IPv4().Build();
        foreach ((ushort total, HepDecodeStatus expected) in new[]
        {
            ((ushort)0, HepDecodeStatus.LengthMismatch),
            ((ushort)5, HepDecodeStatus.LengthMismatch),
            ((ushort)(data.Length - 1), HepDecodeStatus.LengthMismatch),
            ((ushort)(data.Length + 1), HepDecodeStatus.Truncated),
            (ushort.MaxValue, HepDecodeStatus.Truncated),
        })
        {
            byte[] copy = (byte[])data.Clone();
            BinaryPrimitives.WriteUInt16BigEndian(copy.AsSpan(4), total);
            Assert.Equal(expected, HepPacket.Decode(copy, out _));
        }
    }

    [Fact]
    public void Trailing_bytes_after_the_packet_are_rejected()
    {
        byte[] data = [.. HepBuilder.IPv4().Build(), 0];
        Assert.Equal(HepDecodeStatus.LengthMismatch, HepPacket.Decode(data, out _));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    public void Chunk_length_below_the_chunk_header_is_rejected(ushort length)
    {
        byte[] chunk = HepBuilder.Chunk(0, 15, HepBuilder.Sip);
        BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(4), length);
        byte[] data = new HepBuilder().Raw(chunk).Build();
        Assert.Equal(HepDecodeStatus.BadChunkLength, HepPacket.Decode(data, out _));
    }

    [Fact]
    public void Chunk_length_past_the_end_is_rejected()
    {
        foreach (int extra in new[] { 1, 2, 1000, ushort.MaxValue - HepBuilder.Sip.Length - 6 })
        {
            byte[] chunk = HepBuilder.Chunk(0, 15, HepBuilder.Sip);
            BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(4), (ushort)(chunk.Length + extra));
            byte[] data = new HepBuilder().U8(1, 2).Raw(chunk).Build();
            Assert.Equal(HepDecodeStatus.BadChunkLength, HepPacket.Decode(data, out _));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Partial_chunk_header_at_the_end_is_rejected(int bytes)
    {
        byte[] data = new HepBuilder().Add(15, HepBuilder.Sip).Raw(new byte[bytes]).Build();
        Assert.Equal(HepDecodeStatus.BadChunkLength, HepPacket.Decode(data, out _));
    }

    [Fact]
    public void Chunk_count_is_bounded()
    {
        var atLimit = new HepBuilder().Add(15, HepBuilder.Sip);
        for (int i = 1; i < HepPacket.MaxChunks; i++)
        {
            atLimit.Add(100, []);
        }

        Assert.Equal(HepDecodeStatus.Ok, HepPacket.Decode(atLimit.Build(), out HepPacket p));
        Assert.Equal(HepPacket.MaxChunks, p.ChunkCount);
        Assert.Equal(HepDecodeStatus.TooManyChunks, HepPacket.Decode(atLimit.Add(100, []).Build(), out _));
    }

    [Fact]
    public void Decoding_allocates_nothing()
    {
        byte[] v4 = HepBuilder.IPv4().Build();
        byte[] v6 = HepBuilder.IPv6().Build();
        byte[] bad = v4[..^3];
        long sum = 0;
        for (int i = 0; i < 10; i++)
        {
            sum += Decode(v4) + Decode(v6) + Decode(bad);
        }

        Allocations.AssertNone(() =>
        {
            for (int i = 0; i < 1000; i++)
            {
                sum += Decode(v4) + Decode(v6) + Decode(bad);
            }
        });
        Assert.NotEqual(0, sum);

        static long Decode(byte[] data) =>
            HepPacket.Decode(data, out HepPacket p) == HepDecodeStatus.Ok
                ? p.Payload.Length + p.SourcePort + p.Timestamp.Ticks + p.CorrelationId.Length + p.SourceAddress.Length
                : 1;
    }
}
