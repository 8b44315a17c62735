using System.IO.Compression;

namespace SipTraceContext.Capture.Internal;

/// <summary>
/// Inflates a compressed HEPv3 payload (chunk 16): zlib (RFC 1950, what Homer's captagent sends) or
/// gzip (RFC 1952), told apart by gzip's magic bytes. The output is bounded: a payload that inflates to
/// more than <see cref="MaxInflatedLength"/> bytes (a zip bomb) is refused like a corrupt one, having
/// inflated at most that much.
/// </summary>
internal static class HepPayloadInflater
{
    /// <summary>The largest SIP message a datagram can carry; no captured message is longer.</summary>
    public const int MaxInflatedLength = 65_535;

    /// <summary>
    /// Inflates <paramref name="count"/> bytes of <paramref name="source"/> from <paramref name="offset"/> into <paramref name="destination"/> (at least
    /// <see cref="MaxInflatedLength"/> + 1 bytes). Returns the inflated length, or -1 when the payload is
    /// not a complete zlib or gzip stream or inflates to more than <see cref="MaxInflatedLength"/> bytes.
    /// </summary>
    public static int TryInflate(byte[] source, int offset, int count, byte[] destination)
    {
        if (count < 2)
        {
            return -1;
        }

        try
        {
            using var input = new MemoryStream(source, offset, count, writable: false);
            using Stream inflater = Open(input, source[offset], source[offset + 1]);
            int total = 0;
            while (total <= MaxInflatedLength)
            {
                int read = inflater.Read(destination, total, MaxInflatedLength + 1 - total);
                if (read == 0)
                {
                    // Nothing inflated (a stream cut short after its header) is no message either.
                    return total == 0 ? -1 : total;
                }

                total += read;
            }

            return -1;
        }
        catch (InvalidDataException)
        {
            return -1;
        }
    }

    private static Stream Open(MemoryStream input, byte first, byte second)
    {
        if (first == 0x1f && second == 0x8b)
        {
            return new GZipStream(input, CompressionMode.Decompress);
        }

#if NET
        return new ZLibStream(input, CompressionMode.Decompress);
#else
        // No ZLibStream: check the two-byte zlib header (deflate, no preset dictionary, valid check
        // bits), then inflate the deflate stream after it. The Adler-32 trailer is not checked.
        if ((first & 0x0f) != 8 || (first << 8 | second) % 31 != 0 || (second & 0x20) != 0)
        {
            throw new InvalidDataException("not a zlib stream");
        }

        input.Position = 2;
        return new DeflateStream(input, CompressionMode.Decompress);
#endif
    }
}
