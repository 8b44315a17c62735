using System.Buffers.Binary;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>How call state remembers a branch or a tag without keeping a copy of it.</summary>
internal static class CallStateHash
{
    // 2^64 divided by the golden ratio, made odd: multiplying by it is a bijection that spreads every
    // input bit over the high half of the product.
    private const ulong Multiplier = 0x9E3779B97F4A7C15UL;

    /// <summary>
    /// A 64-bit hash of a branch or a To tag, taken eight bytes at a time: transaction branches and To
    /// tags are compared by hash, so call state keeps no copy of them. A collision could only make a
    /// copy of a message look like a retransmission, never lose a span.
    /// </summary>
    /// <remarks>
    /// Branches and tags are random strings of 10 to 50 bytes (RFC 3261 §8.1.1.7 and §19.3); a
    /// byte-at-a-time hash would chain a multiplication per byte. Each word here is mixed by one
    /// multiplication and a shift, a bijection, so two values that differ in one word never collide.
    /// The length seeds the hash, so a value and the same value padded with zero bytes differ.
    /// </remarks>
    public static ulong Of(ReadOnlySpan<byte> value)
    {
        ulong hash = (ulong)value.Length * Multiplier;
        while (value.Length >= sizeof(ulong))
        {
            hash = Mix(hash ^ BinaryPrimitives.ReadUInt64LittleEndian(value));
            value = value[sizeof(ulong)..];
        }

        ulong tail = 0;
        for (int i = 0; i < value.Length; i++)
        {
            tail |= (ulong)value[i] << (8 * i);
        }

        hash = Mix(hash ^ tail);

        // 0 means "absent" in call state.
        return hash == 0 ? 1 : hash;
    }

    private static ulong Mix(ulong word)
    {
        ulong product = word * Multiplier;
        return product ^ (product >> 29);
    }
}
