using System.Buffers.Binary;
using System.Diagnostics;

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// The BCL ids an <see cref="ActivityContext"/> needs, remembered per thread for the ids seen last.
/// </summary>
/// <remarks>
/// <para>
/// <see cref="ActivityTraceId"/> and <see cref="ActivitySpanId"/> each hold a hex string, so making
/// one from bytes allocates that string and hex-encodes into it, the largest part of extracting a
/// context. A proxy extracts the same context again and again (every
/// request and response of a call carries the caller's traceparent: INVITE, its retransmissions,
/// CANCEL, ACK, PRACK, BYE), so a small direct-mapped table per thread answers most extractions with
/// the id already made: no allocation, no encoding. A miss costs one compare more than no cache.
/// </para>
/// <para>
/// Per thread, so that an entry (two or three words) is never read half-written by another thread,
/// with no locks or interlocked operations on the hot path; the ids themselves are immutable. A
/// thread's tables are 64 entries each, made on its first extraction: about 2.5 KB, plus up to about
/// 9 KB of id strings they keep alive until replaced.
/// </para>
/// </remarks>
internal static class ActivityIdCache
{
    private const int Entries = 64;

    // One thread-static for both tables: each thread-static read is a runtime helper call.
    [ThreadStatic]
    private static Tables? t_tables;

    /// <summary>The trace id with these 16 bytes (big-endian halves) and the span id with these 8; none of them zero.</summary>
    public static void Ids(ulong traceIdHigh, ulong traceIdLow, ulong spanId, out ActivityTraceId traceId, out ActivitySpanId activitySpanId)
    {
        Tables tables = t_tables ??= new Tables();

        // Trace and span ids are random (W3C asks for it), so their low bits spread entries evenly.
        ref TraceIdEntry traceEntry = ref tables.TraceIds[(int)(traceIdLow & (Entries - 1))];
        if (traceEntry.High == traceIdHigh && traceEntry.Low == traceIdLow && traceEntry.Id != default)
        {
            traceId = traceEntry.Id;
        }
        else
        {
            Span<byte> bytes = stackalloc byte[16];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, traceIdHigh);
            BinaryPrimitives.WriteUInt64BigEndian(bytes[8..], traceIdLow);
            traceId = ActivityTraceId.CreateFromBytes(bytes);
            traceEntry = new TraceIdEntry(traceIdHigh, traceIdLow, traceId);
        }

        ref SpanIdEntry spanEntry = ref tables.SpanIds[(int)(spanId & (Entries - 1))];
        if (spanEntry.Value == spanId && spanEntry.Id != default)
        {
            activitySpanId = spanEntry.Id;
        }
        else
        {
            Span<byte> bytes = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(bytes, spanId);
            activitySpanId = ActivitySpanId.CreateFromBytes(bytes);
            spanEntry = new SpanIdEntry(spanId, activitySpanId);
        }
    }

    private sealed class Tables
    {
        public readonly TraceIdEntry[] TraceIds = new TraceIdEntry[Entries];
        public readonly SpanIdEntry[] SpanIds = new SpanIdEntry[Entries];
    }

    private readonly record struct TraceIdEntry(ulong High, ulong Low, ActivityTraceId Id);

    private readonly record struct SpanIdEntry(ulong Value, ActivitySpanId Id);
}
