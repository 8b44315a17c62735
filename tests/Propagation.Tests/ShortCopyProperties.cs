using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Propagation.Internal;

namespace SipTraceContext.Propagation.Tests;

/// <summary>The inlined short copies against the BCL's, at every length around their vector sizes.</summary>
public sealed class ShortCopyProperties
{
    private const byte Sentinel = 0xEE;

    private static Gen<byte[]> Runs =>
        from length in Gen.Choose(0, 100)
        from bytes in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), length)
        select bytes;

    // Up to past the length where the medium copy hands over to the BCL's.
    private static Gen<byte[]> MediumRuns =>
        from length in Gen.Choose(0, 1100)
        from bytes in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), length)
        select bytes;

    private static Gen<string> AsciiRuns =>
        from length in Gen.Choose(0, 100)
        from chars in Gen.ArrayOf(Gen.Choose(0, 127).Select(c => (char)c), length)
        select new string(chars);

    [Property(MaxTest = 1000)]
    public Property Copy_writes_exactly_the_source_and_nothing_after_it() =>
        Prop.ForAll(Runs.ToArbitrary(), Gen.Choose(0, 40).ToArbitrary(), (source, slack) =>
        {
            byte[] destination = Enumerable.Repeat(Sentinel, source.Length + slack).ToArray();
            ShortCopy.Copy(source, destination);
            return destination.AsSpan(0, source.Length).SequenceEqual(source)
                && destination.AsSpan(source.Length).IndexOfAnyExcept(Sentinel) < 0;
        });

    [Property(MaxTest = 1000)]
    public Property Medium_copy_writes_exactly_the_source_and_nothing_after_it() =>
        Prop.ForAll(MediumRuns.ToArbitrary(), Gen.Choose(0, 40).ToArbitrary(), (source, slack) =>
        {
            byte[] destination = Enumerable.Repeat(Sentinel, source.Length + slack).ToArray();
            ShortCopy.CopyMedium(source, destination);
            return destination.AsSpan(0, source.Length).SequenceEqual(source)
                && destination.AsSpan(source.Length).IndexOfAnyExcept(Sentinel) < 0;
        });

    [Property(MaxTest = 1000)]
    public Property Narrow_writes_the_latin1_bytes_and_nothing_after_them() =>
        Prop.ForAll(AsciiRuns.ToArbitrary(), Gen.Choose(0, 40).ToArbitrary(), (ascii, slack) =>
        {
            byte[] destination = Enumerable.Repeat(Sentinel, ascii.Length + slack).ToArray();
            ShortCopy.Narrow(ascii, destination);
            return destination.AsSpan(0, ascii.Length).SequenceEqual(Encoding.Latin1.GetBytes(ascii))
                && destination.AsSpan(ascii.Length).IndexOfAnyExcept(Sentinel) < 0;
        });

    [Fact]
    public void A_destination_shorter_than_the_source_is_refused()
    {
        Assert.Throws<ArgumentException>(() => ShortCopy.Copy(new byte[20], new byte[19]));
        Assert.Throws<ArgumentException>(() => ShortCopy.CopyMedium(new byte[200], new byte[199]));
        Assert.Throws<ArgumentException>(() => ShortCopy.Narrow(new string('a', 20), new byte[19]));
    }
}
