// netstandard2.0 only: the Enum, time, platform and parsing helpers of newer .NET this code uses, with
// .NET's results.
using System.Globalization;
using System.Runtime.InteropServices;

namespace SipTraceContext;

internal static class EnumPolyfills
{
    extension(Enum)
    {
        /// <summary>.NET 5: the values of <typeparamref name="TEnum"/>, in the order of their unsigned magnitude.</summary>
        public static TEnum[] GetValues<TEnum>()
            where TEnum : struct, Enum => (TEnum[])Enum.GetValues(typeof(TEnum));

        /// <summary>.NET 5: whether <paramref name="value"/> is one of <typeparamref name="TEnum"/>'s named constants.</summary>
        public static bool IsDefined<TEnum>(TEnum value)
            where TEnum : struct, Enum => Enum.IsDefined(typeof(TEnum), value);
    }
}

internal static class TimePolyfills
{
    extension(TimeSpan)
    {
        /// <summary>.NET 7: 10 ticks.</summary>
        public static long TicksPerMicrosecond => 10;
    }

    extension(DateTimeOffset)
    {
        /// <summary>.NET Core 2.1: 1970-01-01T00:00:00Z.</summary>
        public static DateTimeOffset UnixEpoch => new(1970, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }
}

internal static class OperatingSystemPolyfills
{
    extension(OperatingSystem)
    {
        /// <summary>.NET 5: whether the process runs on Linux.</summary>
        public static bool IsLinux() => RuntimeInformation.IsOSPlatform(OSPlatform.Linux);
    }
}

/// <summary>The span overloads of the integer parsers (.NET Core 2.1), over the string ones (one string per call).</summary>
internal static class ParsePolyfills
{
    extension(int)
    {
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out int result) =>
            int.TryParse(s.ToString(), style, provider, out result);
    }

    extension(long)
    {
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out long result) =>
            long.TryParse(s.ToString(), style, provider, out result);
    }

    extension(ulong)
    {
        public static bool TryParse(ReadOnlySpan<char> s, NumberStyles style, IFormatProvider? provider, out ulong result) =>
            ulong.TryParse(s.ToString(), style, provider, out result);
    }
}
