using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Text;
using BenchmarkDotNet.Attributes;
using SipTraceContext.Capture;

namespace SipTraceContext.Benchmarks.Capture;

/// <summary>
/// Per-packet cost of the capture listener behind its socket: an answered call as a proxy's agent mirrors
/// it (INVITE, 180, 200, ACK, BYE, 200, each received and relayed: 12 HEPv3 packets), checked, read, its
/// direction decided and recorded by the agent's call tracer, with no OpenTelemetry provider listening.
/// Every invocation is a new call; results are per packet (OperationsPerInvoke = 12).
/// </summary>
/// <remarks>
/// The baseline records each packet as it arrives (<c>ReorderWindow</c> zero: one HEP decode and one SIP
/// read per packet). <c>ThroughReorderWindow</c> holds the call's packets and releases them in SIP order
/// (the window's bookkeeping plus a second decode and read per packet).
/// </remarks>
[MemoryDiagnoser]
public class HepCaptureListenerBenchmarks
{
    private const int PacketsPerCall = 12;
    private const string CallIdTemplate = "0000000000-a84b4c76e66710@pc33.atlanta.example.com";

    private static readonly IPEndPoint Caller = new(IPAddress.Parse("192.0.2.10"), 5070);
    private static readonly IPEndPoint Node = new(IPAddress.Parse("192.0.2.5"), 5060);
    private static readonly IPEndPoint Callee = new(IPAddress.Parse("192.0.2.20"), 5080);

    private byte[][] _packets = [];
    private int[] _callIdOffsets = [];
    private long _call;
    private HepCaptureListener _asArrived = null!;
    private HepCaptureListener _windowed = null!;

    [GlobalSetup]
    public void Setup()
    {
        _asArrived = new HepCaptureListener(new HepCaptureOptions { Port = 0, ReorderWindow = TimeSpan.Zero });
        _windowed = new HepCaptureListener(new HepCaptureOptions { Port = 0, ReorderWindow = TimeSpan.FromMilliseconds(50) });
        string callerVia = "SIP/2.0/UDP 192.0.2.10:5070;branch=z9hG4bK";
        string nodeVia = "SIP/2.0/UDP 192.0.2.5:5060;branch=z9hG4bKn";
        var packets = new List<byte[]>();
        void Through(Func<string[], byte[]> message, bool request)
        {
            // A request gains the node's Via when relayed, a response loses it.
            string[] outer = [callerVia + "x"];
            string[] inner = [nodeVia + "x", callerVia + "x"];
            packets.Add(Hep(message(request ? outer : inner), request ? Caller : Callee, Node));
            packets.Add(Hep(message(request ? inner : outer), Node, request ? Callee : Caller));
        }

        Through(v => Request("INVITE", 1, v, toTag: null), request: true);
        Through(v => Response(180, "Ringing", 1, "INVITE", v), request: false);
        Through(v => Response(200, "OK", 1, "INVITE", v), request: false);
        Through(v => Request("ACK", 1, v, "b1"), request: true);
        Through(v => Request("BYE", 2, v, "b1"), request: true);
        Through(v => Response(200, "OK", 2, "BYE", v), request: false);
        _packets = [.. packets];
        _callIdOffsets = _packets.Select(p => p.AsSpan().IndexOf(Encoding.ASCII.GetBytes(CallIdTemplate))).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _asArrived.Dispose();
        _windowed.Dispose();
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PacketsPerCall)]
    public int RecordAsArrived()
    {
        NextCall();
        Feed(_asArrived);
        return _asArrived.PacketsHeld;
    }

    [Benchmark(OperationsPerInvoke = PacketsPerCall)]
    public int ThroughReorderWindow()
    {
        NextCall();
        Feed(_windowed);
        _windowed.ReleaseHeld(all: true);
        return _windowed.PacketsHeld;
    }

    // What the receive loop does per datagram: a pooled copy, handed to the consumer.
    private void Feed(HepCaptureListener listener)
    {
        foreach (byte[] packet in _packets)
        {
            byte[] buffer = ArrayPool<byte>.Shared.Rent(packet.Length);
            packet.CopyTo(buffer, 0);
            listener.Ingest(new HepCaptureListener.QueuedPacket(buffer, packet.Length, Node.Address));
        }
    }

    // A fresh Call-ID per call: ten decimal digits of a counter written into every packet.
    private void NextCall()
    {
        long n = ++_call;
        for (int i = 9; i >= 0; i--)
        {
            byte digit = (byte)('0' + (n % 10));
            n /= 10;
            for (int p = 0; p < _packets.Length; p++)
            {
                _packets[p][_callIdOffsets[p] + i] = digit;
            }
        }
    }

    private static byte[] Hep(byte[] sip, IPEndPoint source, IPEndPoint destination)
    {
        var chunks = new List<byte[]>
        {
            Chunk(1, [2]),
            Chunk(2, [17]),
            Chunk(3, source.Address.GetAddressBytes()),
            Chunk(4, destination.Address.GetAddressBytes()),
            Chunk(7, U16((ushort)source.Port)),
            Chunk(8, U16((ushort)destination.Port)),
            Chunk(9, U32(1_700_000_000)),
            Chunk(10, U32(123_456)),
            Chunk(11, [1]),
            Chunk(12, U32(2001)),
            Chunk(15, sip),
        };
        int length = 6 + chunks.Sum(c => c.Length);
        var packet = new byte[length];
        "HEP3"u8.CopyTo(packet);
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)length);
        int offset = 6;
        foreach (byte[] chunk in chunks)
        {
            chunk.CopyTo(packet, offset);
            offset += chunk.Length;
        }

        return packet;
    }

    private static byte[] Request(string method, int cseq, string[] vias, string? toTag) => Encoding.ASCII.GetBytes(
        $"{method} sip:bob@biloxi.example.com SIP/2.0\r\n" +
        string.Concat(vias.Select(v => $"Via: {v}{cseq}{method}\r\n")) +
        "Max-Forwards: 70\r\n" +
        "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n" +
        $"To: <sip:bob@biloxi.example.com>{(toTag is null ? string.Empty : ";tag=" + toTag)}\r\n" +
        $"Call-ID: {CallIdTemplate}\r\n" +
        $"CSeq: {cseq} {method}\r\n" +
        "Contact: <sip:alice@pc33.atlanta.example.com>\r\n" +
        "Content-Length: 0\r\n\r\n");

    private static byte[] Response(int status, string reason, int cseq, string method, string[] vias) => Encoding.ASCII.GetBytes(
        $"SIP/2.0 {status} {reason}\r\n" +
        string.Concat(vias.Select(v => $"Via: {v}{cseq}{method}\r\n")) +
        "From: \"Alice\" <sip:alice@atlanta.example.com>;tag=1928301774\r\n" +
        "To: <sip:bob@biloxi.example.com>;tag=b1\r\n" +
        $"Call-ID: {CallIdTemplate}\r\n" +
        $"CSeq: {cseq} {method}\r\n" +
        "Contact: <sip:bob@192.0.2.20>\r\n" +
        "Content-Length: 0\r\n\r\n");

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
