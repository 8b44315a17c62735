// netstandard2.0 only: the integer and char helpers of newer .NET, scalar: BitOperations, the
// truncating conversions of generic math for the byte/char code units this code is generic over,
// char's ASCII classes and Math.Clamp.
using System.Runtime.CompilerServices;

namespace System.Numerics
{
    internal static class BitOperations
    {
        public static int TrailingZeroCount(uint value)
        {
            if (value == 0)
            {
                return 32;
            }

            int count = 0;
            while ((value & 1) == 0)
            {
                value >>= 1;
                count++;
            }

            return count;
        }

        public static int TrailingZeroCount(ulong value) =>
            (uint)value != 0 ? TrailingZeroCount((uint)value) : 32 + TrailingZeroCount((uint)(value >> 32));

        public static int TrailingZeroCount(int value) => TrailingZeroCount((uint)value);

        public static int TrailingZeroCount(long value) => TrailingZeroCount((ulong)value);

        public static int LeadingZeroCount(uint value)
        {
            int count = 32;
            while (value != 0)
            {
                value >>= 1;
                count--;
            }

            return count;
        }

        public static int LeadingZeroCount(ulong value) =>
            (value >> 32) != 0 ? LeadingZeroCount((uint)(value >> 32)) : 32 + LeadingZeroCount((uint)value);

        public static int Log2(uint value) => 31 - LeadingZeroCount(value | 1);

        public static int Log2(ulong value) => 63 - LeadingZeroCount(value | 1);

        public static int PopCount(uint value)
        {
            int count = 0;
            while (value != 0)
            {
                value &= value - 1;
                count++;
            }

            return count;
        }

        public static int PopCount(ulong value) => PopCount((uint)value) + PopCount((uint)(value >> 32));

        public static uint RoundUpToPowerOf2(uint value)
        {
            // As .NET: 0 stays 0, and values above 2^31 wrap to 0.
            value--;
            value |= value >> 1;
            value |= value >> 2;
            value |= value >> 4;
            value |= value >> 8;
            value |= value >> 16;
            return value + 1;
        }

        public static uint RotateLeft(uint value, int offset) => (value << offset) | (value >> (32 - offset));

        public static ulong RotateLeft(ulong value, int offset) => (value << offset) | (value >> (64 - offset));
    }
}

namespace SipTraceContext
{
    internal static class NumericPolyfills
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static uint ToUInt32<T>(T value)
            where T : unmanaged =>
            typeof(T) == typeof(byte) ? Unsafe.As<T, byte>(ref value)
            : typeof(T) == typeof(char) ? Unsafe.As<T, char>(ref value)
            : typeof(T) == typeof(ushort) ? Unsafe.As<T, ushort>(ref value)
            : typeof(T) == typeof(int) ? (uint)Unsafe.As<T, int>(ref value)
            : typeof(T) == typeof(uint) ? Unsafe.As<T, uint>(ref value)
            : throw new NotSupportedException();

        extension(uint)
        {
            /// <summary>The code unit's value (byte, char or ushort); generic math's CreateTruncating for them.</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static uint CreateTruncating<T>(T value)
                where T : unmanaged => ToUInt32(value);
        }

    }

    internal static class Int32Polyfills
    {
        extension(int)
        {
            /// <summary>The code unit's value (byte, char or ushort); generic math's CreateTruncating for them.</summary>
            [MethodImpl(MethodImplOptions.AggressiveInlining)]
            public static int CreateTruncating<T>(T value)
                where T : unmanaged => (int)uint.CreateTruncating(value);
        }

    }

    internal static class CharPolyfills
    {
        extension(char)
        {
            public static bool IsAsciiDigit(char c) => (uint)(c - '0') <= 9;

            public static bool IsAsciiLetter(char c) => (uint)((c | 0x20) - 'a') <= 'z' - 'a';

            public static bool IsAsciiLetterLower(char c) => (uint)(c - 'a') <= 'z' - 'a';

            public static bool IsAsciiLetterUpper(char c) => (uint)(c - 'A') <= 'Z' - 'A';

            public static bool IsAsciiLetterOrDigit(char c) => char.IsAsciiLetter(c) || char.IsAsciiDigit(c);

            public static bool IsAsciiHexDigit(char c) => char.IsAsciiDigit(c) || (uint)((c | 0x20) - 'a') <= 'f' - 'a';

            public static bool IsAsciiHexDigitLower(char c) => char.IsAsciiDigit(c) || (uint)(c - 'a') <= 'f' - 'a';

            public static bool IsBetween(char c, char minInclusive, char maxInclusive) => (uint)(c - minInclusive) <= (uint)(maxInclusive - minInclusive);
        }
    }

    internal static class MathPolyfills
    {

        extension(Math)
        {
            public static int Clamp(int value, int min, int max)
            {
                if (min > max)
                {
                    throw new ArgumentException($"'{min}' cannot be greater than {max}.");
                }

                return value < min ? min : value > max ? max : value;
            }

            public static long Clamp(long value, long min, long max)
            {
                if (min > max)
                {
                    throw new ArgumentException($"'{min}' cannot be greater than {max}.");
                }

                return value < min ? min : value > max ? max : value;
            }

            public static double Clamp(double value, double min, double max)
            {
                if (min > max)
                {
                    throw new ArgumentException($"'{min}' cannot be greater than {max}.");
                }

                return value < min ? min : value > max ? max : value;
            }
        }
    }
}
