#if NET
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
#endif

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// Copies of the short runs an injection writes (a header name, a start line, an id, a tracestate)
/// with a few inlined vector moves instead of a call.
/// </summary>
/// <remarks>
/// The BCL's copy is a call whatever the length, and for runs of a few dozen bytes its cost is mostly
/// that call. A run
/// of 8 to 64 bytes is moved here as two overlapping loads and stores of the largest size that fits
/// it, read in full before either is stored; longer or shorter runs go to the BCL.
/// </remarks>
internal static class ShortCopy
{
    // Above this, the BCL's copy (a call, but with wider moves and its own alignment) is used.
    private const int MediumLength = 1024;

#if NET
    /// <summary>Copies <paramref name="source"/> to the start of <paramref name="destination"/>; they must not overlap.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int length = source.Length;
        if (length > destination.Length)
        {
            ThrowTooShort();
        }

        ref byte from = ref MemoryMarshal.GetReference(source);
        ref byte to = ref MemoryMarshal.GetReference(destination);
        if (length >= 32 && length <= 64 && Vector256.IsHardwareAccelerated)
        {
            Vector256<byte> head = Vector256.LoadUnsafe(ref from);
            Vector256<byte> tail = Vector256.LoadUnsafe(ref from, (nuint)(length - 32));
            head.StoreUnsafe(ref to);
            tail.StoreUnsafe(ref to, (nuint)(length - 32));
        }
        else if (length >= 16 && length <= 32 && Vector128.IsHardwareAccelerated)
        {
            Vector128<byte> head = Vector128.LoadUnsafe(ref from);
            Vector128<byte> tail = Vector128.LoadUnsafe(ref from, (nuint)(length - 16));
            head.StoreUnsafe(ref to);
            tail.StoreUnsafe(ref to, (nuint)(length - 16));
        }
        else if (length >= 8 && length <= 16)
        {
            ulong head = Unsafe.ReadUnaligned<ulong>(ref from);
            ulong tail = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref from, length - 8));
            Unsafe.WriteUnaligned(ref to, head);
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, length - 8), tail);
        }
        else
        {
            source.CopyTo(destination);
        }
    }

    /// <summary>
    /// Copies <paramref name="source"/> to the start of <paramref name="destination"/> (they must not
    /// overlap) with an inlined loop of vector moves when it is a few hundred bytes, such as the body
    /// of a SIP message after its header section; other lengths go to <see cref="Copy"/>.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void CopyMedium(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        int length = source.Length;
        if (length <= 64 || length > MediumLength || !Vector256.IsHardwareAccelerated)
        {
            Copy(source, destination);
            return;
        }

        if (length > destination.Length)
        {
            ThrowTooShort();
        }

        // Runs of 64 where AVX-512 has them (half the moves), otherwise of 32; the last run overlaps the
        // one before when the length is not a multiple of the run.
        ref byte from = ref MemoryMarshal.GetReference(source);
        ref byte to = ref MemoryMarshal.GetReference(destination);
        if (Vector512.IsHardwareAccelerated)
        {
            nuint lastRun = (nuint)(length - 64);
            for (nuint i = 0; i < lastRun; i += 64)
            {
                Vector512.LoadUnsafe(ref from, i).StoreUnsafe(ref to, i);
            }

            Vector512.LoadUnsafe(ref from, lastRun).StoreUnsafe(ref to, lastRun);
            return;
        }

        nuint last = (nuint)(length - 32);
        for (nuint i = 0; i < last; i += 32)
        {
            Vector256.LoadUnsafe(ref from, i).StoreUnsafe(ref to, i);
        }

        Vector256.LoadUnsafe(ref from, last).StoreUnsafe(ref to, last);
    }

    /// <summary>
    /// Copies ASCII characters to as many bytes (each keeps its low byte), such as the hex string a BCL
    /// id keeps or a normalised tracestate.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="ascii"/>.</exception>
    public static void Narrow(ReadOnlySpan<char> ascii, Span<byte> destination)
    {
        int length = ascii.Length;
        if (length > destination.Length)
        {
            ThrowTooShort();
        }

        ref ushort from = ref Unsafe.As<char, ushort>(ref MemoryMarshal.GetReference(ascii));
        ref byte to = ref MemoryMarshal.GetReference(destination);
        if (length < 8 || !Vector128.IsHardwareAccelerated)
        {
            for (int i = 0; i < length; i++)
            {
                Unsafe.Add(ref to, i) = (byte)Unsafe.Add(ref from, i);
            }

            return;
        }

        if (length < 16)
        {
            // Two overlapping runs of 8: each narrowed into the low half of a vector.
            Vector128<ushort> head = Vector128.LoadUnsafe(ref from);
            Vector128<ushort> tail = Vector128.LoadUnsafe(ref from, (nuint)(length - 8));
            Unsafe.WriteUnaligned(ref to, Vector128.Narrow(head, head).AsUInt64().ToScalar());
            Unsafe.WriteUnaligned(ref Unsafe.Add(ref to, length - 8), Vector128.Narrow(tail, tail).AsUInt64().ToScalar());
            return;
        }

        // Runs of 16, the last one overlapping the one before when the length is not a multiple of 16.
        nuint last = (nuint)(length - 16);
        for (nuint i = 0; ; i += 16)
        {
            i = i > last ? last : i;
            Vector128.Narrow(Vector128.LoadUnsafe(ref from, i), Vector128.LoadUnsafe(ref from, i + 8)).StoreUnsafe(ref to, i);
            if (i == last)
            {
                return;
            }
        }
    }

#else
    // netstandard2.0: the BCL's copy and a byte loop, with the same checks.

    /// <summary>Copies <paramref name="source"/> to the start of <paramref name="destination"/>; they must not overlap.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    public static void Copy(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        if (source.Length > destination.Length)
        {
            ThrowTooShort();
        }

        source.CopyTo(destination);
    }

    /// <summary>As <see cref="Copy"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="source"/>.</exception>
    public static void CopyMedium(ReadOnlySpan<byte> source, Span<byte> destination) => Copy(source, destination);

    /// <summary>Copies ASCII characters to as many bytes (each keeps its low byte).</summary>
    /// <exception cref="ArgumentException"><paramref name="destination"/> is shorter than <paramref name="ascii"/>.</exception>
    public static void Narrow(ReadOnlySpan<char> ascii, Span<byte> destination)
    {
        if (ascii.Length > destination.Length)
        {
            ThrowTooShort();
        }

        for (int i = 0; i < ascii.Length; i++)
        {
            destination[i] = (byte)ascii[i];
        }
    }

#endif
    private static void ThrowTooShort() =>
        throw new ArgumentException("The destination is shorter than the source.", "destination");
}
