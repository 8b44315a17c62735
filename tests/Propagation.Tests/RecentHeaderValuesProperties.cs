using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Propagation.Internal;

namespace SipTraceContext.Propagation.Tests;

/// <summary>The inlined comparison of a header's bytes with a kept tracestate string, against the BCL's.</summary>
public sealed class RecentHeaderValuesProperties
{
    // Kept strings are normalised lists: printable ASCII. Lengths run past the vector paths' edges.
    private static Gen<string> Kept =>
        from length in Gen.Choose(0, 40)
        from chars in Gen.ArrayOf(Gen.Choose(0x20, 0x7E).Select(c => (char)c), length)
        select new string(chars);

    // Which byte to alter (none when negative) and what to put there.
    private static Gen<(int At, byte Replacement)> Alterations =>
        from at in Gen.Choose(-40, 40)
        from replacement in ArbMap.Default.GeneratorFor<byte>()
        select (at, replacement);

    [Property(MaxTest = 2000)]
    public Property Equals_kept_agrees_with_the_BCL_on_equal_and_altered_bytes() =>
        Prop.ForAll(Kept.ToArbitrary(), Alterations.ToArbitrary(), (kept, alteration) =>
        {
            (int at, byte replacement) = alteration;
            bool alter = at >= 0;
            // The bytes sit inside a larger buffer: the comparison must not read outside them.
            byte[] framed = [0xEE, .. Encoding.ASCII.GetBytes(kept), 0xEE];
            if (alter && kept.Length > 0)
            {
                framed[1 + (int)((uint)at % (uint)kept.Length)] = replacement;
            }

            ReadOnlySpan<byte> bytes = framed.AsSpan(1, kept.Length);
            return RecentHeaderValues.EqualsKept(bytes, kept) == SameAscii(bytes, kept);
        });

    // Ascii.Equals, written out (the netstandard2.0 test build sees the library's own Ascii as well):
    // the same length, and every byte ASCII and equal to its char.
    private static bool SameAscii(ReadOnlySpan<byte> bytes, string chars)
    {
        if (bytes.Length != chars.Length)
        {
            return false;
        }

        for (int i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] >= 0x80 || bytes[i] != chars[i])
            {
                return false;
            }
        }

        return true;
    }

    [Theory]
    [InlineData(8)]
    [InlineData(15)]
    [InlineData(16)]
    [InlineData(17)]
    [InlineData(32)]
    public void A_byte_above_0x7F_never_matches(int length)
    {
        string kept = new('a', length);
        foreach (int at in new[] { 0, length / 2, length - 1 })
        {
            byte[] bytes = Encoding.ASCII.GetBytes(kept);
            bytes[at] = 0xE1;
            Assert.False(RecentHeaderValues.EqualsKept(bytes, kept));
            bytes[at] = (byte)'b';
            Assert.False(RecentHeaderValues.EqualsKept(bytes, kept));
            bytes[at] = (byte)'a';
            Assert.True(RecentHeaderValues.EqualsKept(bytes, kept));
        }
    }
}
