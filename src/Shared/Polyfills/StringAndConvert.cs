// netstandard2.0 only: string.Create (.NET Core 2.1) and Convert.ToHexString (.NET 5), as static
// extension members with .NET's results.
using System.Buffers;

namespace System.Buffers
{
    /// <summary>The callback of <c>string.Create</c> (.NET Core 2.1).</summary>
    internal delegate void SpanAction<T, in TArg>(Span<T> span, TArg arg);
}

namespace SipTraceContext
{
    internal static class StringPolyfills
    {
        extension(string)
        {
            public static string Create<TState>(int length, TState state, SpanAction<char, TState> action)
            {
                ArgumentNullException.ThrowIfNull(action);
                ArgumentOutOfRangeException.ThrowIfNegative(length);
                if (length == 0)
                {
                    return string.Empty;
                }

                char[]? rented = null;
                Span<char> buffer = length <= 256 ? stackalloc char[length] : (rented = ArrayPool<char>.Shared.Rent(length)).AsSpan(0, length);
                action(buffer, state);
                string result = buffer.ToString();
                if (rented is not null)
                {
                    ArrayPool<char>.Shared.Return(rented);
                }

                return result;
            }
        }
    }

    internal static class ConvertPolyfills
    {
        extension(Convert)
        {
            /// <summary>Upper-case hex digits, two per byte, as .NET's.</summary>
            public static string ToHexString(ReadOnlySpan<byte> bytes)
            {
                const string Digits = "0123456789ABCDEF";
                char[] chars = new char[bytes.Length * 2];
                for (int i = 0; i < bytes.Length; i++)
                {
                    chars[2 * i] = Digits[bytes[i] >> 4];
                    chars[(2 * i) + 1] = Digits[bytes[i] & 0xF];
                }

                return new string(chars);
            }
        }
    }
}
