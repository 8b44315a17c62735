using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace SipTraceContext.Capture.Tests;

/// <summary>
/// A started <see cref="HepCaptureListener"/> on 127.0.0.1 (a free port), the real OpenTelemetry SDK with
/// in-memory exporters behind it, and a UDP socket that plays the capture agent.
/// </summary>
internal sealed class CaptureHarness : IAsyncDisposable
{
    private static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(10);

    private readonly TracerProvider _tracerProvider;
    private readonly MeterProvider _meterProvider;
    private readonly List<Metric> _metrics = [];
    private readonly Socket _agent;
    private bool _stopped;

    private CaptureHarness(HepCaptureListener listener)
    {
        _tracerProvider = Sdk.CreateTracerProviderBuilder().SetSampler(new AlwaysOnSampler()).AddSipInstrumentation().AddInMemoryExporter(Spans).Build()!;
        _meterProvider = Sdk.CreateMeterProviderBuilder().AddSipInstrumentation().AddInMemoryExporter(_metrics).Build()!;
        Listener = listener;
        _agent = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _agent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
    }

    public HepCaptureListener Listener { get; }

    public List<Activity> Spans { get; } = [];

    public static async Task<CaptureHarness> StartAsync(
        Action<HepCaptureOptions>? configure = null,
        TimeProvider? timeProvider = null,
        ILogger<HepCaptureListener>? logger = null)
    {
        // Several consumers whatever the cores: every test runs the sharded path (a test may set 1).
        var options = new HepCaptureOptions { Port = 0, ConsumerCount = 3 };
        if (timeProvider is not null)
        {
            // The reorder window runs on the listener's clock: a test that holds the clock still records
            // each packet as it arrives (tests of the window set it themselves).
            options.ReorderWindow = TimeSpan.Zero;
        }

        configure?.Invoke(options);
        var harness = new CaptureHarness(new HepCaptureListener(options, timeProvider, logger));
        await harness.Listener.StartAsync(CancellationToken.None);
        return harness;
    }

    /// <summary>Sends datagrams to the listener as a capture agent would.</summary>
    public void Send(params byte[][] datagrams)
    {
        foreach (byte[] datagram in datagrams)
        {
            _agent.SendTo(datagram, Listener.LocalEndPoint!);
        }
    }

    /// <summary>Waits until the listener has received this many datagrams and recorded or dropped each.</summary>
    public async Task WaitForAsync(long datagrams)
    {
        var clock = Stopwatch.StartNew();
        while (Listener.PacketsReceived < datagrams || Listener.PacketsRecorded + Listener.PacketsDropped < datagrams)
        {
            if (clock.Elapsed > WaitLimit)
            {
                throw new TimeoutException(
                    $"expected {datagrams} datagrams handled; received {Listener.PacketsReceived}, recorded {Listener.PacketsRecorded}, dropped {Listener.PacketsDropped}");
            }

            await Task.Delay(10);
        }
    }

    /// <summary>Stops the listener (bounded) and flushes the spans it ended.</summary>
    public async Task StopAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        using var limit = new CancellationTokenSource(WaitLimit);
        await Listener.StopAsync(limit.Token);
        _tracerProvider.ForceFlush();
    }

    public void FlushSpans() => _tracerProvider.ForceFlush();

    /// <summary>The sum of a counter's points whose tags include these; 0 when none.</summary>
    public long Counter(string name, params (string Key, object Value)[] tags) =>
        Points(name, tags).Sum(p => p.GetSumLong());

    /// <summary>How many points (series) of an instrument have tags that include these.</summary>
    public int PointCount(string name, params (string Key, object Value)[] tags) => Points(name, tags).Count;

    public long HistogramCount(string name, params (string Key, object Value)[] tags) => Points(name, tags).Sum(p => p.GetHistogramCount());

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        Listener.Dispose();
        _agent.Dispose();
        _tracerProvider.Dispose();
        _meterProvider.Dispose();
    }

    private List<MetricPoint> Points(string name, (string Key, object Value)[] tags)
    {
        _metrics.Clear();
        _meterProvider.ForceFlush();
        var points = new List<MetricPoint>();
        foreach (Metric metric in _metrics.Where(m => m.Name == name))
        {
            foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
            {
                var pointTags = new Dictionary<string, object?>();
                foreach (KeyValuePair<string, object?> tag in point.Tags)
                {
                    pointTags[tag.Key] = tag.Value;
                }

                if (tags.All(t => pointTags.TryGetValue(t.Key, out object? v) && Equals(v?.ToString(), t.Value.ToString())))
                {
                    points.Add(point);
                }
            }
        }

        return points;
    }
}
