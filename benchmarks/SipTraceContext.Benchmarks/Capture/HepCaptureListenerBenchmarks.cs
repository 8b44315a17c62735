using System.Buffers;
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

    private static readonly IPAddress Node = IPAddress.Parse("192.0.2.5");

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
        _packets = HepSamples.MirroredAnsweredCall(CallIdTemplate);
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
            listener.Ingest(new HepCaptureListener.QueuedPacket(buffer, packet.Length, Node));
        }
    }

    // A fresh Call-ID per call.
    private void NextCall() => HepSamples.NextCall(_packets, _callIdOffsets, ++_call);
}
