using System.Diagnostics;
using System.Diagnostics.Metrics;
using SipTraceContext.Conventions;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// What one call tracer records into the package's instruments (<see cref="SipTelemetry"/>): every measurement
/// carries the tracer's own tags (<see cref="SipCallTracerOptions.MetricTags"/>) first, and its capacity is in
/// <c>sip.call.limit</c> until it is disposed. Every tag value is a constant or comes from a table built once, so
/// recording a measurement allocates nothing; no instrument carries a Call-ID or an address.
/// </summary>
/// <remarks>
/// <para>
/// The two measurements every message of a call would otherwise make are kept here and handed over in bulk.
/// <c>sip.calls.active</c> is observed: the tracer keeps its count of active calls and the instrument reads it at
/// each collection. <c>sip.response.count</c> stays a counter, but responses are counted here per method and
/// status code and added to it by <see cref="FlushResponses"/>: when any listener collects (from the observable
/// instruments' callbacks, which the OpenTelemetry SDK runs before it reads the counters), at every sweep, and
/// when the tracer is disposed. A measurement through the SDK looks its tags up each time, which would cost a
/// call about as much as reading one of its messages again; counting costs an increment.
/// </para>
/// <para>
/// A listener that collects no observable instrument still gets the counts within a sweep interval.
/// </para>
/// </remarks>
internal sealed class SipCallMetrics : IDisposable
{
    private const double MillisecondsPerSecond = 1000.0;
    private const int MinStatus = 100;
    private const int MaxStatus = 699;

    // Status codes boxed once: a boxed int per response would be an allocation per message.
    private static readonly object[] s_boxedStatus = CreateBoxedStatus();

    // error.type of a final error response is its status code as a string, made once per code.
    private static readonly string[] s_statusText = CreateStatusText();

    // The tracer's own tags (SipCallTracerOptions.MetricTags), first in every measurement.
    private readonly KeyValuePair<string, object?>[] _tags;
    private readonly object _rowsGate = new();

    // Responses not yet added to sip.response.count: a row per metric method value, a cell per status code.
    // Replaced under _rowsGate when a method is first seen (there are at most 15 values), read without it.
    private ResponseRow[] _responseRows = [];
    private long _active;
    private int _disposed;

    public SipCallMetrics(int capacity, IEnumerable<KeyValuePair<string, object?>>? tags = null)
    {
        _tags = tags is null ? [] : [.. tags];
        Capacity = capacity;
        SipTelemetry.AddTracer(this);
    }

    /// <summary>The tracer's <see cref="SipCallTracerOptions.MaxTrackedCalls"/>, its <c>sip.call.limit</c>.</summary>
    public int Capacity { get; }

    /// <summary>The tracer's tags.</summary>
    public ReadOnlySpan<KeyValuePair<string, object?>> Tags => _tags;

    /// <summary>The status code as the <c>error.type</c> value of a failed call.</summary>
    public static string StatusText(int status) => status is >= MinStatus and <= MaxStatus ? s_statusText[status - MinStatus] : OtelAttributes.ErrorTypeValues.Other;

    /// <summary>The status code boxed once, for span tags and metric tags.</summary>
    public static object BoxedStatus(int status) => s_boxedStatus[StatusIndex(status)];

    /// <summary>The calls the tracer counts as active now, the value of its <c>sip.calls.active</c> series.</summary>
    public long Active => Volatile.Read(ref _active);

    /// <summary>Counts a response in <c>sip.response.count</c>, added to the instrument by the next <see cref="FlushResponses"/>.</summary>
    public void Response(int status, string method)
    {
        if (SipTelemetry.ResponseCount.Enabled)
        {
            _ = Interlocked.Increment(ref RowOf(method).ByStatus[StatusIndex(status)]);
        }
    }

