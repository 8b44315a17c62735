using System.Text;

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// The normalised tracestate strings a thread extracted or injected last, so that the same header seen
/// again (every message of a call carries it) is answered with the string already made instead of a
/// second validation and a new string, and the same string injected again is written as it is.
/// </summary>
/// <remarks>
/// Only lists that were already normalised when they arrived are kept. For such a list, with a budget
/// at least its length, normalising gives the list itself, so a byte-for-byte match with a kept string
/// is the exact answer the full path would give. Per thread, so entries need no synchronisation; 16
/// entries per thread.
/// </remarks>
internal static class RecentTraceStates
{
    private const int Entries = 16;

    [ThreadStatic]
    private static string?[]? t_entries;

    public static bool TryGet(ReadOnlySpan<byte> utf8Value, int maxLength, out string? value)
    {
        string? candidate = t_entries?[Slot(utf8Value)];
        if (candidate is not null && candidate.Length == utf8Value.Length && candidate.Length <= maxLength && Ascii.Equals(utf8Value, candidate))
        {
            value = candidate;
            return true;
        }

        value = null;
        return false;
    }

    /// <summary>Whether this very string instance was kept: then it is a normalised list, valid as it is.</summary>
    public static bool IsKnownNormalised(string value) =>
        t_entries is { } entries && ReferenceEquals(entries[Slot(value)], value);

    public static void Add(string normalised)
    {
        string?[] entries = t_entries ??= new string?[Entries];
        entries[Slot(normalised)] = normalised;
    }

    // Length and two bytes far apart: lists of one vendor differ in their values, and a collision
    // only costs a comparison and a replaced entry.
    private static int Slot(ReadOnlySpan<byte> value) =>
        value.IsEmpty ? 0 : (value.Length + (value[value.Length / 2] * 7) + (value[^1] * 13)) & (Entries - 1);

    private static int Slot(string value) =>
        value.Length == 0 ? 0 : (value.Length + (value[value.Length / 2] * 7) + (value[^1] * 13)) & (Entries - 1);
}
