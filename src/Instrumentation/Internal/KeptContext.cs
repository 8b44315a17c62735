using System.Buffers.Binary;
using System.Diagnostics;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// A span context a tracked call keeps, its ids held as numbers. <see cref="KeptContexts"/> hands back the
/// <see cref="ActivityContext"/> it stands for.
/// </summary>
/// <remarks>
/// An <see cref="ActivityContext"/> holds its trace and span ids as strings. A call's state lives long (the
/// table reuses it from call to call), so the garbage collector counts it among its oldest objects; each
/// reference from it to a new string marks it for the next collection to scan. With a busy table that is
/// every call's state, and the scanning costs each message more than the strings do. Kept as numbers,
/// the ids mark nothing.
/// </remarks>
internal readonly struct KeptContext : IEquatable<KeptContext>
{
    private readonly ulong _traceHigh;
    private readonly ulong _traceLow;
    private readonly ulong _span;

    // A trace state is rare in SIP; kept as the string it came as.
    private readonly string? _traceState;
    private readonly ActivityTraceFlags _flags;
    private readonly bool _isRemote;
    private readonly bool _isSet;

    public KeptContext(ActivityContext context)
    {
        if (context == default)
        {
            this = default;
            return;
        }

        Span<byte> bytes = stackalloc byte[16];
#if NET
        // The vectorised hex decoder: ActivityTraceId.CopyTo decodes a character pair at a time.
        _ = Convert.FromHexString(context.SpanId.ToHexString(), bytes.Slice(0, 8), out _, out _);
        _span = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _ = Convert.FromHexString(context.TraceId.ToHexString(), bytes, out _, out _);
#else
        context.SpanId.CopyTo(bytes.Slice(0, 8));
        _span = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        context.TraceId.CopyTo(bytes);
#endif
        _traceHigh = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _traceLow = BinaryPrimitives.ReadUInt64BigEndian(bytes.Slice(8));
        _traceState = context.TraceState;
        _flags = context.TraceFlags;
        _isRemote = context.IsRemote;
        _isSet = true;
    }

    /// <summary>Whether no context was kept (<c>default</c>).</summary>
    public bool IsEmpty => !_isSet;

    /// <summary>Where <see cref="KeptContexts"/> looks for this context: the span id's low bits.</summary>
    public int Slot(int mask) => (int)_span & mask;

    /// <summary>The context, its ids made again as strings.</summary>
    public ActivityContext ToContext()
    {
        if (!_isSet)
        {
            return default;
        }

        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, _traceHigh);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.Slice(8), _traceLow);
        ActivityTraceId traceId = ActivityTraceId.CreateFromBytes(bytes);
        BinaryPrimitives.WriteUInt64BigEndian(bytes, _span);
        ActivitySpanId spanId = ActivitySpanId.CreateFromBytes(bytes.Slice(0, 8));
        return new ActivityContext(traceId, spanId, _flags, _traceState, _isRemote);
    }

    public bool Equals(KeptContext other) =>
        _span == other._span && _traceLow == other._traceLow && _traceHigh == other._traceHigh
        && _flags == other._flags && _isRemote == other._isRemote && _isSet == other._isSet
        && string.Equals(_traceState, other._traceState, StringComparison.Ordinal);

    public override bool Equals(object? obj) => obj is KeptContext other && Equals(other);

    public override int GetHashCode() => _span.GetHashCode();
}

/// <summary>
/// The contexts of a shard's calls as strings, for the last calls that asked: every message of a call returns
/// its span's context, so a call's messages find it here rather than making its ids again. Used under the
/// shard's lock. One small array holds the strings, so the garbage collector has one place to scan for them
/// rather than every call's state (see <see cref="KeptContext"/>).
/// </summary>
internal sealed class KeptContexts
{
    private const int Size = 64;

    private readonly Entry[] _entries = new Entry[Size];

    /// <summary>The context <paramref name="kept"/> stands for; made again when it is not among the last ones.</summary>
    public ActivityContext Get(in KeptContext kept)
    {
        if (kept.IsEmpty)
        {
            return default;
        }

        ref Entry entry = ref _entries[kept.Slot(Size - 1)];
        if (!entry.Kept.Equals(kept))
        {
            entry = new Entry(kept, kept.ToContext());
        }

        return entry.Context;
    }

    /// <summary>Keeps <paramref name="context"/> and remembers it as it is, strings and all.</summary>
    public KeptContext Keep(ActivityContext context)
    {
        var kept = new KeptContext(context);
        if (!kept.IsEmpty)
        {
            _entries[kept.Slot(Size - 1)] = new Entry(kept, context);
        }

        return kept;
    }

    private readonly struct Entry(KeptContext kept, ActivityContext context)
    {
        public KeptContext Kept { get; } = kept;

        public ActivityContext Context { get; } = context;
    }
}
