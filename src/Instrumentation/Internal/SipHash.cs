using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// SipHash-2-4 (Aumasson and Bernstein, 2012): a keyed pseudorandom function with a 128-bit key, fast
/// on the short inputs that derived ids hash (a Call-ID and a Via branch), with 64-bit and 128-bit
/// outputs. Written from the paper's description; checked against its test vectors.
/// </summary>
internal static class SipHash
{
    /// <summary>The 64-bit SipHash-2-4 of <paramref name="data"/> under the key (<paramref name="k0"/>, <paramref name="k1"/>), little-endian halves of the 16 key bytes.</summary>
    public static ulong Hash64(ulong k0, ulong k1, ReadOnlySpan<byte> data)
    {
        var state = new State(k0, k1, wide: false);
        state.Compress(data);
        return state.Finish(0xff);
    }

    /// <summary>The 128-bit SipHash-2-4 of <paramref name="data"/>, written little-endian to the 16 bytes of <paramref name="destination"/>.</summary>
    public static void Hash128(ulong k0, ulong k1, ReadOnlySpan<byte> data, Span<byte> destination)
    {
        var state = new State(k0, k1, wide: true);
        state.Compress(data);
        BinaryPrimitives.WriteUInt64LittleEndian(destination, state.Finish(0xee));
        BinaryPrimitives.WriteUInt64LittleEndian(destination[8..], state.FinishSecond());
    }

    private struct State
    {
        private ulong _v0;
        private ulong _v1;
        private ulong _v2;
        private ulong _v3;

        public State(ulong k0, ulong k1, bool wide)
        {
            _v0 = k0 ^ 0x736f6d6570736575UL;
            _v1 = k1 ^ 0x646f72616e646f6dUL;
            _v2 = k0 ^ 0x6c7967656e657261UL;
            _v3 = k1 ^ 0x7465646279746573UL;
            if (wide)
            {
                _v1 ^= 0xee;
            }
        }

        public void Compress(ReadOnlySpan<byte> data)
        {
            int whole = data.Length & ~7;
            for (int at = 0; at < whole; at += 8)
            {
                Absorb(BinaryPrimitives.ReadUInt64LittleEndian(data[at..]));
            }

            // The last word: the remaining bytes, and the length's low byte on top.
            ulong last = (ulong)(data.Length & 0xff) << 56;
            for (int i = whole; i < data.Length; i++)
            {
                last |= (ulong)data[i] << (8 * (i - whole));
            }

            Absorb(last);
        }

        public ulong Finish(byte constant)
        {
            _v2 ^= constant;
            Rounds(4);
            return _v0 ^ _v1 ^ _v2 ^ _v3;
        }

        public ulong FinishSecond()
        {
            _v1 ^= 0xdd;
            Rounds(4);
            return _v0 ^ _v1 ^ _v2 ^ _v3;
        }

        private void Absorb(ulong word)
        {
            _v3 ^= word;
            Rounds(2);
            _v0 ^= word;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private void Rounds(int count)
        {
            for (int i = 0; i < count; i++)
            {
                _v0 += _v1;
                _v1 = RotateLeft(_v1, 13);
                _v1 ^= _v0;
                _v0 = RotateLeft(_v0, 32);
                _v2 += _v3;
                _v3 = RotateLeft(_v3, 16);
                _v3 ^= _v2;
                _v0 += _v3;
                _v3 = RotateLeft(_v3, 21);
                _v3 ^= _v0;
                _v2 += _v1;
                _v1 = RotateLeft(_v1, 17);
                _v1 ^= _v2;
                _v2 = RotateLeft(_v2, 32);
            }
        }

        private static ulong RotateLeft(ulong value, int bits) => (value << bits) | (value >> (64 - bits));
    }
}
