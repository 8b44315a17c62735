using System.Diagnostics;
using Microsoft.Extensions.Time.Testing;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// A call tracer wired to the real OpenTelemetry SDK with in-memory trace and metric exporters and a
/// fake clock, so that tests control time and read back exactly what an exporter would get.
/// </summary>
internal sealed class TracerHarness : IDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 15, 9, 0, 0, TimeSpan.Zero);

    private readonly TracerProvider _tracerProvider;
    private readonly MeterProvider _meterProvider;
    private readonly List<Metric> _metrics = [];

    public TracerHarness(SipCallTracerOptions? options = null, Sampler? sampler = null, bool traces = true)
    {
        Time = new FakeTimeProvider(Start);
        var builder = Sdk.CreateTracerProviderBuilder().SetSampler(sampler ?? new AlwaysOnSampler()).AddInMemoryExporter(Spans);
        if (traces)
        {
            builder.AddSipInstrumentation();
        }

        _tracerProvider = builder.Build()!;
        _meterProvider = Sdk.CreateMeterProviderBuilder().AddSipInstrumentation().AddInMemoryExporter(_metrics).Build()!;
        Tracer = new SipCallTracer(options ?? new SipCallTracerOptions(), Time);
    }

    public FakeTimeProvider Time { get; }

    public SipCallTracer Tracer { get; }

    public List<Activity> Spans { get; } = [];

    public ActivityContext In(byte[] message) => Tracer.Record(message, SipDirection.In);

    public ActivityContext Out(byte[] message) => Tracer.Record(message, SipDirection.Out);

    public void Advance(double milliseconds) => Time.Advance(TimeSpan.FromMilliseconds(milliseconds));

    public Activity Single(string name) => Assert.Single(Spans, s => s.OperationName == name);

    /// <summary>Collects the metrics now and returns their points.</summary>
    public MetricPoints Collect()
    {
        _metrics.Clear();
        _meterProvider.ForceFlush();
        return new MetricPoints(_metrics);
    }

    public void Dispose()
    {
        Tracer.Dispose();
        _tracerProvider.Dispose();
        _meterProvider.Dispose();
    }
}

/// <summary>A snapshot of metric points, keyed by instrument and tags.</summary>
internal sealed class MetricPoints
{
    private readonly List<(string Name, Dictionary<string, object?> Tags, long Long, double Sum, long Count, double[] Bounds)> _points = [];

    public MetricPoints(List<Metric> metrics)
    {
        foreach (Metric metric in metrics)
        {
            foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
            {
                var tags = new Dictionary<string, object?>();
                foreach (KeyValuePair<string, object?> tag in point.Tags)
                {
                    tags[tag.Key] = tag.Value;
                }

                switch (metric.MetricType)
                {
                    case MetricType.Histogram:
                        var bounds = new List<double>();
                        foreach (HistogramBucket bucket in point.GetHistogramBuckets())
                        {
                            bounds.Add(bucket.ExplicitBound);
                        }

                        _points.Add((metric.Name, tags, 0, point.GetHistogramSum(), point.GetHistogramCount(), bounds.ToArray()));
                        break;
                    case MetricType.LongSum:
                    case MetricType.LongSumNonMonotonic:
                        _points.Add((metric.Name, tags, point.GetSumLong(), 0, 0, []));
                        break;
                    case MetricType.LongGauge:
                        _points.Add((metric.Name, tags, point.GetGaugeLastValueLong(), 0, 0, []));
                        break;
                    default:
                        throw new InvalidOperationException($"unexpected metric type {metric.MetricType} for {metric.Name}");
                }
            }
        }
    }

    /// <summary>The sum of a counter (or up-down counter, or gauge) over the points whose tags include these; 0 when none.</summary>
    public long Value(string name, params (string Key, object Value)[] tags) =>
        Matching(name, tags).Sum(p => p.Long);

    public long HistogramCount(string name, params (string Key, object Value)[] tags) => Matching(name, tags).Sum(p => p.Count);

    public double HistogramSum(string name, params (string Key, object Value)[] tags) => Matching(name, tags).Sum(p => p.Sum);

    public double[] Bounds(string name) => _points.First(p => p.Name == name).Bounds;

    /// <summary>Every tag key seen on an instrument's points.</summary>
    public IReadOnlySet<string> TagKeys(string name) => _points.Where(p => p.Name == name).SelectMany(p => p.Tags.Keys).ToHashSet();

    private IEnumerable<(string Name, Dictionary<string, object?> Tags, long Long, double Sum, long Count, double[] Bounds)> Matching(string name, (string Key, object Value)[] tags) =>
        _points.Where(p => p.Name == name && tags.All(t => p.Tags.TryGetValue(t.Key, out object? v) && Equals(Normalize(v), Normalize(t.Value))));

    private static object? Normalize(object? value) => value is int i ? (long)i : value;
}
