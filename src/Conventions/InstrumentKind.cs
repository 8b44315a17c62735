namespace SipTraceContext.Conventions;

/// <summary>The kind of <c>System.Diagnostics.Metrics</c> instrument a metric is recorded with.</summary>
public enum InstrumentKind
{
    /// <summary>A monotonic sum: <c>Meter.CreateCounter</c>.</summary>
    Counter,

    /// <summary>A sum that goes up and down: <c>Meter.CreateUpDownCounter</c>.</summary>
    UpDownCounter,

    /// <summary>A distribution of measurements: <c>Meter.CreateHistogram</c>, with the recommended bucket boundaries as advice.</summary>
    Histogram,

    /// <summary>A current value: <c>Meter.CreateGauge</c> (.NET 9 and later) or <c>Meter.CreateObservableGauge</c>.</summary>
    Gauge,
}
