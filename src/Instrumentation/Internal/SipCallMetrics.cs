using System.Diagnostics;
using System.Diagnostics.Metrics;
using SipTraceContext.Conventions;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// The tracer's instruments. Every tag value is a constant or comes from a table built once, so
/// recording a measurement allocates nothing; no instrument carries a Call-ID or an address.
/// </summary>
internal sealed class SipCallMetrics : IDisposable
{
    private const double MillisecondsPerSecond = 1000.0;
    private const int MinStatus = 100;
    private const int MaxStatus = 699;

    // Status codes boxed once: a boxed int per response would be an allocation per message.
    private static readonly object[] s_boxedStatus = CreateBoxedStatus();

    // error.type of a final error response is its status code as a string, made once per code.
    private static readonly string[] s_statusText = CreateStatusText();

    private readonly Meter _meter;

    // The tracer's own tags (SipCallTracerOptions.MetricTags), first in every measurement.
    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly Histogram<double> _setupLatency;
    private readonly Histogram<double> _teardownDuration;
    private readonly Counter<long> _responses;
    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _failed;
    private readonly Counter<long> _retransmissions;
    private readonly Counter<long> _malformed;
    private readonly Counter<long> _evictions;

    public SipCallMetrics(int capacity, IEnumerable<KeyValuePair<string, object?>>? tags = null)
    {
        _tags = tags is null ? [] : [.. tags];
        _meter = InstrumentationIdentity.CreateMeter();
        _setupLatency = _meter.CreateHistogram(
            SipMetrics.CallSetupLatency.Name, SipMetrics.CallSetupLatency.Unit, SipMetrics.CallSetupLatency.Description, SipMetrics.CallSetupLatency.ExplicitBucketBoundaries);
        _teardownDuration = _meter.CreateHistogram(
            SipMetrics.CallTeardownDuration.Name, SipMetrics.CallTeardownDuration.Unit, SipMetrics.CallTeardownDuration.Description, SipMetrics.CallTeardownDuration.ExplicitBucketBoundaries);
        _responses = _meter.CreateCounter<long>(SipMetrics.ResponseCount.Name, SipMetrics.ResponseCount.Unit, SipMetrics.ResponseCount.Description);
        _active = _meter.CreateUpDownCounter<long>(SipMetrics.CallsActive.Name, SipMetrics.CallsActive.Unit, SipMetrics.CallsActive.Description);
        _failed = _meter.CreateCounter<long>(SipMetrics.CallFailed.Name, SipMetrics.CallFailed.Unit, SipMetrics.CallFailed.Description);
        _retransmissions = _meter.CreateCounter<long>(SipMetrics.MessageRetransmissions.Name, SipMetrics.MessageRetransmissions.Unit, SipMetrics.MessageRetransmissions.Description);
        _malformed = _meter.CreateCounter<long>(SipMetrics.MessageMalformed.Name, SipMetrics.MessageMalformed.Unit, SipMetrics.MessageMalformed.Description);
        _evictions = _meter.CreateCounter<long>(SipMetrics.CallEvictions.Name, SipMetrics.CallEvictions.Unit, SipMetrics.CallEvictions.Description);
        _meter.CreateObservableGauge(SipMetrics.CallLimit.Name, () => new Measurement<long>(capacity, _tags), SipMetrics.CallLimit.Unit, SipMetrics.CallLimit.Description);
    }

    /// <summary>The status code as the <c>error.type</c> value of a failed call.</summary>
    public static string StatusText(int status) => status is >= MinStatus and <= MaxStatus ? s_statusText[status - MinStatus] : OtelAttributes.ErrorTypeValues.Other;

    /// <summary>The status code boxed once, for span tags and metric tags.</summary>
    public static object BoxedStatus(int status) => s_boxedStatus[Math.Clamp(status, MinStatus, MaxStatus) - MinStatus];

    public void Response(int status, string method)
    {
        if (_responses.Enabled)
        {
            _responses.Add(1, With(new(SipAttributes.StatusCode, BoxedStatus(status)), new(SipAttributes.Method, method)));
        }
    }

    public void SetupLatency(double milliseconds, string? transport) => RecordLatency(_setupLatency, milliseconds, transport);

    /// <summary>Records <c>sip.call.teardown.duration</c>, in seconds (its unit is <c>s</c>, unlike the seed's setup latency in ms).</summary>
    public void TeardownDuration(double milliseconds, string? transport) => RecordLatency(_teardownDuration, milliseconds / MillisecondsPerSecond, transport);

    public void ActiveChanged(long delta) => _active.Add(delta, With());

    public void Failed(string reason) => _failed.Add(1, With(new(OtelAttributes.ErrorType, reason)));

    public void Retransmission(string method) => _retransmissions.Add(1, With(new(SipAttributes.Method, method)));

    public void Malformed() => _malformed.Add(1, With());

    public void Evicted(string reason) => _evictions.Add(1, With(new(SipAttributes.EvictionReason, reason)));

    public void Dispose() => _meter.Dispose();

    private void RecordLatency(Histogram<double> histogram, double value, string? transport)
    {
        if (transport is null)
        {
            histogram.Record(value, With());
        }
        else
        {
            histogram.Record(value, With(new(OtelAttributes.NetworkTransport, transport)));
        }
    }

    // TagList keeps up to 8 tags inline, so with up to 4 tracer tags (and at most 2 per measurement
    // here) nothing is allocated; with none, the measurement carries exactly the tags it did before.
    private TagList With() => new(_tags);

    private TagList With(KeyValuePair<string, object?> tag)
    {
        var list = new TagList(_tags);
        list.Add(tag);
        return list;
    }

    private TagList With(KeyValuePair<string, object?> first, KeyValuePair<string, object?> second)
    {
        var list = new TagList(_tags);
        list.Add(first);
        list.Add(second);
        return list;
    }

    private static object[] CreateBoxedStatus()
    {
        var boxed = new object[MaxStatus - MinStatus + 1];
        for (int i = 0; i < boxed.Length; i++)
        {
            boxed[i] = MinStatus + i;
        }

        return boxed;
    }

    private static string[] CreateStatusText()
    {
        var text = new string[MaxStatus - MinStatus + 1];
        for (int i = 0; i < text.Length; i++)
        {
            text[i] = (MinStatus + i).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        return text;
    }
}
