// netstandard2.0 only: the string, LINQ and dictionary helpers of newer .NET that this code uses,
// with .NET's results.
namespace SipTraceContext;

internal static class StringInstancePolyfills
{
    extension(string value)
    {
        public bool Contains(char c, StringComparison comparisonType) =>
            comparisonType == StringComparison.Ordinal ? value.IndexOf(c) >= 0 : value.IndexOf(c.ToString(), comparisonType) >= 0;

        public bool EndsWith(char c) => value.Length != 0 && value[value.Length - 1] == c;
    }
}

internal static class LinqPolyfills
{
    extension<TSource>(System.Collections.Generic.IEnumerable<TSource> source)
    {
        public System.Collections.Generic.IEnumerable<TSource> DistinctBy<TKey>(Func<TSource, TKey> keySelector)
        {
            var seen = new System.Collections.Generic.HashSet<TKey>();
            foreach (TSource item in source)
            {
                if (seen.Add(keySelector(item)))
                {
                    yield return item;
                }
            }
        }
    }
}

internal static class StringHashPolyfills
{
    extension(string)
    {
        /// <summary>
        /// .NET Core 3.0: the hash of a span of chars. Randomised per process as .NET's (seeded by
        /// <see cref="HashCode"/>), though not the same numbers; callers only spread keys with it.
        /// </summary>
        public static int GetHashCode(ReadOnlySpan<char> value)
        {
            var hash = default(HashCode);
            int i = 0;
            for (; i + 1 < value.Length; i += 2)
            {
                hash.Add(value[i] | (value[i + 1] << 16));
            }

            if (i < value.Length)
            {
                hash.Add(value[i]);
            }

            hash.Add(value.Length);
            return hash.ToHashCode();
        }
    }
}