    /// <summary>Adds the responses counted since the last flush to <c>sip.response.count</c>.</summary>
    public void FlushResponses()
    {
        foreach (ResponseRow row in Volatile.Read(ref _responseRows))
        {
            long[] byStatus = row.ByStatus;
            for (int i = 0; i < byStatus.Length; i++)
            {
                if (Volatile.Read(ref byStatus[i]) != 0)
                {
                    long count = Interlocked.Exchange(ref byStatus[i], 0);
                    SipTelemetry.ResponseCount.Add(count, With(new(SipAttributes.StatusCode, s_boxedStatus[i]), new(SipAttributes.Method, row.Method)));
                }
            }
        }
    }

    public void SetupLatency(double milliseconds, string? transport) => RecordLatency(SipTelemetry.CallSetupLatency, milliseconds, transport);

    /// <summary>Records <c>sip.call.teardown.duration</c>, in seconds (its unit is <c>s</c>, unlike the seed's setup latency in ms).</summary>
    public void TeardownDuration(double milliseconds, string? transport) => RecordLatency(SipTelemetry.CallTeardownDuration, milliseconds / MillisecondsPerSecond, transport);

    public void ActiveChanged(long delta) => Interlocked.Add(ref _active, delta);

    public void Failed(string reason) => SipTelemetry.CallFailed.Add(1, With(new(OtelAttributes.ErrorType, reason)));

    public void Retransmission(string method) => SipTelemetry.MessageRetransmissions.Add(1, With(new(SipAttributes.Method, method)));

    public void Malformed() => SipTelemetry.MessageMalformed.Add(1, With());

    public void Evicted(string reason) => SipTelemetry.CallEvictions.Add(1, With(new(SipAttributes.EvictionReason, reason)));

    /// <summary>Takes the tracer's capacity out of <c>sip.call.limit</c>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            SipTelemetry.RemoveTracer(this);
            FlushResponses();
        }
    }

    /// <summary>Whether another tracer's measurements carry the same tags, so that they add up to one series.</summary>
    public bool HasTagsOf(SipCallMetrics other)
    {
        if (_tags.Length != other._tags.Length)
        {
            return false;
        }

        // In any order: the SDK sorts a measurement's tags, so the same tags listed differently are one series.
        foreach (KeyValuePair<string, object?> tag in _tags)
        {
            if (!Contains(other._tags, tag))
            {
                return false;
            }
        }

        return true;
    }

    private static bool Contains(KeyValuePair<string, object?>[] tags, KeyValuePair<string, object?> tag)
    {
        foreach (KeyValuePair<string, object?> candidate in tags)
        {
            if (candidate.Key == tag.Key && Equals(candidate.Value, tag.Value))
            {
                return true;
            }
        }

        return false;
    }

    private ResponseRow RowOf(string method)
    {
        if (Find(Volatile.Read(ref _responseRows), method) is { } row)
        {
            return row;
        }

        lock (_rowsGate)
        {
            if (Find(_responseRows, method) is { } raced)
            {
                return raced;
            }

            var added = new ResponseRow(method);
            Volatile.Write(ref _responseRows, [.. _responseRows, added]);
            return added;
        }
    }

    private static ResponseRow? Find(ResponseRow[] rows, string method)
    {
        foreach (ResponseRow row in rows)
        {
            if (row.Method == method)
            {
                return row;
            }
        }

        return null;
    }

    // Status codes outside 100-699 count at the nearest end, as BoxedStatus boxes them.
    private static int StatusIndex(int status) => Math.Clamp(status, MinStatus, MaxStatus) - MinStatus;

    private void RecordLatency(Histogram<double> histogram, double value, string? transport)
    {
        if (_tags.Length == 0)
        {
            // No tracer tags (the default): the instrument's own overloads, with no TagList to fill and copy.
            if (transport is null)
            {
                histogram.Record(value);
            }
            else
            {
                histogram.Record(value, new KeyValuePair<string, object?>(OtelAttributes.NetworkTransport, transport));
            }

            return;
        }

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

    /// <summary>The responses of one method not yet flushed, by status code (100 to 699).</summary>
    private sealed class ResponseRow(string method)
    {
        public string Method { get; } = method;

        public long[] ByStatus { get; } = new long[MaxStatus - MinStatus + 1];
    }
}
