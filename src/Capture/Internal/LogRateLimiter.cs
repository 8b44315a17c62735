namespace SipTraceContext.Capture.Internal;

/// <summary>
/// Lets the first of a kind of failure be logged, then at most one per interval, and counts the ones it
/// held back so the next log line says how many: a stream of bad packets must not flood the logs.
/// </summary>
internal sealed class LogRateLimiter(TimeProvider timeProvider, TimeSpan interval)
{
    private readonly object _lock = new();
    private long _lastLogged;
    private bool _loggedOnce;
    private long _suppressed;

    /// <summary>Whether to log this occurrence; when so, how many were held back since the last one logged.</summary>
    public bool TryAcquire(out long suppressed)
    {
        lock (_lock)
        {
            long now = timeProvider.GetTimestamp();
            if (_loggedOnce && timeProvider.GetElapsedTime(_lastLogged, now) < interval)
            {
                _suppressed++;
                suppressed = 0;
                return false;
            }

            _loggedOnce = true;
            _lastLogged = now;
            suppressed = _suppressed;
            _suppressed = 0;
            return true;
        }
    }
}
