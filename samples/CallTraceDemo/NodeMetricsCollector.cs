using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Globalization;
using SipTraceContext.Conventions;

namespace CallTraceDemo;

/// <summary>
/// Reads the SipTraceContext instruments per node with a <see cref="MeterListener"/>.
/// </summary>
/// <remarks>
/// Every <c>SipCallTracer</c> creates its own <see cref="Meter"/>, but all of them share the instrumentation
/// name and version, so the OpenTelemetry SDK merges the instruments of the P-CSCF and the S-CSCF into one
/// stream and a summary built from it counts every call once per proxy. The tracer offers no per-instance tag,
/// so this listener tells the instances apart by the thread that creates them: a node constructs its tracer
/// inside <see cref="AttributeTo"/>, and the instruments published during that call belong to the node.
/// The IMS instruments are static (one set per process) and each is recorded by one kind of node, so they are
/// kept by instrument and tags and labelled with the node that records them.
/// </remarks>
public sealed class NodeMetricsCollector : IDisposable
{
    /// <summary>Which node records each IMS instrument (HSS queries: see <see cref="ImsNodeOfHssCommand"/>).</summary>
    private static readonly Dictionary<string, string> ImsRecorders = new(StringComparer.Ordinal)
    {
        [ImsMetrics.RegistrationLatency.Name] = ImsRoles.Pcscf,
        [ImsMetrics.SessionSetupTime.Name] = ImsRoles.Pcscf,
        [ImsMetrics.RxAarLatency.Name] = ImsRoles.Pcscf,
        [ImsMetrics.HssQueryLatency.Name] = ImsRoles.HssClients,
        [ImsMetrics.AsInvocationLatency.Name] = ImsRoles.Scscf,
        [ImsMetrics.SessionActiveCount.Name] = ImsRoles.Scscf,
    };

    /// <summary>The node whose tracer the current thread is constructing, and the collector that asked.</summary>
    [ThreadStatic]
    private static (NodeMetricsCollector Owner, string Node)? t_attributing;

    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<SeriesKey, Series> _series = new();

    public NodeMetricsCollector()
    {
        _listener.InstrumentPublished = OnInstrumentPublished;
        _listener.SetMeasurementEventCallback<long>(static (instrument, value, tags, state) => ((Recorder)state!).Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>(static (instrument, value, tags, state) => ((Recorder)state!).Record(instrument, value, tags));
        _listener.Start();
    }

    /// <summary>While the returned scope is open, instruments created on this thread are attributed to <paramref name="node"/>.</summary>
    public IDisposable AttributeTo(string node)
    {
        t_attributing = (this, node);
        return new AttributionScope();
    }

    /// <summary>The values a histogram recorded on a node (exact, not bucketed).</summary>
    public IReadOnlyList<double> Values(string node, string instrument) =>
        [.. _series.Where(s => s.Key.Node == node && s.Key.Instrument == instrument).SelectMany(s => s.Value.Snapshot())];

    /// <summary>The values a histogram recorded on a node, grouped by one tag's value.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<double>> ValuesBy(string node, string instrument, string tag) =>
        _series.Where(s => s.Key.Node == node && s.Key.Instrument == instrument)
            .GroupBy(s => s.Key.Tag(tag), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<double>)[.. g.SelectMany(s => s.Value.Snapshot())], StringComparer.Ordinal);

    /// <summary>The sum of a counter or up-down counter on a node.</summary>
    public long Sum(string node, string instrument) =>
        _series.Where(s => s.Key.Node == node && s.Key.Instrument == instrument).Sum(s => s.Value.Total);

    /// <summary>The sums of a counter on a node, keyed by a label made from the measurement's tags.</summary>
    public IReadOnlyDictionary<string, long> SumBy(string node, string instrument, Func<SeriesKey, string> label) =>
        _series.Where(s => s.Key.Node == node && s.Key.Instrument == instrument)
            .GroupBy(s => label(s.Key), StringComparer.Ordinal)
            .ToDictionary(g => g.Key, g => g.Sum(s => s.Value.Total), StringComparer.Ordinal);

    public void Dispose() => _listener.Dispose();

    private void OnInstrumentPublished(Instrument instrument, MeterListener listener)
    {
        if (instrument.Meter.Name != SipSemanticConventions.InstrumentationName)
        {
            return;
        }

        // The static IMS instruments first: they may be published while a tracer is being constructed.
        if (ImsRecorders.TryGetValue(instrument.Name, out string? imsNode))
        {
            listener.EnableMeasurementEvents(instrument, new Recorder(this, imsNode));
        }
        else if (t_attributing is { } attributing && ReferenceEquals(attributing.Owner, this))
        {
            listener.EnableMeasurementEvents(instrument, new Recorder(this, attributing.Node));
        }
    }

    /// <summary>The node that sends a Cx command: the I-CSCF asks where a user is served (UAR, LIR), the S-CSCF fetches profiles (SAR, MAR).</summary>
    public static string ImsNodeOfHssCommand(string command) =>
        command is ImsAttributes.HssCommandValues.Uar or ImsAttributes.HssCommandValues.Lir ? ImsRoles.Icscf : ImsRoles.Scscf;

    /// <summary>One instrument's measurements on one node with one set of tags.</summary>
    public readonly record struct SeriesKey(string Node, string Instrument, string Tags)
    {
        /// <summary>The value of one tag ("" when absent).</summary>
        public string Tag(string name)
        {
            foreach (string pair in Tags.Split('|', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (pair.AsSpan(0, eq).SequenceEqual(name))
                {
                    return pair[(eq + 1)..];
                }
            }

            return string.Empty;
        }
    }

    private sealed class AttributionScope : IDisposable
    {
        public void Dispose() => t_attributing = null;
    }

    private sealed class Recorder(NodeMetricsCollector owner, string node)
    {
        public void Record(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            Series(instrument, tags).Add(value);

        public void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags) =>
            Series(instrument, tags).Add(value);

        private Series Series(Instrument instrument, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            var pairs = new List<string>(tags.Length);
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                pairs.Add(tag.Key + "=" + Convert.ToString(tag.Value, CultureInfo.InvariantCulture));
            }

            pairs.Sort(StringComparer.Ordinal);
            return owner._series.GetOrAdd(new SeriesKey(node, instrument.Name, string.Join('|', pairs)), static _ => new Series());
        }
    }

    private sealed class Series
    {
        private readonly List<double> _values = [];
        private long _total;

        public long Total => Interlocked.Read(ref _total);

        public void Add(long value) => Interlocked.Add(ref _total, value);

        public void Add(double value)
        {
            lock (_values)
            {
                _values.Add(value);
            }
        }

        public double[] Snapshot()
        {
            lock (_values)
            {
                return [.. _values];
            }
        }
    }
}

/// <summary>A latency distribution: exact percentiles (nearest rank) over every recorded value.</summary>
public sealed record LatencySummary(int Count, double P50Ms, double P95Ms, double MaxMs)
{
    public static readonly LatencySummary Empty = new(0, 0, 0, 0);

    public static LatencySummary Of(IEnumerable<double> values)
    {
        double[] sorted = [.. values.Order()];
        return sorted.Length == 0
            ? Empty
            : new LatencySummary(sorted.Length, Rank(sorted, 0.50), Rank(sorted, 0.95), sorted[^1]);
    }

    private static double Rank(double[] sorted, double quantile) =>
        sorted[Math.Clamp((int)Math.Ceiling(quantile * sorted.Length) - 1, 0, sorted.Length - 1)];
}
