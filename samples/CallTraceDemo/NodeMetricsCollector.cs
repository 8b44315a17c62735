using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using SipTraceContext.Conventions;

namespace CallTraceDemo;

/// <summary>
/// Reads the SipTraceContext metrics per node from the points the OpenTelemetry SDK exports (an in-memory
/// exporter, next to the OTLP one when <c>--otlp</c> is given).
/// </summary>
/// <remarks>
/// Every node records into the same instruments (the call tracers and the IMS helpers share one meter), so their
/// measurements land in one set of streams. What keeps the
/// nodes apart is the tag each is created with: <c>SipCallTracerOptions.MetricTags</c> on a proxy's call
/// tracer and <c>ImsNodeOptions.MetricTags</c> on an IMS helper, both <see cref="TagsOf"/> its node name. The
/// summary is then a group-by on that tag, exactly what a backend does with the exported streams.
/// </remarks>
public sealed class NodeMetricsCollector : IDisposable
{
    /// <summary>
    /// The metric tag that names the node: the conventions' <c>service.instance.id</c>, "the instance of the node (a
    /// particular P-CSCF or S-CSCF)". It is a resource attribute when each node is its own process; here every node
    /// shares one process and so one resource, and the tag carries it on the node's measurements instead.
    /// </summary>
    public const string NodeTag = OtelAttributes.ServiceInstanceId;

    private readonly List<Metric> _exported = [];
    private readonly MeterProvider _provider;
    private List<Point> _points = [];

    public NodeMetricsCollector(ResourceBuilder resource, Uri? otlpEndpoint)
    {
        MeterProviderBuilder builder = Sdk.CreateMeterProviderBuilder()
            .SetResourceBuilder(resource)
            .AddSipInstrumentation()
            .AddInMemoryExporter(_exported);
        if (otlpEndpoint is not null)
        {
            builder.AddOtlpExporter(o => o.Endpoint = otlpEndpoint);
        }

        _provider = builder.Build();
    }

    /// <summary>The metric tags a node is created with.</summary>
    public static KeyValuePair<string, object?>[] TagsOf(string node) => [new(NodeTag, node)];

    /// <summary>
    /// Collects the metrics now and keeps their points for the queries below. Call it while the nodes are alive:
    /// a call tracer's meter goes away when the tracer is disposed.
    /// </summary>
    public void Collect()
    {
        _exported.Clear();
        _provider.ForceFlush();
        var points = new List<Point>();
        foreach (Metric metric in _exported)
        {
            foreach (ref readonly MetricPoint point in metric.GetMetricPoints())
            {
                var tags = new Dictionary<string, string>(StringComparer.Ordinal);
                foreach (KeyValuePair<string, object?> tag in point.Tags)
                {
                    tags[tag.Key] = Convert.ToString(tag.Value, System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
                }

                string node = tags.GetValueOrDefault(NodeTag, string.Empty);
                tags.Remove(NodeTag);
                var key = new SeriesKey(node, metric.Name, tags);
                switch (metric.MetricType)
                {
                    case MetricType.Histogram:
                        points.Add(new Point(key, 0, Histogram.Of(point)));
                        break;
                    case MetricType.LongSum or MetricType.LongSumNonMonotonic:
                        points.Add(new Point(key, point.GetSumLong(), null));
                        break;
                    default:
                        break; // the capacity gauge: not in the summary
                }
            }
        }

        _points = points;
    }

    /// <summary>A histogram on a node, over all its other tags.</summary>
    public LatencySummary Latency(string node, string instrument) =>
        Histogram.Summarize(Matching(node, instrument).Select(p => p.Histogram!));

    /// <summary>A histogram per node and value of one tag (<c>""</c> when absent), ordered by the tag value, then the node.</summary>
    public IReadOnlyList<(string Node, string Detail, LatencySummary Latency)> LatencyByNode(string instrument, string? tag) =>
        [.. _points.Where(p => p.Key.Instrument == instrument && p.Histogram is not null)
            .GroupBy(p => (p.Key.Node, Detail: tag is null ? string.Empty : p.Key.Tag(tag)))
            .OrderBy(g => g.Key.Detail, StringComparer.Ordinal).ThenBy(g => g.Key.Node, StringComparer.Ordinal)
            .Select(g => (g.Key.Node, g.Key.Detail, Histogram.Summarize(g.Select(p => p.Histogram!))))];

    /// <summary>The sum of a counter or up-down counter per node, ordered by node.</summary>
    public IReadOnlyList<(string Node, long Sum)> SumByNode(string instrument) =>
        [.. _points.Where(p => p.Key.Instrument == instrument && p.Histogram is null)
            .GroupBy(p => p.Key.Node)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (g.Key, g.Sum(p => p.Sum)))];

    /// <summary>The sum of a counter or up-down counter on a node.</summary>
    public long Sum(string node, string instrument) => Matching(node, instrument).Sum(p => p.Sum);

