using System.Buffers.Binary;

namespace SipTraceContext.Capture.Internal;

/// <summary>
/// Reads the frames of a pcap or pcapng file from a stream, one at a time, into one reused buffer: no
/// length field of the file makes it allocate more than <see cref="MaxBlockLength"/> bytes. A file that
/// ends inside a frame or holds an impossible length stops the reading with <see cref="Error"/> set; a
/// frame that cannot be used (an unknown interface, a timestamp out of range) is counted and skipped.
/// </summary>
internal sealed class CaptureFileReader
{
    /// <summary>The largest frame read: 256 KiB, the snapshot length tcpdump and tshark use by default.</summary>
    public const int MaxFrameLength = 262_144;

    /// <summary>The largest pcapng block read; a larger one stops the reading as corrupt.</summary>
    public const int MaxBlockLength = MaxFrameLength + 4096;

    /// <summary>Interfaces a pcapng section may describe; packets of further ones are skipped.</summary>
    public const int MaxInterfaces = 256;

    private const uint PcapMicroseconds = 0xA1B2C3D4;
    private const uint PcapNanoseconds = 0xA1B23C4D;
    private const uint SectionHeaderBlock = 0x0A0D0D0A;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const uint InterfaceDescriptionBlock = 1;
    private const uint ObsoletePacketBlock = 2;
    private const uint EnhancedPacketBlock = 6;
    private const long TicksPerSecond = TimeSpan.TicksPerSecond;
    private static readonly long MaxUnixSeconds = (DateTimeOffset.MaxValue.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / TicksPerSecond;

    private readonly Stream _stream;
    private readonly List<Interface> _interfaces = [];
    private byte[] _buffer = new byte[4096];
    private bool _pcapng;
    private bool _bigEndian;
    private Interface _pcapInterface;
    private bool _done;

    private CaptureFileReader(Stream stream) => _stream = stream;

    /// <summary>Why the reading stopped before the end of the file; <see langword="null"/> while it has not, or when the file was read to its end.</summary>
    public string? Error { get; private set; }

    /// <summary>Frames skipped: a packet block of an unknown interface, a Simple Packet Block (no timestamp), a timestamp out of range.</summary>
    public long FramesSkipped { get; private set; }

    /// <summary>The link type of the current frame (an LINKTYPE_ value).</summary>
    public int LinkType { get; private set; }

    /// <summary>The capture time of the current frame.</summary>
    public DateTimeOffset Timestamp { get; private set; }

    /// <summary>The bytes of the current frame (as captured: at most the snapshot length); valid until the next <see cref="TryRead"/>.</summary>
    public ReadOnlySpan<byte> Frame => _buffer.AsSpan(_frameOffset, _frameLength);

    private int _frameOffset;
    private int _frameLength;

    /// <summary>Opens a capture: reads its file header.</summary>
    /// <exception cref="InvalidDataException">The stream does not start as a pcap or pcapng file.</exception>
    public static CaptureFileReader Open(Stream stream)
    {
        var reader = new CaptureFileReader(stream);
        if (!reader.ReadExactly(0, 4))
        {
            throw new InvalidDataException("Not a pcap or pcapng file: shorter than 4 bytes.");
        }

        uint little = BinaryPrimitives.ReadUInt32LittleEndian(reader._buffer);
        uint big = BinaryPrimitives.ReadUInt32BigEndian(reader._buffer);
        if (little == SectionHeaderBlock)
        {
            reader._pcapng = true;
            if (!reader.ReadSectionHeader())
            {
                throw new InvalidDataException("Not a pcapng file: " + reader.Error);
            }
        }
        else if (little is PcapMicroseconds or PcapNanoseconds || big is PcapMicroseconds or PcapNanoseconds)
        {
            reader._bigEndian = big is PcapMicroseconds or PcapNanoseconds;
            bool nanoseconds = (reader._bigEndian ? big : little) == PcapNanoseconds;
            if (!reader.ReadExactly(4, 20))
            {
                throw new InvalidDataException("Not a pcap file: its header is cut short.");
            }

            int linkType = (int)(reader.ReadUInt32(20) & 0xFFFF);
            reader._pcapInterface = new Interface(linkType, nanoseconds ? 1_000_000_000UL : 1_000_000UL, 0);
        }
        else
        {
            throw new InvalidDataException("Not a pcap or pcapng file: unknown magic number 0x" + little.ToString("x8", System.Globalization.CultureInfo.InvariantCulture) + ".");
        }

        return reader;
    }

    /// <summary>Reads the next frame; <see langword="false"/> at the end of the file or once <see cref="Error"/> is set.</summary>
    public bool TryRead()
    {
        while (!_done)
        {
            bool? frame = _pcapng ? ReadBlock() : ReadRecord();
            if (frame == true)
            {
                return true;
            }

            if (frame is null)
            {
                _done = true;
            }
        }

        return false;
    }

    // true: a frame; false: a block without one (or a skipped frame); null: the end (Error set if early).
    private bool? ReadRecord()
    {
        int read = ReadSome(0, 16);
        if (read == 0)
        {
            return null;
        }

        if (read < 16)
        {
            return Stop("the file ends inside a record header");
        }

        uint seconds = ReadUInt32(0);
        uint fraction = ReadUInt32(4);
        uint captured = ReadUInt32(8);
        if (captured > MaxFrameLength)
        {
            return Stop($"a record of {captured} bytes, more than {MaxFrameLength}");
        }

        if (!ReadExactly(16, (int)captured))
        {
            return Stop("the file ends inside a record");
        }

        if (fraction >= _pcapInterface.UnitsPerSecond || !TrySetTimestamp(_pcapInterface, ((ulong)seconds * _pcapInterface.UnitsPerSecond) + fraction))
        {
            FramesSkipped++;
            return false;
        }

        LinkType = _pcapInterface.LinkType;
        _frameOffset = 16;
        _frameLength = (int)captured;
        return true;
    }

    private bool? ReadBlock()
    {
        int read = ReadSome(0, 8);
        if (read == 0)
        {
            return null;
        }

        if (read < 8)
        {
            return Stop("the file ends inside a block header");
        }

        if (BinaryPrimitives.ReadUInt32LittleEndian(_buffer) == SectionHeaderBlock)
        {
            // A new section, possibly of the other byte order: its interfaces start again.
            return ReadSectionHeader(headerRead: true) ? false : null;
        }

        uint type = ReadUInt32(0);
        uint length = ReadUInt32(4);
        if (length < 12 || length % 4 != 0 || length > MaxBlockLength)
        {
            return Stop($"a block of type {type} with length {length}");
        }

        if (!ReadExactly(8, (int)length - 8))
        {
            return Stop("the file ends inside a block");
        }

        if (ReadUInt32((int)length - 4) != length)
        {
            return Stop($"a block of type {type} whose trailing length does not match");
        }

        int bodyEnd = (int)length - 4;
        switch (type)
        {
            case InterfaceDescriptionBlock:
                if (bodyEnd < 16)
                {
                    return Stop("an interface description block cut short");
                }

                AddInterface(bodyEnd);
                return false;
            case EnhancedPacketBlock:
                return bodyEnd < 28 ? Stop("an enhanced packet block cut short") : PacketBlock(ReadUInt32(8), ReadUInt32(12), ReadUInt32(16), ReadUInt32(20), 28, bodyEnd);
            case ObsoletePacketBlock:
                return bodyEnd < 28 ? Stop("a packet block cut short") : PacketBlock(ReadUInt16(8), ReadUInt32(12), ReadUInt32(16), ReadUInt32(20), 28, bodyEnd);
            default:
                // Simple packet blocks have no timestamp; statistics, name resolution, custom blocks: not frames.
                if (type == 3)
                {
                    FramesSkipped++;
                }

                return false;
        }
    }

    private bool PacketBlock(uint interfaceId, uint high, uint low, uint captured, int dataOffset, int bodyEnd)
    {
        if (captured > (uint)(bodyEnd - dataOffset) || interfaceId >= (uint)_interfaces.Count || _interfaces[(int)interfaceId].UnitsPerSecond == 0)
        {
            FramesSkipped++;
            return false;
        }

        Interface own = _interfaces[(int)interfaceId];
        if (!TrySetTimestamp(own, ((ulong)high << 32) | low))
        {
            FramesSkipped++;
            return false;
        }

        LinkType = own.LinkType;
        _frameOffset = dataOffset;
        _frameLength = (int)captured;
        return true;
    }

    private void AddInterface(int bodyEnd)
    {
        int linkType = ReadUInt16(8);
        ulong unitsPerSecond = 1_000_000;
        long offsetSeconds = 0;

        // Options from offset 16: code, length, value padded to 4; code 0 ends them.
        int at = 16;
        while (at + 4 <= bodyEnd)
        {
            int code = ReadUInt16(at);
            int length = ReadUInt16(at + 2);
            if (code == 0 || at + 4 + length > bodyEnd)
            {
                break;
            }

            if (code == 9 && length == 1 && unitsPerSecond != 0)
            {
                // if_tsresol: a power of ten, or of two with the top bit set. One the reader cannot use
                // leaves the interface without a unit: its packets are skipped.
                byte resolution = _buffer[at + 4];
                int exponent = resolution & 0x7F;
                unitsPerSecond = (resolution & 0x80) != 0
                    ? (exponent <= 62 ? 1UL << exponent : 0)
                    : (exponent <= 19 ? Pow10(exponent) : 0);
            }
            else if (code == 14 && length == 8)
            {
                // if_tsoffset: seconds to add to every timestamp.
                offsetSeconds = (long)ReadUInt64(at + 4);
                if (offsetSeconds < -MaxUnixSeconds || offsetSeconds > MaxUnixSeconds)
                {
                    unitsPerSecond = 0;
                }
            }

            at += 4 + ((length + 3) & ~3);
        }

        if (_interfaces.Count < MaxInterfaces)
        {
            _interfaces.Add(new Interface(linkType, unitsPerSecond, offsetSeconds));
        }
    }

    private bool ReadSectionHeader(bool headerRead = false)
    {
        // Type (4) and length (4) are read; the byte-order magic tells how to read the length.
        int have = headerRead ? 8 : 4;
        if (!ReadExactly(have, 12 - have))
        {
            Error = "the file ends inside a section header block";
            return false;
        }

        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(8));
        if (magic == ByteOrderMagic)
        {
            _bigEndian = false;
        }
        else if (BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(8)) == ByteOrderMagic)
        {
            _bigEndian = true;
        }
        else
        {
            Error = "a section header block without its byte-order magic";
            return false;
        }

