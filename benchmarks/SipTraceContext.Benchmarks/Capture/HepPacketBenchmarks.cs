using System.Net;
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
        _packet = HepSamples.Encode(_sip, new IPEndPoint(IPAddress.Parse("192.0.2.10"), 5060), new IPEndPoint(IPAddress.Parse("192.0.2.5"), 5060));
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
}
