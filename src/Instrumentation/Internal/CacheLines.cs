using System.Runtime.CompilerServices;
#if NET
using System.Runtime.Intrinsics.X86;
#endif

namespace SipTraceContext.Instrumentation.Internal;

/// <summary>
/// Asks the processor to start loading memory that code will read soon, so that the load overlaps with
/// other work instead of stalling it. A hint: it changes no value and never faults, so an address that is
/// stale by the time the processor acts on it (the garbage collector moved the object) costs nothing.
/// Does nothing where the processor has no prefetch instruction the runtime exposes (x86 only) or on
/// .NET Standard.
/// </summary>
internal static class CacheLines
{
    private const int LineSize = 64;

    /// <summary>Starts loading the first <paramref name="lines"/> cache lines of an object.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch(object? value, int lines)
    {
#if NET
        if (Sse.IsSupported && value is not null)
        {
            // The reference is the object's address.
            byte* start = *(byte**)Unsafe.AsPointer(ref value);
            for (int line = 0; line < lines; line++)
            {
                Sse.Prefetch0(start + (line * LineSize));
            }
        }
#endif
    }

    /// <summary>Starts loading the cache line that holds <paramref name="value"/> (an array element).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Prefetch<T>(ref T value)
    {
#if NET
        if (Sse.IsSupported)
        {
            Sse.Prefetch0(Unsafe.AsPointer(ref value));
        }
#endif
    }
}
