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

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => new IdleTimer();

    private sealed class IdleTimer : ITimer
    {
        public bool Change(TimeSpan dueTime, TimeSpan period) => true;

        public void Dispose()
        {
        }

        public ValueTask DisposeAsync() => default;
    }
}
