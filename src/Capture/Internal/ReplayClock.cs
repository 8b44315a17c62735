namespace SipTraceContext.Capture.Internal;

/// <summary>
/// The clock of a capture replay: it stands at the capture time of the packet being replayed, so the
/// reorder window, the agents' idle timeout and the tracers' call ages run in capture time. It never goes
/// back (frames of several interfaces may be slightly out of order). Its timers never fire: the replay
/// releases what waits itself.
/// </summary>
internal sealed class ReplayClock : TimeProvider
{
    private DateTimeOffset _now;

    public ReplayClock(DateTimeOffset start) => _now = start;

    public override long TimestampFrequency => TimeSpan.TicksPerSecond;

    public void AdvanceTo(DateTimeOffset time)
    {
        if (time > _now)
        {
            _now = time;
        }
    }

    public override DateTimeOffset GetUtcNow() => _now;

    public override long GetTimestamp() => _now.UtcTicks;

    // A system timer that is never due: implementing ITimer here would bind the netstandard2.0 build to
    // Microsoft.Bcl.AsyncInterfaces (ITimer is IAsyncDisposable there), which a host may not load.
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        => TimeProvider.System.CreateTimer(callback, state, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
}
