using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Logging;
using SipTraceContext.Capture.Internal;

namespace SipTraceContext.Capture;

// The socket buffer, the periodic housekeeping, kernel drop counts, and drop and failure logging.
public sealed partial class HepCaptureListener
{
    private void SetReceiveBuffer(Socket socket)
    {
        if (_requestedReceiveBufferSize > 0)
        {
            try
            {
                socket.ReceiveBufferSize = _requestedReceiveBufferSize;
            }
            catch (SocketException exception)
            {
                // Some OSes refuse a size above their limit instead of capping it: keep their default.
                CaptureEventSource.Log.ReceiveFailed("setting the receive buffer size: " + exception.SocketErrorCode.ToString());
            }
        }

        int reported = socket.ReceiveBufferSize;
        ReceiveBufferSize = reported;
        if (reported < _requestedReceiveBufferSize)
        {
            CaptureEventSource.Log.ReceiveBufferCapped(_requestedReceiveBufferSize, reported);
            CaptureLog.ReceiveBufferCapped(_logger, _requestedReceiveBufferSize, reported);
        }
        else
        {
            CaptureEventSource.Log.ReceiveBuffer(_requestedReceiveBufferSize, reported);
        }
    }

    private void Housekeep()
    {
        // A timer tick that comes while the previous one still runs has nothing to add.
        if (Interlocked.Exchange(ref _housekeepingRunning, 1) == 1)
        {
            return;
        }

        try
        {
            PollKernelDrops();
            LogDrops(force: false);
            CloseIdleConnections();

            // Under a flood a consumer holds its shard's lock nearly always; an idle sweep can wait a tick.
            // The shard's lock is taken before the nodes lock, in the consumers' order.
            if (_agentIdleTimeout != Timeout.InfiniteTimeSpan)
            {
                TimeSpan wait = TimeSpan.FromTicks(HousekeepingInterval.Ticks / 10 / _shards.Length);
                foreach (ConsumerShard shard in _shards)
                {
                    if (!Monitor.TryEnter(shard.RecordLock, wait))
                    {
                        continue;
                    }

                    try
                    {
                        lock (_nodesLock)
                        {
                            ReleaseIdleNodes();
                        }
                    }
                    finally
                    {
                        Monitor.Exit(shard.RecordLock);
                    }
                }
            }
        }
#pragma warning disable CA1031 // A timer callback that throws would take the process down.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            if (CaptureEventSource.Log.IsEnabled())
            {
                CaptureEventSource.Log.ProcessingFailed(exception.ToString());
            }

            if (_housekeepingErrors.TryAcquire(out long suppressed))
            {
                LogSafely(static (logger, e, n) => CaptureLog.HousekeepingFailed(logger, e, n), exception, suppressed);
            }
        }
        finally
        {
            Volatile.Write(ref _housekeepingRunning, 0);
        }
    }

    private void PollKernelDrops()
    {
        if (_kernelDrops is null)
        {
            return;
        }

        lock (_kernelDropsLock)
        {
            // The socket's count starts at 0 when it is created; only the growth since the last read is new.
            long? drops = _kernelDrops.Read();
            if (drops is not { } total || total <= _kernelDropsSeen)
            {
                return;
            }

            long added = total - _kernelDropsSeen;
            _kernelDropsSeen = total;
            Interlocked.Add(ref _dropped[(int)HepDropReason.SocketBuffer], added);
            CaptureMetrics.Dropped(HepDropReason.SocketBuffer, added);
        }
    }

    private void Drop(HepDropReason reason)
    {
        Interlocked.Increment(ref _dropped[(int)reason]);
        CaptureMetrics.Dropped(reason);
    }

    private void ProcessingFailed(Exception exception)
    {
        Drop(HepDropReason.ProcessingError);
        if (CaptureEventSource.Log.IsEnabled())
        {
            CaptureEventSource.Log.ProcessingFailed(exception.ToString());
        }

        if (_processingErrors.TryAcquire(out long suppressed))
        {
            LogSafely(static (logger, e, n) => CaptureLog.ProcessingFailed(logger, e, n), exception, suppressed);
        }
    }

    /// <summary>
    /// Logs from a catch block of the consumer loop or the timer callback. A logging provider that throws
    /// (Microsoft.Extensions.Logging rethrows its providers' exceptions) must not end the consumer, which
    /// would stop the capture, nor escape a timer callback, which would end the process.
    /// </summary>
    private void LogSafely(Action<ILogger, Exception, long> log, Exception exception, long suppressed)
    {
        try
        {
            log(_logger, exception, suppressed);
        }
#pragma warning disable CA1031 // See the summary: nothing is left to report a logging failure to but the event source.
        catch (Exception loggingFailure)
#pragma warning restore CA1031
        {
            if (CaptureEventSource.Log.IsEnabled())
            {
                CaptureEventSource.Log.ProcessingFailed(loggingFailure.ToString());
            }
        }
    }

    /// <summary>
    /// Logs the drops since the last summary, by reason, once <see cref="LogInterval"/> has passed since
    /// then (or now, when forced at the stop); nothing when there were none.
    /// </summary>
    private void LogDrops(bool force)
    {
        if (!_logger.IsEnabled(LogLevel.Warning))
        {
            return;
        }

        lock (_dropSummaryLock)
        {
            long now = _timeProvider.GetTimestamp();
            TimeSpan period = _timeProvider.GetElapsedTime(_lastDropSummary, now);
            if (!force && period < LogInterval)
            {
                return;
            }

            _lastDropSummary = now;
            long total = 0;
            StringBuilder? reasons = null;
            foreach (HepDropReason reason in s_dropReasons)
            {
                long count = Interlocked.Read(ref _dropped[(int)reason]);
                long added = count - _droppedLogged[(int)reason];
                if (added <= 0)
                {
                    continue;
                }

                _droppedLogged[(int)reason] = count;
                total += added;
                reasons = reasons is null ? new StringBuilder() : reasons.Append(", ");
                reasons.Append(CaptureMetrics.ReasonName(reason)).Append(' ').Append(added);
            }

            if (reasons is not null)
            {
                try
                {
                    CaptureLog.PacketsDropped(_logger, total, period, reasons.ToString());
                }
#pragma warning disable CA1031 // As in LogSafely: a throwing logging provider must not fail the timer or the stop.
                catch (Exception loggingFailure)
#pragma warning restore CA1031
                {
                    if (CaptureEventSource.Log.IsEnabled())
                    {
                        CaptureEventSource.Log.ProcessingFailed(loggingFailure.ToString());
                    }
                }
            }
        }
    }
}
