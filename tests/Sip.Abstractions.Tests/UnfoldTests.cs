using System.Text;

namespace SipTraceContext.Sip.Tests;

/// <summary>The one unfold, as the raw propagator calls it on trace header values.</summary>
public sealed class UnfoldTests
{
    [Theory]
    [InlineData("a b", "a b")]
    [InlineData("a\r\n b", "a b")]
    [InlineData("a \t\r\n\t b", "a b")]
    [InlineData("a\n b\r\n\tc", "a b c")]
    [InlineData("a\r\n\t", "a")]          // a whitespace-only continuation line at the end adds nothing
    [InlineData("a\r\n \r\n\t", "a")]
    public void Each_fold_is_one_space_and_a_trailing_fold_is_dropped(string value, string expected)
    {
        var destination = new byte[64];
        Assert.True(SipHeaderField.TryUnfold(Encoding.ASCII.GetBytes(value), destination, out int written));
        Assert.Equal(expected, Encoding.ASCII.GetString(destination, 0, written));
    }

    [Fact]
    public void A_destination_too_small_is_refused_and_nothing_is_counted()
    {
        byte[] value = "abc\r\n def"u8.ToArray();
        Assert.False(SipHeaderField.TryUnfold(value, new byte[6], out int written));
        Assert.Equal(0, written);
        Assert.True(SipHeaderField.TryUnfold(value, new byte[7], out written));
        Assert.Equal(7, written);
    }
}
