namespace SipTraceContext.Capture;

/// <summary>The outcome of <see cref="HepPacket.TryDecode"/>: <see cref="Ok"/> or why the datagram was rejected.</summary>
public enum HepDecodeStatus
{
    /// <summary>The datagram is a well-formed HEPv3 packet with a payload.</summary>
    Ok = 0,

    /// <summary>The datagram ends before its header or before the total length it declares.</summary>
    Truncated,

    /// <summary>The datagram does not start with <c>HEP3</c>.</summary>
    BadMagic,

    /// <summary>The total length field is smaller than the header or smaller than the datagram (trailing bytes).</summary>
    LengthMismatch,

    /// <summary>A chunk header is cut off, or a chunk length is below 6 or runs past the end of the packet.</summary>
    BadChunkLength,

    /// <summary>A known chunk has the wrong size for its type, or microseconds are 1,000,000 or more.</summary>
    BadChunkValue,

    /// <summary>A known chunk (or two chunks filling the same field, such as IPv4 and IPv6 source) appears twice.</summary>
    DuplicateChunk,

    /// <summary>The IP family chunk disagrees with the size of the address chunks.</summary>
    AddressFamilyMismatch,

    /// <summary>The packet has more than <see cref="HepPacket.MaxChunks"/> chunks.</summary>
    TooManyChunks,

    /// <summary>The packet has no payload chunk (type 15 or 16).</summary>
    MissingPayload,
}
