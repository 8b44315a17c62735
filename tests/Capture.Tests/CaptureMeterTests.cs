using System.Diagnostics.Metrics;
using SipTraceContext.Conventions;
using SipTraceContext.Instrumentation;

namespace SipTraceContext.Capture.Tests;

/// <summary>The listener records on the one meter the call tracers and IMS helpers use.</summary>
public sealed class CaptureMeterTests
{
    [Fact]
    public void The_listener_and_the_tracers_share_one_meter()
    {
        using var listener = new HepCaptureListener(new HepCaptureOptions { Port = 0 });
        using var tracer = new SipCallTracer();
        var instruments = new List<Instrument>();
        using var meterListener = new MeterListener
        {
            InstrumentPublished = (instrument, _) =>
            {
                if (instrument.Meter.Name == SipSemanticConventions.InstrumentationName)
                {
                    instruments.Add(instrument);
                }
            },
        };
        meterListener.Start();

        Instrument packets = Assert.Single(instruments, i => i.Name == SipMetrics.CapturePackets.Name);
        Assert.Single(instruments, i => i.Name == SipMetrics.CapturePacketDropped.Name);
        Instrument setup = Assert.Single(instruments, i => i.Name == SipMetrics.CallSetupLatency.Name);
        Assert.Same(setup.Meter, packets.Meter);
        Assert.All(instruments, i => Assert.Same(setup.Meter, i.Meter));
    }
}
