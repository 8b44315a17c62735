using System.Buffers.Binary;
using System.Text;
using BenchmarkDotNet.Attributes;
using SipTraceContext.Capture;
using SipTraceContext.Sip;

namespace SipTraceContext.Benchmarks.Capture;

/// <summary>
/// Cost of decoding one HEPv3 packet as Kamailio's siptrace sends it (IPv4, ports, capture time, agent
/// id, protocol type, a 500-byte INVITE as the payload), against reading the SIP payload alone: what the
/// capture listener adds per packet before the call tracer sees the message.
/// </summary>
[MemoryDiagnoser]
public class HepPacketBenchmarks
{
    private byte[] _packet = [];
    private byte[] _sip = [];

    [GlobalSetup]
    public void Setup()
    {
        _sip = Encoding.ASCII.GetBytes(
            "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n" +
            "Via: SIP/2.0/UDP pc33.atlanta.example.com;branch=z9hG4bK776asdhds;rport\r\n" +
            "Max-Forwards: 70\r\n" +
            "To: Bob <sip:bob@biloxi.example.com>\r\n" +
            "From: Alice <sip:alice@atlanta.example.com>;tag=1928301774\r\n" +
            "Call-ID: a84b4c76e66710@pc33.atlanta.example.com\r\n" +
            "CSeq: 314159 INVITE\r\n" +
            "Contact: <sip:alice@pc33.atlanta.example.com>\r\n" +
            "X-OTel-traceparent: 00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\r\n" +
            "X-OTel-tracestate: congo=t61rcWkgMzE\r\n" +
            "Content-Type: application/sdp\r\n" +
            "Content-Length: 0\r\n\r\n");
        var chunks = new List<byte[]>
        {
            Chunk(1, [2]),
            Chunk(2, [17]),
            Chunk(3, [192, 0, 2, 10]),
            Chunk(4, [192, 0, 2, 5]),
            Chunk(7, U16(5060)),
            Chunk(8, U16(5060)),
            Chunk(9, U32(1_700_000_000)),
            Chunk(10, U32(123_456)),
            Chunk(11, [1]),
            Chunk(12, U32(2001)),
            Chunk(15, _sip),
        };
        int length = 6 + chunks.Sum(c => c.Length);
        _packet = new byte[length];
        "HEP3"u8.CopyTo(_packet);
        BinaryPrimitives.WriteUInt16BigEndian(_packet.AsSpan(4), (ushort)length);
        int offset = 6;
        foreach (byte[] chunk in chunks)
        {
            chunk.CopyTo(_packet, offset);
            offset += chunk.Length;
        }
    }

    /// <summary>Reads the SIP message alone and finds its Call-ID: what any tracer fed raw bytes pays.</summary>
    [Benchmark(Baseline = true)]
    public int ReadSipOnly()
    {
        var reader = new SipMessageReader(_sip);
        return reader.TryGetHeader(KnownSipHeader.CallId, out ReadOnlySpan<byte> callId) ? callId.Length : 0;
    }

    /// <summary>Decodes the HEP packet, then reads its payload the same way.</summary>
    [Benchmark]
    public int DecodeHepThenReadSip()
    {
        if (HepPacket.Decode(_packet, out HepPacket hep) != HepDecodeStatus.Ok)
        {
            return -1;
        }

        var reader = new SipMessageReader(hep.Payload);
        return reader.TryGetHeader(KnownSipHeader.CallId, out ReadOnlySpan<byte> callId) ? callId.Length + (int)hep.CaptureAgentId : 0;
    }

    private static byte[] Chunk(ushort type, byte[] value)
    {
        var chunk = new byte[6 + value.Length];
        BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(2), type);
        BinaryPrimitives.WriteUInt16BigEndian(chunk.AsSpan(4), (ushort)chunk.Length);
        value.CopyTo(chunk, 6);
        return chunk;
    }

    private static byte[] U16(ushort value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, value);
        return bytes;
    }

    private static byte[] U32(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return bytes;
    }
}
