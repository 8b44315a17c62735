// netstandard2.0 only: the string, LINQ and dictionary helpers of newer .NET that this code uses,
// with .NET's results.
namespace SipTraceContext;

internal static class StringInstancePolyfills
{
    extension(string value)
    {
        public bool Contains(char c, StringComparison comparisonType) =>
            comparisonType == StringComparison.Ordinal ? value.IndexOf(c) >= 0 : value.IndexOf(c.ToString(), comparisonType) >= 0;
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
