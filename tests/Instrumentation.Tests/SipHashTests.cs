using System.Buffers.Binary;
using SipTraceContext.Instrumentation.Internal;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>SipHash-2-4 against the test vectors of its paper (key 00 01 .. 0f, messages 00 01 .. n-1).</summary>
public sealed class SipHashTests
{
    private static readonly byte[] Key = [.. Enumerable.Range(0, 16).Select(i => (byte)i)];

    private static ulong K0 => BinaryPrimitives.ReadUInt64LittleEndian(Key);

    private static ulong K1 => BinaryPrimitives.ReadUInt64LittleEndian(Key.AsSpan(8));

    [Theory]
    [InlineData(0, 0x726fdb47dd0e0e31UL)]
    [InlineData(15, 0xa129ca6149be45e5UL)]
    public void The_64_bit_output_matches_the_paper(int length, ulong expected)
    {
        byte[] message = [.. Enumerable.Range(0, length).Select(i => (byte)i)];
        Assert.Equal(expected, SipHash.Hash64(K0, K1, message));
    }

    [Fact]
    public void The_128_bit_output_matches_the_reference_vector()
    {
        Span<byte> output = stackalloc byte[16];
        SipHash.Hash128(K0, K1, [], output);
        Assert.Equal(Convert.FromHexString("a3817f04ba25a8e66df67214c7550293"), output.ToArray());
    }
}
