using System.Runtime.CompilerServices;

namespace SipTraceContext.Propagation.Internal;

/// <summary>The two trace-context fields a trace header carries.</summary>
internal enum TraceField : byte
{
    /// <summary><c>...traceparent</c>.</summary>
    TraceParent,

    /// <summary><c>...tracestate</c>.</summary>
    TraceState,
}

/// <summary>One trace header found in a raw message.</summary>
internal readonly struct TraceHeaderLine
{
    public TraceHeaderLine(int prefixIndex, TraceField field, int lineStart, int lineEnd, int valueStart, int valueEnd, bool isFolded)
    {
        PrefixIndex = prefixIndex;
        Field = field;
        LineStart = lineStart;
        LineEnd = lineEnd;
        ValueStart = valueStart;
        ValueEnd = valueEnd;
        IsFolded = isFolded;
    }

    /// <summary>Which configured prefix (precedence order) the name has.</summary>
    public int PrefixIndex { get; }

    /// <summary>traceparent or tracestate.</summary>
    public TraceField Field { get; }

    /// <summary>Offset of the header line's first byte.</summary>
    public int LineStart { get; }

    /// <summary>Offset just past the line's terminator, continuation lines included.</summary>
    public int LineEnd { get; }

    /// <summary>Offset of the value's first byte (after the colon and whitespace).</summary>
    public int ValueStart { get; }

    /// <summary>Offset just past the value's last non-whitespace byte.</summary>
    public int ValueEnd { get; }

    /// <summary>Whether the value continues on folded lines (RFC 3261 §7.3.1).</summary>
    public bool IsFolded { get; }
}

/// <summary>Room for <see cref="TraceHeaderFinder.MaxTraceHeaders"/> lines, as a local.</summary>
/// <remarks>
/// A fixed-size local rather than <c>stackalloc</c>: a method that allocates on the stack is compiled
/// without tiering, and the JIT then copied its span arguments through memory in a way that stalled
/// the processor (two 8-byte stores read back as one 16-byte load) at every call. Callers skip its
/// zeroing: only the lines the finder has written (its count) are ever read.
/// </remarks>
#if NET
[InlineArray(TraceHeaderFinder.MaxTraceHeaders)]
internal struct TraceHeaderLines
{
    private TraceHeaderLine _element;
}
#else
// netstandard2.0 has no inline arrays: the same room as fields, for SipRawScan (a ref struct, so on the
// stack, where a span over them is safe); the propagator's locals use stackalloc instead.
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
internal struct TraceHeaderLines
{
#pragma warning disable CS0169, IDE0044, IDE0051 // reached through _element0
    private TraceHeaderLine _element0, _element1, _element2, _element3, _element4, _element5, _element6, _element7,
        _element8, _element9, _element10, _element11, _element12, _element13, _element14, _element15;
#pragma warning restore CS0169, IDE0044, IDE0051

    /// <summary>The lines, for a <see cref="TraceHeaderLines"/> on the stack only (a local or a ref struct's field).</summary>
    [System.Diagnostics.CodeAnalysis.UnscopedRef]
    public unsafe Span<TraceHeaderLine> AsStackSpan() =>
        new(Unsafe.AsPointer(ref _element0), TraceHeaderFinder.MaxTraceHeaders);
}
#endif
