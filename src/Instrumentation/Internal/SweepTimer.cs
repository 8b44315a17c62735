namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// The call tracer's sweep timer. It holds the tracer weakly so that a tracer the host forgot to
/// dispose can still be collected; the timer then stops itself and disposes the tracer's metrics, whose
/// series (its capacity, its active calls) would otherwise stay registered for the life of the process.
/// </summary>
internal sealed class SweepTimer : IDisposable
{
    private readonly WeakReference<SipCallTracer> _tracer;
    private readonly SipCallMetrics _metrics;
    private readonly ITimer _timer;

    public SweepTimer(SipCallTracer tracer, SipCallMetrics metrics, TimeProvider timeProvider, TimeSpan interval)
    {
        _tracer = new WeakReference<SipCallTracer>(tracer);
        _metrics = metrics;
        _timer = timeProvider.CreateTimer(static state => ((SweepTimer)state!).Tick(), this, interval, interval);
    }

    public void Dispose() => _timer.Dispose();

    private void Tick()
    {
        if (_tracer.TryGetTarget(out SipCallTracer? tracer))
        {
            tracer.Sweep();
        }
        else
        {
            _timer.Dispose();
            _metrics.Dispose();
        }
    }
}
