using System.Buffers;
using System.Buffers.Binary;

namespace SipTraceContext.Capture.Internal;

/// <summary>
/// Cuts a TCP byte stream into HEPv3 packets by their length field, in one pooled buffer of the largest
/// packet's size: a connection never holds more than that, however its sender splits or stalls.
/// </summary>
/// <remarks>
/// HEPv3 header (every packet on a stream starts with it; HEPv1 and v2 have no length and are UDP-only):
/// <code>
/// 0      4        6
/// "HEP3" | length | chunks...      length: big-endian, the whole packet including these 6 bytes
/// </code>
/// Use: write what the socket read into <see cref="GetFreeSpace"/>, <see cref="Advance"/> by the count, then
/// call <see cref="TryRead"/> until it returns <see cref="FrameStatus.NeedMore"/>. Not thread-safe: one
/// read loop owns it.
/// </remarks>
internal sealed class HepStreamFramer : IDisposable
{
    /// <summary>The largest HEPv3 packet: its length field is 16 bits.</summary>
    public const int MaxPacketLength = ushort.MaxValue;

    private const int LengthOffset = 4;

    private static ReadOnlySpan<byte> Magic => "HEP3"u8;

    private byte[]? _buffer = ArrayPool<byte>.Shared.Rent(MaxPacketLength);

    // The unread bytes are _buffer[_start.._end].
    private int _start;
    private int _end;

    /// <summary>The bytes received and not yet framed: part of a packet when the stream ends here.</summary>
    public int Buffered => _end - _start;

    /// <summary>
    /// Where the next read goes: the buffer's free end, after moving the unread bytes to its start. Never
    /// empty while <see cref="TryRead"/> last returned <see cref="FrameStatus.NeedMore"/>: a packet fits whole.
    /// </summary>
    public ArraySegment<byte> GetFreeSpace()
    {
        byte[] buffer = _buffer ?? throw new ObjectDisposedException(nameof(HepStreamFramer));
        if (_start > 0)
        {
            // Once per read, not once per packet: many small packets in one read are moved once.
            Buffer.BlockCopy(buffer, _start, buffer, 0, _end - _start);
            _end -= _start;
            _start = 0;
        }

        return new ArraySegment<byte>(buffer, _end, MaxPacketLength - _end);
    }

    /// <summary>Takes <paramref name="count"/> bytes written into the last <see cref="GetFreeSpace"/>.</summary>
    public void Advance(int count)
    {
        if ((uint)count > (uint)(MaxPacketLength - _end))
        {
            throw new ArgumentOutOfRangeException(nameof(count));
        }

        _end += count;
    }

    /// <summary>
    /// The next whole packet, valid until the next call of any member; or why there is none: more bytes
    /// are needed, or the stream is not HEPv3 (then it cannot be resynchronised: close it).
    /// </summary>
    public FrameStatus TryRead(out ReadOnlySpan<byte> packet)
    {
        packet = default;
        byte[] buffer = _buffer ?? throw new ObjectDisposedException(nameof(HepStreamFramer));
        ReadOnlySpan<byte> unread = buffer.AsSpan(_start, _end - _start);

        // The magic is checked byte by byte as it arrives, so garbage is refused before 6 bytes came.
        int magic = Math.Min(unread.Length, Magic.Length);
        if (!unread.Slice(0, magic).SequenceEqual(Magic.Slice(0, magic)))
        {
            return FrameStatus.Malformed;
        }

        if (unread.Length < HepPacket.HeaderLength)
        {
            return FrameStatus.NeedMore;
        }

        int length = BinaryPrimitives.ReadUInt16BigEndian(unread.Slice(LengthOffset));
        if (length < HepPacket.HeaderLength)
        {
            return FrameStatus.Malformed;
        }

        if (unread.Length < length)
        {
            return FrameStatus.NeedMore;
        }

        packet = unread.Slice(0, length);
        _start += length;
        return FrameStatus.Packet;
    }

    public void Dispose()
    {
        byte[]? buffer = _buffer;
        _buffer = null;
        if (buffer is not null)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>What <see cref="TryRead"/> found.</summary>
    public enum FrameStatus
    {
        /// <summary>A whole packet.</summary>
        Packet,

        /// <summary>Part of a packet, or nothing: read more.</summary>
        NeedMore,

        /// <summary>Not a HEPv3 header where a packet must start.</summary>
        Malformed,
    }
}
