using System.Buffers.Binary;
using System.Diagnostics;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// A span context a tracked call keeps, so that later messages of the call return it without allocating.
/// </summary>
/// <remarks>
/// An <see cref="ActivityContext"/> holds its trace and span ids as strings. A call that has ended lingers
/// for Timer B only to recognise retransmissions: long enough, in a busy table, for those strings to be
/// promoted through every generation of the garbage collector before they die. <see cref="Compact"/> keeps
/// the ids as numbers instead and drops the strings; a late message of the ended call that asks for the
/// context gets an equal one, made again.
/// </remarks>
internal struct KeptContext
{
    private ActivityContext _live;
    private ulong _traceHigh;
    private ulong _traceLow;
    private ulong _span;
    private string? _traceState;
    private ActivityTraceFlags _flags;
    private bool _isRemote;
    private bool _compact;

    public KeptContext(ActivityContext context)
    {
        this = default;
        _live = context;
    }

    /// <summary>The context as it was kept.</summary>
    public readonly ActivityContext Value => _compact ? Rebuild() : _live;

    /// <summary>Keeps the ids as numbers and lets go of their strings.</summary>
    public void Compact()
    {
        if (_compact || _live == default)
        {
            return;
        }

        Span<byte> bytes = stackalloc byte[16];
#if NET
        // The vectorised hex decoder: ActivityTraceId.CopyTo decodes a character pair at a time.
        _ = Convert.FromHexString(_live.TraceId.ToHexString(), bytes, out _, out _);
#else
        _live.TraceId.CopyTo(bytes);
#endif
        _traceHigh = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _traceLow = BinaryPrimitives.ReadUInt64BigEndian(bytes.Slice(8));
#if NET
        _ = Convert.FromHexString(_live.SpanId.ToHexString(), bytes.Slice(0, 8), out _, out _);
#else
        _live.SpanId.CopyTo(bytes.Slice(0, 8));
#endif
        _span = BinaryPrimitives.ReadUInt64BigEndian(bytes);
        _traceState = _live.TraceState;
        _flags = _live.TraceFlags;
        _isRemote = _live.IsRemote;
        _live = default;
        _compact = true;
    }

    private readonly ActivityContext Rebuild()
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, _traceHigh);
        BinaryPrimitives.WriteUInt64BigEndian(bytes.Slice(8), _traceLow);
        ActivityTraceId traceId = ActivityTraceId.CreateFromBytes(bytes);
        BinaryPrimitives.WriteUInt64BigEndian(bytes, _span);
        ActivitySpanId spanId = ActivitySpanId.CreateFromBytes(bytes.Slice(0, 8));
        return new ActivityContext(traceId, spanId, _flags, _traceState, _isRemote);
    }
}
