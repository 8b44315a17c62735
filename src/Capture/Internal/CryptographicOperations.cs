#if !NET
using System.Runtime.CompilerServices;

namespace System.Security.Cryptography;

/// <summary>
/// netstandard2.0 only: .NET Core 2.1's <c>CryptographicOperations</c>, the one member the listener uses
/// (the HEP auth key check). Capture's own, as only it needs one.
/// </summary>
internal static class CryptographicOperations
{
    /// <summary>
    /// Whether the two spans hold the same bytes, in a time that depends on their length only (not on
    /// where they first differ), as .NET's.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.NoOptimization)]
    public static bool FixedTimeEquals(ReadOnlySpan<byte> left, ReadOnlySpan<byte> right)
    {
        if (left.Length != right.Length)
        {
            return false;
        }

        int accumulator = 0;
        for (int i = 0; i < left.Length; i++)
        {
            accumulator |= left[i] - right[i];
        }

        return accumulator == 0;
    }
}
#endif