    /// <summary>The sums of a counter on a node, keyed by a label made from the point's tags.</summary>
    public IReadOnlyDictionary<string, long> SumBy(string node, string instrument, Func<SeriesKey, string> label) =>
        Matching(node, instrument)
            .GroupBy(p => label(p.Key), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(p => p.Sum), StringComparer.Ordinal);

    public void Dispose() => _provider.Dispose();

    private IEnumerable<Point> Matching(string node, string instrument) =>
        _points.Where(p => p.Key.Node == node && p.Key.Instrument == instrument);

    /// <summary>One exported point: the node's tag, the instrument, the other tags.</summary>
    public sealed record SeriesKey(string Node, string Instrument, IReadOnlyDictionary<string, string> Tags)
    {
        /// <summary>The value of one tag ("" when absent).</summary>
        public string Tag(string name) => Tags.GetValueOrDefault(name, string.Empty);
    }

    private sealed record Point(SeriesKey Key, long Sum, Histogram? Histogram);

    /// <summary>A histogram point as exported: count, min, max, and the count in each explicit bucket.</summary>
    private sealed record Histogram(long Count, double Min, double Max, double[] Bounds, long[] Counts)
    {
        public static Histogram Of(in MetricPoint point)
        {
            var bounds = new List<double>();
            var counts = new List<long>();
            foreach (HistogramBucket bucket in point.GetHistogramBuckets())
            {
                bounds.Add(bucket.ExplicitBound);
                counts.Add(bucket.BucketCount);
            }

            point.TryGetHistogramMinMaxValues(out double min, out double max);
            return new Histogram(point.GetHistogramCount(), min, max, [.. bounds], [.. counts]);
        }

        /// <summary>Merges the points of one instrument (same buckets) and summarizes them.</summary>
        public static LatencySummary Summarize(IEnumerable<Histogram> points)
        {
            Histogram[] all = [.. points.Where(p => p.Count > 0)];
            if (all.Length == 0)
            {
                return LatencySummary.Empty;
            }

            long[] counts = new long[all[0].Counts.Length];
            foreach (Histogram point in all)
            {
                for (int i = 0; i < counts.Length; i++)
                {
                    counts[i] += point.Counts[i];
                }
            }

            return LatencySummary.FromBuckets(all.Sum(p => p.Count), all.Min(p => p.Min), all.Max(p => p.Max), all[0].Bounds, counts);
        }
    }
}

/// <summary>A latency distribution: count, p50, p95 and max in milliseconds.</summary>
public sealed record LatencySummary(int Count, double P50Ms, double P95Ms, double MaxMs)
{
    public static readonly LatencySummary Empty = new(0, 0, 0, 0);

    /// <summary>The same summary with every value multiplied, e.g. by 1000 for a histogram in seconds.</summary>
    public LatencySummary Scaled(double factor) => new(Count, P50Ms * factor, P95Ms * factor, MaxMs * factor);

    /// <summary>Exact percentiles (nearest rank) over every value.</summary>
    public static LatencySummary Of(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0
            ? Empty
            : new LatencySummary(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.95), sorted[^1]);
    }

    /// <summary>
    /// From an exported histogram: the count and the max are exact; a percentile is found by its nearest rank in the
    /// buckets and interpolated linearly inside its bucket (as Prometheus' <c>histogram_quantile</c> does), with the
    /// bucket narrowed to the recorded min and max; the first and the last rank are the min and the max themselves.
    /// </summary>
    /// <param name="count">The number of values.</param>
    /// <param name="min">The smallest value.</param>
    /// <param name="max">The largest value.</param>
    /// <param name="bounds">The upper bound of each bucket (the last one +∞).</param>
    /// <param name="counts">The number of values in each bucket.</param>
    public static LatencySummary FromBuckets(long count, double min, double max, IReadOnlyList<double> bounds, IReadOnlyList<long> counts)
    {
        ArgumentNullException.ThrowIfNull(bounds);
        ArgumentNullException.ThrowIfNull(counts);
        return count <= 0
            ? Empty
            : new LatencySummary((int)count, Estimate(0.50), Estimate(0.95), max);

        double Estimate(double quantile)
        {
            long rank = Math.Clamp((long)Math.Ceiling(quantile * count), 1, count);
            if (rank == 1 || rank == count)
            {
                return rank == 1 ? min : max; // the smallest and the largest value are known exactly
            }

            long below = 0;
            for (int i = 0; i < counts.Count; i++)
            {
                if (below + counts[i] >= rank)
                {
                    double lower = i == 0 ? min : Math.Max(bounds[i - 1], min);
                    double upper = Math.Min(bounds[i], max);
                    return Math.Clamp(lower + ((upper - lower) * (rank - below) / counts[i]), min, max);
                }

                below += counts[i];
            }

            return max;
        }
    }

    private static double Rank(double[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}
