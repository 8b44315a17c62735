// netstandard2.0 only: the MemoryExtensions searches and trims that System.Memory's netstandard2.0
// build lacks (.NET Core 2.1 to .NET 8), as scalar loops with .NET's results; and Array.MaxLength.
namespace SipTraceContext;

internal static class MemoryPolyfills
{
    extension<T>(ReadOnlySpan<T> span)
        where T : unmanaged, IEquatable<T>, IComparable<T>
    {
        public int IndexOfAnyExcept(ReadOnlySpan<T> values)
        {
            for (int i = 0; i < span.Length; i++)
            {
                if (values.IndexOf(span[i]) < 0)
                {
                    return i;
                }
            }

            return -1;
        }

        public int LastIndexOfAnyExcept(ReadOnlySpan<T> values)
        {
            for (int i = span.Length - 1; i >= 0; i--)
            {
                if (values.IndexOf(span[i]) < 0)
                {
                    return i;
                }
            }

            return -1;
        }

        public bool ContainsAny(ReadOnlySpan<T> values) => span.IndexOfAny(values) >= 0;

        public bool ContainsAnyExcept(ReadOnlySpan<T> values) => span.IndexOfAnyExcept(values) >= 0;

        public int IndexOfAnyInRange(T lowInclusive, T highInclusive)
        {
            for (int i = 0; i < span.Length; i++)
            {
                if (span[i].CompareTo(lowInclusive) >= 0 && span[i].CompareTo(highInclusive) <= 0)
                {
                    return i;
                }
            }

            return -1;
        }

        public int IndexOfAnyExceptInRange(T lowInclusive, T highInclusive)
        {
            for (int i = 0; i < span.Length; i++)
            {
                if (span[i].CompareTo(lowInclusive) < 0 || span[i].CompareTo(highInclusive) > 0)
                {
                    return i;
                }
            }

            return -1;
        }

        public bool ContainsAnyInRange(T lowInclusive, T highInclusive) => span.IndexOfAnyInRange(lowInclusive, highInclusive) >= 0;

        public bool ContainsAnyExceptInRange(T lowInclusive, T highInclusive) => span.IndexOfAnyExceptInRange(lowInclusive, highInclusive) >= 0;

        public ReadOnlySpan<T> TrimStart(T trimElement)
        {
            int start = 0;
            while (start < span.Length && span[start].Equals(trimElement))
            {
                start++;
            }

            return span.Slice(start);
        }

        public ReadOnlySpan<T> TrimEnd(T trimElement)
        {
            int end = span.Length;
            while (end > 0 && span[end - 1].Equals(trimElement))
            {
                end--;
            }

            return span.Slice(0, end);
        }

        public ReadOnlySpan<T> Trim(T trimElement) => span.TrimStart(trimElement).TrimEnd(trimElement);

        public ReadOnlySpan<T> TrimStart(ReadOnlySpan<T> trimElements)
        {
            int start = 0;
            while (start < span.Length && trimElements.IndexOf(span[start]) >= 0)
            {
                start++;
            }

            return span.Slice(start);
        }

        public ReadOnlySpan<T> TrimEnd(ReadOnlySpan<T> trimElements)
        {
            int end = span.Length;
            while (end > 0 && trimElements.IndexOf(span[end - 1]) >= 0)
            {
                end--;
            }

            return span.Slice(0, end);
        }

        public ReadOnlySpan<T> Trim(ReadOnlySpan<T> trimElements) => span.TrimStart(trimElements).TrimEnd(trimElements);
    }

    extension(Array)
    {
        /// <summary>The largest length an array may have (.NET's value).</summary>
        public static int MaxLength => 0x7FFFFFC7;
    }
}
