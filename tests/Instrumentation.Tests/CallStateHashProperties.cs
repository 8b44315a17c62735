using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Instrumentation.Internal;

namespace SipTraceContext.Instrumentation.Tests;

/// <summary>
/// The hash call state keeps of Via branches and To tags (<see cref="CallStateHash"/>): a repeat is
/// told from a new message by it, so values that differ must hash apart.
/// </summary>
public sealed class CallStateHashProperties
{
    private static Arbitrary<byte[]> Values => Gen.ArrayOf(Gen.Choose(0, 255).Select(b => (byte)b)).ToArbitrary();

    [Property(MaxTest = 500)]
    public Property Values_differing_in_one_byte_hash_apart() =>
        Prop.ForAll(Values, Gen.Choose(0, int.MaxValue).ToArbitrary(), Gen.Choose(1, 255).ToArbitrary(), (value, position, flip) =>
        {
            if (value.Length == 0)
            {
                return true;
            }

            byte[] changed = (byte[])value.Clone();
            changed[position % value.Length] ^= (byte)flip;
            return CallStateHash.Of(value) != CallStateHash.Of(changed);
        });

    [Property(MaxTest = 500)]
    public Property A_value_and_the_value_padded_with_zero_bytes_hash_apart() =>
        Prop.ForAll(Values, Gen.Choose(1, 9).ToArbitrary(), (value, padding) =>
            CallStateHash.Of(value) != CallStateHash.Of([.. value, .. new byte[padding]]));

    [Property(MaxTest = 500)]
    public Property No_value_hashes_to_the_absent_marker(byte[] value) => (CallStateHash.Of(value) != 0).ToProperty();

    [Fact]
    public void Branches_and_tags_as_stacks_write_them_do_not_collide()
    {
        // Kamailio-, Asterisk- and phone-style branches and tags: a fixed prefix and a counter or random
        // part, the shapes where a weak hash collides first.
        var random = new Random(20261207);
        var seen = new Dictionary<ulong, string>();
        for (int i = 0; i < 200_000; i++)
        {
            string value = (i % 4) switch
            {
                0 => $"z9hG4bK{i:x}",
                1 => $"z9hG4bKPj{random.NextInt64():x16}-{random.Next():x8}",
                2 => $"as{random.Next():x8}",
                _ => $"{random.NextInt64():x}{i}",
            };
            ulong hash = CallStateHash.Of(System.Text.Encoding.ASCII.GetBytes(value));
            Assert.True(seen.TryAdd(hash, value) || seen[hash] == value, $"'{value}' and '{seen.GetValueOrDefault(hash)}' hash alike");
        }
    }
}
