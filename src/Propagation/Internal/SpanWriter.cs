namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// Appends to a span and remembers whether anything did not fit, so a message is assembled with
/// straight-line code and checked once at the end.
/// </summary>
internal ref struct SpanWriter
{
    private readonly Span<byte> _destination;

    public SpanWriter(Span<byte> destination)
    {
        _destination = destination;
        Written = 0;
        Overflowed = false;
    }

    /// <summary>Bytes written so far.</summary>
    public int Written { get; private set; }

    /// <summary>Whether a write did not fit; once set, nothing more is written.</summary>
    public bool Overflowed { get; private set; }

    public void Write(scoped ReadOnlySpan<byte> bytes)
    {
        if (bytes.IsEmpty)
        {
            // Common (adjacent removed lines leave nothing between them), and the copy is a call.
            return;
        }

        if (Overflowed || bytes.Length > _destination.Length - Written)
        {
            Overflowed = true;
            return;
        }

        ShortCopy.Copy(bytes, _destination[Written..]);
        Written += bytes.Length;
    }
}
