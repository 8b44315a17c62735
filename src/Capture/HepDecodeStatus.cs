namespace SipTraceContext.Capture;

/// <summary>The outcome of <see cref="HepPacket.Decode"/>: <see cref="Ok"/> or why the datagram was rejected.</summary>
public enum HepDecodeStatus
{
    /// <summary>The datagram is a well-formed HEP packet with a payload.</summary>
    Ok = 0,

    /// <summary>The datagram ends before its header (HEPv1/v2: its headers) or before the total length it declares.</summary>
    Truncated,

    /// <summary>The datagram starts neither with <c>HEP3</c> nor with a HEPv1/v2 version byte (1 or 2).</summary>
    BadMagic,

    /// <summary>
    /// The total length field is smaller than the header or smaller than the datagram (trailing bytes);
    /// or a HEPv1/v2 header length is neither 16 (IPv4) nor 40 (IPv6).
    /// </summary>
    LengthMismatch,

    /// <summary>A chunk header is cut off, or a chunk length is below 6 or runs past the end of the packet.</summary>
    BadChunkLength,

    /// <summary>A known chunk has the wrong size for its type, or microseconds (HEPv3 chunk 10, or HEPv2's time header) are 1,000,000 or more.</summary>
    BadChunkValue,

    /// <summary>A known chunk (or two chunks filling the same field, such as IPv4 and IPv6 source) appears twice.</summary>
    DuplicateChunk,

    /// <summary>The IP family chunk (or HEPv1/v2 family byte) disagrees with the size of the addresses.</summary>
    AddressFamilyMismatch,

    /// <summary>The packet has more than <see cref="HepPacket.MaxChunks"/> chunks.</summary>
    TooManyChunks,

    /// <summary>The packet has no payload chunk (type 15 or 16); a HEPv1/v2 packet ends with its headers.</summary>
    MissingPayload,
}
