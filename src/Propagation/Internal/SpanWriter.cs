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
            // Common (adjacent trace headers leave nothing between them), and the copy is a call.
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

    /// <summary>Counts the next <paramref name="length"/> bytes as written: the caller has put them in place already.</summary>
    public void Skip(int length)
    {
        if (Overflowed || length > _destination.Length - Written)
        {
            Overflowed = true;
            return;
        }

        Written += length;
    }

    /// <summary>Hands out the next <paramref name="length"/> bytes to be filled in place.</summary>
    public bool TryReserve(int length, out Span<byte> reserved)
    {
        if (Overflowed || length > _destination.Length - Written)
        {
            Overflowed = true;
            reserved = default;
            return false;
        }

        reserved = _destination.Slice(Written, length);
        Written += length;
        return true;
    }
}
