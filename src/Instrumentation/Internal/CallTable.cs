using System.Numerics;
using SipTraceContext.Conventions;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// The tracked calls: a table of <see cref="CallShard"/>s by Call-ID, bounded by
/// <see cref="SipCallTracerOptions.MaxTrackedCalls"/> (the oldest call goes first) and by
/// <see cref="SipCallTracerOptions.MaxCallAge"/>, and the sweep that ends timed-out transactions
/// and drops calls whose time is up. What a dropped call's spans and metrics get is the state machine's.
/// </summary>
internal sealed class CallTable
{
    // Below this many tracked calls one shard keeps eviction exactly oldest-first; above it the lock is
    // split so threads working on different calls do not wait for each other.
    private const int SingleShardLimit = 4096;
    private const int MaxShards = 64;

    private readonly CallShard[] _shards;
    private readonly int _shardMask;
    private readonly int _maxTrackedCalls;
    private readonly long _maxAgeTicks;
    private readonly CallStateMachine _calls;
    private int _count;

    public CallTable(int maxTrackedCalls, TimeSpan maxCallAge, CallStateMachine calls)
    {
        _maxTrackedCalls = maxTrackedCalls;
        _maxAgeTicks = maxCallAge.Ticks;
        _calls = calls;
        int shards = maxTrackedCalls < SingleShardLimit
            ? 1
            : (int)Math.Min(MaxShards, BitOperations.RoundUpToPowerOf2((uint)Environment.ProcessorCount * 4));
        _shards = new CallShard[shards];
        for (int i = 0; i < shards; i++)
        {
            _shards[i] = new CallShard();
        }

        _shardMask = shards - 1;
    }

    /// <summary>How many calls are tracked now.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>The index of the shard that holds the call whose Call-ID has this <see cref="CallIdKey.Hash(ReadOnlySpan{byte})"/>.</summary>
    // The high bits: the shard's index places its calls by the low ones.
    public int ShardIndex(int callIdHash) => (int)((uint)callIdHash >> 16) & _shardMask;

    /// <summary>The shard at an index from <see cref="ShardIndex"/>; use it under its lock.</summary>
    public CallShard Shard(int index) => _shards[index];

    /// <summary>Counts a call just added to a shard (outside its lock), evicting the oldest call when the table is over capacity.</summary>
    public void Added(int shardIndex, CallState added, long now)
    {
        if (Interlocked.Increment(ref _count) <= _maxTrackedCalls)
        {
            return;
        }

        for (int i = 0; i < _shards.Length; i++)
        {
            CallShard shard = _shards[(shardIndex + i) & _shardMask];
            lock (shard.Lock)
            {
                CallState? victim = shard.Head;
                if (ReferenceEquals(victim, added))
                {
                    victim = victim.Next;
                }

                if (victim is not null)
                {
                    Evict(shard, victim, SipAttributes.EvictionReasonValues.Capacity, now);
                    return;
                }
            }
        }
    }

    /// <summary>Runs one sweep: timeouts, calls past their linger time or <c>MaxCallAge</c>, oversized shards.</summary>
    public void Sweep(long now)
    {
        foreach (CallShard shard in _shards)
        {
            lock (shard.Lock)
            {
                CallState? call = shard.Head;
                while (call is not null)
                {
                    CallState? next = call.Next;
                    SweepCall(shard, call, now);
                    call = next;
                }

                shard.TrimIfMostlyEmpty();
            }
        }
    }

    /// <summary>Evicts every call now, as capacity evictions do, tagged with <paramref name="reason"/>.</summary>
    public void EvictAll(string reason, long now)
    {
        foreach (CallShard shard in _shards)
        {
            lock (shard.Lock)
            {
                while (shard.Head is { } call)
                {
                    Evict(shard, call, reason, now);
                }
            }
        }
    }

    /// <summary>Empties the table, ending what is still open of every call (the tracer's disposal).</summary>
    public void Close(DateTimeOffset now)
    {
        foreach (CallShard shard in _shards)
        {
            lock (shard.Lock)
            {
                foreach (CallState call in shard.DrainAll())
                {
                    _calls.Close(call, now);
                }
            }
        }

        Volatile.Write(ref _count, 0);
    }

    private void SweepCall(CallShard shard, CallState call, long now)
    {
        _calls.TimeOut(call, now);
        if (call.Phase == CallPhase.Terminated)
        {
            if (now >= call.LingerUntilTicks)
            {
                Remove(shard, call);
            }

            return;
        }

        if (now - call.CreatedTicks >= _maxAgeTicks)
        {
            Evict(shard, call, SipAttributes.EvictionReasonValues.MaxAge, now);
        }
    }

    private void Evict(CallShard shard, CallState call, string reason, long now)
    {
        _calls.Evict(call, reason, now);
        Remove(shard, call);
    }

    private void Remove(CallShard shard, CallState call)
    {
        shard.Remove(call);
        Interlocked.Decrement(ref _count);
    }
}
