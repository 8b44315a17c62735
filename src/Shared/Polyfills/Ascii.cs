// netstandard2.0 only: the System.Text.Ascii comparisons (.NET 8), scalar. As in .NET, a non-ASCII
// element never compares equal, not even to itself.
using System.Runtime.CompilerServices;

namespace System.Text;

internal static class Ascii
{
    public static bool Equals(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right) => EqualsCore(left, right);

    public static bool Equals(ReadOnlySpan<byte> left, ReadOnlySpan<char> right) => EqualsCore(left, right);

    public static bool Equals(ReadOnlySpan<char> left, ReadOnlySpan<byte> right) => EqualsCore(left, right);

    public static bool Equals(ReadOnlySpan<char> left, ReadOnlySpan<char> right) => EqualsCore(left, right);

    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right) => EqualsIgnoreCaseCore(left, right);

    public static bool EqualsIgnoreCase(ReadOnlySpan<byte> left, ReadOnlySpan<char> right) => EqualsIgnoreCaseCore(left, right);

    public static bool EqualsIgnoreCase(ReadOnlySpan<char> left, ReadOnlySpan<byte> right) => EqualsIgnoreCaseCore(left, right);

    public static bool EqualsIgnoreCase(ReadOnlySpan<char> left, ReadOnlySpan<char> right) => EqualsIgnoreCaseCore(left, right);

    public static bool IsValid(ReadOnlySpan<byte> value)
    {
        foreach (byte b in value)
        {
            if (b > 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    public static bool IsValid(ReadOnlySpan<char> value)
    {
        foreach (char c in value)
        {
            if (c > 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private static bool EqualsCore<TLeft, TRight>(ReadOnlySpan<TLeft> left, ReadOnlySpan<TRight> right)
        where TLeft : unmanaged
        where TRight : unmanaged
    {
        if (left.Length != right.Length)
        {
            return false;
        }

        for (int i = 0; i < left.Length; i++)
        {
            uint a = ToUInt(left[i]);
            if (a != ToUInt(right[i]) || a > 0x7F)
            {
                return false;
            }
        }

        return true;
    }

    private static bool EqualsIgnoreCaseCore<TLeft, TRight>(ReadOnlySpan<TLeft> left, ReadOnlySpan<TRight> right)
        where TLeft : unmanaged
        where TRight : unmanaged
    {
        if (left.Length != right.Length)
        {
            return false;
        }

        for (int i = 0; i < left.Length; i++)
        {
            uint a = ToUInt(left[i]);
            uint b = ToUInt(right[i]);
            if ((a | b) > 0x7F)
            {
                return false;
            }

            if (a == b)
            {
                continue;
            }

            a |= 0x20;
            if (a - 'a' > 'z' - 'a' || a != (b | 0x20))
            {
                return false;
            }
        }

        return true;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static uint ToUInt<T>(T value)
        where T : unmanaged =>
        typeof(T) == typeof(byte) ? Unsafe.As<T, byte>(ref value) : Unsafe.As<T, char>(ref value);
}
