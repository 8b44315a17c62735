// netstandard2.0 only: SearchValues and the MemoryExtensions searches .NET 8 added, as a plain
// bitmap lookup and scalar loops. Same results as .NET's vectorised versions, one element at a time.
#pragma warning disable CA1000, CA1812

using System.Buffers;
using System.Runtime.CompilerServices;

namespace System.Buffers
{
    internal static class SearchValues
    {
        public static SearchValues<byte> Create(params ReadOnlySpan<byte> values) => new(values);

        public static SearchValues<char> Create(params ReadOnlySpan<char> values) => new(values);
    }

    /// <summary>A set of bytes or chars, as one bit per possible value.</summary>
    internal sealed class SearchValues<T>
        where T : unmanaged, IEquatable<T>
    {
        private readonly uint[] _bits;

        internal SearchValues(ReadOnlySpan<T> values)
        {
            int max = 0;
            foreach (T value in values)
            {
                max = Math.Max(max, ToInt(value));
            }

            _bits = new uint[(max >> 5) + 1];
            foreach (T value in values)
            {
                int v = ToInt(value);
                _bits[v >> 5] |= 1u << (v & 31);
            }
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public bool Contains(T value)
        {
            int v = ToInt(value);
            uint[] bits = _bits;
            return (v >> 5) < bits.Length && (bits[v >> 5] & (1u << (v & 31))) != 0;
        }

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        private static int ToInt(T value) =>
            typeof(T) == typeof(byte) ? Unsafe.As<T, byte>(ref value)
            : typeof(T) == typeof(char) ? Unsafe.As<T, char>(ref value)
            : throw new NotSupportedException();
    }
}

namespace SipTraceContext
{
    internal static class SearchPolyfills
    {
        extension<T>(ReadOnlySpan<T> span)
            where T : unmanaged, IEquatable<T>
        {
            public int IndexOfAny(SearchValues<T> values)
            {
                for (int i = 0; i < span.Length; i++)
                {
                    if (values.Contains(span[i]))
                    {
                        return i;
                    }
                }

                return -1;
            }

            public int IndexOfAnyExcept(SearchValues<T> values)
            {
                for (int i = 0; i < span.Length; i++)
                {
                    if (!values.Contains(span[i]))
                    {
                        return i;
                    }
                }

                return -1;
            }

            public int LastIndexOfAny(SearchValues<T> values)
            {
                for (int i = span.Length - 1; i >= 0; i--)
                {
                    if (values.Contains(span[i]))
                    {
                        return i;
                    }
                }

                return -1;
            }

            public int LastIndexOfAnyExcept(SearchValues<T> values)
            {
                for (int i = span.Length - 1; i >= 0; i--)
                {
                    if (!values.Contains(span[i]))
                    {
                        return i;
                    }
                }

                return -1;
            }

            public bool ContainsAny(SearchValues<T> values) => span.IndexOfAny(values) >= 0;

            public bool ContainsAnyExcept(SearchValues<T> values) => span.IndexOfAnyExcept(values) >= 0;

            public int IndexOfAnyExcept(T value)
            {
                for (int i = 0; i < span.Length; i++)
                {
                    if (!span[i].Equals(value))
                    {
                        return i;
                    }
                }

                return -1;
            }

            public int IndexOfAnyExcept(T value0, T value1)
            {
                for (int i = 0; i < span.Length; i++)
                {
                    if (!span[i].Equals(value0) && !span[i].Equals(value1))
                    {
                        return i;
                    }
                }

                return -1;
            }

            public int LastIndexOfAnyExcept(T value)
            {
                for (int i = span.Length - 1; i >= 0; i--)
                {
                    if (!span[i].Equals(value))
                    {
                        return i;
                    }
                }

                return -1;
            }

            public int LastIndexOfAnyExcept(T value0, T value1)
            {
                for (int i = span.Length - 1; i >= 0; i--)
                {
                    if (!span[i].Equals(value0) && !span[i].Equals(value1))
                    {
                        return i;
                    }
                }

                return -1;
            }

            public bool ContainsAnyExcept(T value) => span.IndexOfAnyExcept(value) >= 0;

            public bool ContainsAny(T value0, T value1) => span.IndexOfAny(value0, value1) >= 0;

            public bool ContainsAny(T value0, T value1, T value2) => span.IndexOfAny(value0, value1, value2) >= 0;

            public bool Contains(T value) => span.IndexOf(value) >= 0;
        }

        extension<T>(Span<T> span)
            where T : unmanaged, IEquatable<T>
        {
            public int IndexOfAny(SearchValues<T> values) => ((ReadOnlySpan<T>)span).IndexOfAny(values);

            public int IndexOfAnyExcept(SearchValues<T> values) => ((ReadOnlySpan<T>)span).IndexOfAnyExcept(values);

            public bool ContainsAny(SearchValues<T> values) => ((ReadOnlySpan<T>)span).IndexOfAny(values) >= 0;

            public bool ContainsAnyExcept(SearchValues<T> values) => ((ReadOnlySpan<T>)span).IndexOfAnyExcept(values) >= 0;
        }
    }
}
