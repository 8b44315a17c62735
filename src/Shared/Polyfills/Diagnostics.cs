// netstandard2.0 only: Stopwatch.GetElapsedTime (.NET 7), with .NET's result.
using System.Diagnostics;

namespace SipTraceContext;

internal static class StopwatchPolyfills
{
    private static readonly double s_tickFrequency = (double)TimeSpan.TicksPerSecond / Stopwatch.Frequency;

    extension(Stopwatch)
    {
        public static TimeSpan GetElapsedTime(long startingTimestamp) =>
            new((long)((Stopwatch.GetTimestamp() - startingTimestamp) * s_tickFrequency));

        public static TimeSpan GetElapsedTime(long startingTimestamp, long endingTimestamp) =>
            new((long)((endingTimestamp - startingTimestamp) * s_tickFrequency));
    }
}