        uint length = ReadUInt32(4);
        if (length < 28 || length % 4 != 0 || length > MaxBlockLength)
        {
            Error = $"a section header block with length {length}";
            return false;
        }

        if (!ReadExactly(12, (int)length - 12))
        {
            Error = "the file ends inside a section header block";
            return false;
        }

        if (ReadUInt32((int)length - 4) != length)
        {
            Error = "a section header block whose trailing length does not match";
            return false;
        }

        _interfaces.Clear();
        return true;
    }

    private bool TrySetTimestamp(Interface own, ulong units)
    {
        ulong seconds = units / own.UnitsPerSecond;
        ulong fraction = units % own.UnitsPerSecond;
        long total = (long)Math.Min(seconds, (ulong)MaxUnixSeconds) + own.OffsetSeconds;
        if (seconds > (ulong)MaxUnixSeconds || total < 0 || total > MaxUnixSeconds - 1)
        {
            return false;
        }

        long ticks = (long)(fraction * ((double)TicksPerSecond / own.UnitsPerSecond));
        Timestamp = new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + (total * TicksPerSecond) + Math.Min(ticks, TicksPerSecond - 1), TimeSpan.Zero);
        return true;
    }

    private bool? Stop(string error)
    {
        Error = error;
        return null;
    }

    private static ulong Pow10(int exponent)
    {
        ulong value = 1;
        for (int i = 0; i < exponent; i++)
        {
            value *= 10;
        }

        return value;
    }

    private uint ReadUInt32(int offset) => _bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(_buffer.AsSpan(offset)) : BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(offset));

    private ushort ReadUInt16(int offset) => _bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(_buffer.AsSpan(offset)) : BinaryPrimitives.ReadUInt16LittleEndian(_buffer.AsSpan(offset));

    private ulong ReadUInt64(int offset) => _bigEndian ? BinaryPrimitives.ReadUInt64BigEndian(_buffer.AsSpan(offset)) : BinaryPrimitives.ReadUInt64LittleEndian(_buffer.AsSpan(offset));

    private bool ReadExactly(int offset, int count) => ReadSome(offset, count) == count;

    /// <summary>Reads up to <paramref name="count"/> bytes at <paramref name="offset"/> of the buffer (grown as needed, at most <see cref="MaxBlockLength"/>); fewer only at the end of the stream.</summary>
    private int ReadSome(int offset, int count)
    {
        int needed = offset + count;
        if (needed > _buffer.Length)
        {
            var grown = new byte[Math.Min(MaxBlockLength, Math.Max(needed, _buffer.Length * 2))];
            _buffer.AsSpan(0, offset).CopyTo(grown);
            _buffer = grown;
        }

        int total = 0;
        while (total < count)
        {
            int read = _stream.Read(_buffer, offset + total, count - total);
            if (read <= 0)
            {
                break;
            }

            total += read;
        }

        return total;
    }

    private readonly record struct Interface(int LinkType, ulong UnitsPerSecond, long OffsetSeconds);
}
