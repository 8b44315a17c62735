using System.Buffers;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using SipTraceContext.Propagation.Internal;

namespace SipTraceContext.Propagation;

/// <summary>
/// A raw SIP message with its trace headers found, from <see cref="SipRawPropagator.Scan"/>: extract from
/// it and inject into a copy of it without reading the message again.
/// </summary>
/// <remarks>
/// <para>
/// A proxy reads the context of every message it receives, starts its span from it, and forwards the
/// message with the span's context in place of the one it came with. With
/// <see cref="SipRawPropagator.TryExtract(ReadOnlySpan{byte}, out ActivityContext)"/> and then
/// <see cref="SipRawPropagator.TryInject(ReadOnlySpan{byte}, in ActivityContext, Span{byte}, out int)"/>
/// each of the two reads the whole header section; this reads it once:
/// </para>
/// <code>
/// SipRawScan scan = propagator.Scan(received);
/// scan.TryExtract(out ActivityContext parent);
/// using Activity? span = source.StartActivity("INVITE", ActivityKind.Server, parent);
/// scan.TryInject(span?.Context ?? parent, forwarded, out int length);
/// </code>
/// <para>
/// The results are exactly those of the propagator's own methods on the same message. A
/// <c>default</c> instance, or one for a message that <c>SipMessageReader</c> would reject or frame
/// differently (see the propagator's remarks), extracts and injects nothing; one whose body is not
/// exactly its Content-Length extracts but does not inject.
/// </para>
/// </remarks>
public ref struct SipRawScan
{
    private readonly SipRawPropagator? _propagator;
    private readonly ReadOnlySpan<byte> _message;
    private readonly int _count;
    private readonly int _headersEnd;
    private readonly bool _crlf;
    private readonly MessageFraming _framing;
    private TraceHeaderLines _lines;

    internal SipRawScan(SipRawPropagator propagator, ReadOnlySpan<byte> message, byte[][] lowerCasePrefixes)
    {
        _message = message;

        // Only the lines the finder writes (its count) are ever read.
        Unsafe.SkipInit(out _lines);
#if NET
        _framing = TraceHeaderFinder.ScanRaw(message, lowerCasePrefixes, _lines, out _count, out _headersEnd, out ReadOnlySpan<byte> lineEnding);
#else
        _framing = TraceHeaderFinder.ScanRaw(message, lowerCasePrefixes, _lines.AsStackSpan(), out _count, out _headersEnd, out ReadOnlySpan<byte> lineEnding);
#endif
        _propagator = _framing == MessageFraming.Refused ? null : propagator;
        _crlf = lineEnding.Length == 2;
    }

    /// <summary>
    /// Whether the message is one whole message, framed as <c>SipMessageReader</c> frames it, whose trace
    /// headers were all read: what injection needs. Extraction needs only the header section, so it also
    /// works on a message cut short in its body.
    /// </summary>
    public readonly bool IsComplete => _framing == MessageFraming.WholeMessage;

    /// <summary>The message this was read from.</summary>
    public readonly ReadOnlySpan<byte> Message => _message;

    /// <summary>
    /// The traceparent of the message, without allocating: as
    /// <see cref="SipRawPropagator.TryExtract(ReadOnlySpan{byte}, out TraceParent)"/>.
    /// </summary>
    /// <param name="traceParent">The traceparent found, or <c>default</c>.</param>
    /// <returns>Whether a valid traceparent was found.</returns>
    public readonly bool TryExtract(out TraceParent traceParent)
    {
        if (_propagator is null)
        {
            traceParent = default;
            return false;
        }

        return _propagator.TryExtractFrom(_message, Lines, out traceParent);
    }

    /// <summary>
    /// The trace context of the message: as
    /// <see cref="SipRawPropagator.TryExtract(ReadOnlySpan{byte}, out ActivityContext)"/>.
    /// </summary>
    /// <param name="context">The remote context, or <c>default</c>.</param>
    /// <returns>Whether a valid context was found.</returns>
    public readonly bool TryExtract(out ActivityContext context)
    {
        if (_propagator is null)
        {
            context = default;
            return false;
        }

        return _propagator.TryExtractFrom(_message, Lines, out context);
    }

    /// <summary>
    /// Writes the message with its trace headers replaced by <paramref name="context"/>'s: as
    /// <see cref="SipRawPropagator.TryInject(ReadOnlySpan{byte}, in ActivityContext, Span{byte}, out int)"/>.
    /// </summary>
    /// <param name="context">The context to send.</param>
    /// <param name="destination">Where the new message goes; must not overlap the message.</param>
    /// <param name="bytesWritten">The length of the new message, or 0 on failure.</param>
    /// <returns>
    /// <c>false</c> (<paramref name="bytesWritten"/> 0, the destination's contents unspecified) when the
    /// context is invalid, the message is not <see cref="IsComplete"/>, or the destination is too small.
    /// </returns>
    public readonly bool TryInject(in ActivityContext context, Span<byte> destination, out int bytesWritten)
    {
        bytesWritten = 0;
        if (_propagator is null || !IsComplete)
        {
            SipPropagationEventSource.Log.InjectFailed(SipRawPropagator.NotOneWholeMessage);
            return false;
        }

        if (!TraceParent.HasValidIds(context))
        {
            SipPropagationEventSource.Log.InjectFailed("invalid context");
            return false;
        }

        return _propagator.TryInjectFrom(_message, Lines, _headersEnd, _crlf ? "\r\n"u8 : "\n"u8, context, destination, out bytesWritten);
    }

    /// <summary>
    /// Writes the message with its trace headers replaced by <paramref name="context"/>'s to
    /// <paramref name="writer"/>: as
    /// <see cref="SipRawPropagator.TryInject(ReadOnlySpan{byte}, in ActivityContext, IBufferWriter{byte}, out int)"/>.
    /// </summary>
    /// <param name="context">The context to send.</param>
    /// <param name="writer">Receives the new message.</param>
    /// <param name="bytesWritten">The length of the new message, or 0 on failure.</param>
    /// <returns><c>false</c> (nothing advanced) when the context is invalid or the message is not <see cref="IsComplete"/>.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="writer"/> is null.</exception>
    public readonly bool TryInject(in ActivityContext context, IBufferWriter<byte> writer, out int bytesWritten)
    {
        ArgumentNullException.ThrowIfNull(writer);
        bytesWritten = 0;
        if (_propagator is null || !IsComplete)
        {
            SipPropagationEventSource.Log.InjectFailed(SipRawPropagator.NotOneWholeMessage);
            return false;
        }

        Span<byte> destination = writer.GetSpan(_message.Length + _propagator.MaxAddedBytes);
        if (!TryInject(context, destination, out bytesWritten))
        {
            return false;
        }

        writer.Advance(bytesWritten);
        return true;
    }

#if NET
    [UnscopedRef]
    private readonly ReadOnlySpan<TraceHeaderLine> Lines => ((ReadOnlySpan<TraceHeaderLine>)_lines)[.._count];
#else
    [UnscopedRef]
    private readonly ReadOnlySpan<TraceHeaderLine> Lines => Unsafe.AsRef(in _lines).AsStackSpan()[.._count];
#endif
}
