using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace SipTraceContext.Propagation.Tests;

/// <summary>
/// <see cref="TraceParent"/> parses and formats with <c>Vector128</c> when the hardware has SIMD and with
/// scalar code otherwise. The public API only ever reaches one of them on a given machine, so these
/// tests call the internal cores with each strategy and require identical results.
/// </summary>
public sealed class TraceParentVectorPathTests
{
    private const string HexDigits = "0123456789abcdef";
    private const string Valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    private static Gen<TraceParent> ValidTraceParents =>
        from traceId in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 16).Where(b => b.Any(x => x != 0))
        from parentId in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 8).Where(b => b.Any(x => x != 0))
        from flags in Gen.Choose(0, 255)
        select new TraceParent(traceId, parentId, (byte)flags);

    // Valid values with one character replaced, including characters whose low byte is a hex digit
    // (the UTF-16 vector path narrows to bytes, so it must reject those by their high byte).
    private static Gen<string> NearTraceParentStrings =>
        from tp in ValidTraceParents
        from position in Gen.Choose(0, TraceParent.Length - 1)
        from c in Gen.Elements("0123456789abcdefABCDEFgz-_ /:`@G\0\u00e9\u0130\u0161\u0661\uff10\u2d2d".ToCharArray())
        select tp.ToString().Remove(position, 1).Insert(position, c.ToString());

    public static TheoryData<string, string> AllCases()
    {
        var cases = new TheoryData<string, string>();
        foreach (object[] row in TraceParentTests.ValidCases().Concat(TraceParentTests.InvalidCases()))
        {
            cases.Add((string)row[0], (string)row[1]);
        }

        return cases;
    }

    private static (bool Ok, TraceParent Value)[] ParseAllWays(string value)
    {
        byte[] utf8 = Encoding.UTF8.GetBytes(value);
        bool a = TraceParent.TryParseCore(value.AsSpan(), vectorized: true, out TraceParent charsVector);
        bool b = TraceParent.TryParseCore(value.AsSpan(), vectorized: false, out TraceParent charsScalar);
        bool c = TraceParent.TryParseCore<byte>(utf8, vectorized: true, out TraceParent bytesVector);
        bool d = TraceParent.TryParseCore<byte>(utf8, vectorized: false, out TraceParent bytesScalar);
        return [(a, charsVector), (b, charsScalar), (c, bytesVector), (d, bytesScalar)];
    }

    [Theory]
    [MemberData(nameof(AllCases))]
    public void Vector_and_scalar_paths_agree_with_the_public_api(string reason, string value)
    {
        bool expected = TraceParent.TryParse(value, out TraceParent expectedValue);
        foreach ((bool ok, TraceParent parsed) in ParseAllWays(value))
        {
            Assert.True(ok == expected, reason);
            Assert.Equal(expectedValue, parsed);
        }
    }

    [Fact]
    public void A_character_whose_low_byte_is_a_hex_digit_is_rejected_at_every_id_position()
    {
        // Trace id: positions 3-34; parent id: 36-51.
        foreach (int position in Enumerable.Range(3, 32).Concat(Enumerable.Range(36, 16)))
        {
            string mutated = Valid.Remove(position, 1).Insert(position, ((char)(0x100 | Valid[position])).ToString());
            Assert.All(ParseAllWays(mutated), r => Assert.False(r.Ok, $"position {position}"));
        }
    }

    [Fact]
    public void Every_hex_digit_decodes_at_every_id_position()
    {
        foreach (int position in Enumerable.Range(3, 32).Concat(Enumerable.Range(36, 16)))
        {
            foreach (char digit in HexDigits)
            {
                string value = Valid.Remove(position, 1).Insert(position, digit.ToString());
                (bool Ok, TraceParent Value)[] results = ParseAllWays(value);
                Assert.All(results, r => Assert.True(r.Ok, $"{digit} at {position}"));
                Assert.All(results, r => Assert.Equal(value, r.Value.ToString()));
            }
        }
    }

    [Property(MaxTest = 1000)]
    public Property Vector_and_scalar_parsing_agree_on_near_misses() =>
        Prop.ForAll(NearTraceParentStrings.ToArbitrary(), s =>
        {
            (bool Ok, TraceParent Value)[] results = ParseAllWays(s);
            return results.All(r => r == results[0]);
        });

    [Property(MaxTest = 500)]
    public Property Vector_and_scalar_formatting_agree_in_both_encodings() =>
        Prop.ForAll(ValidTraceParents.ToArbitrary(), tp =>
        {
            var charsVector = new char[TraceParent.Length];
            var charsScalar = new char[TraceParent.Length];
            var bytesVector = new byte[TraceParent.Length];
            var bytesScalar = new byte[TraceParent.Length];
            bool ok = tp.TryFormatCore<char>(charsVector, vectorized: true, out int a)
                & tp.TryFormatCore<char>(charsScalar, vectorized: false, out int b)
                & tp.TryFormatCore<byte>(bytesVector, vectorized: true, out int c)
                & tp.TryFormatCore<byte>(bytesScalar, vectorized: false, out int d);
            string text = new(charsVector);
            return ok && a == TraceParent.Length && b == a && c == a && d == a
                && text == new string(charsScalar)
                && text == Encoding.ASCII.GetString(bytesVector)
                && text == Encoding.ASCII.GetString(bytesScalar)
                && TraceParent.TryParseCore(text.AsSpan(), vectorized: false, out TraceParent back)
                && back.Equals(new TraceParent(ToBytes(tp, trace: true), ToBytes(tp, trace: false), (byte)(tp.Flags & TraceParent.KnownFlagsMask)));
        });

    private static byte[] ToBytes(TraceParent tp, bool trace)
    {
        byte[] bytes = new byte[trace ? 16 : 8];
        if (trace)
        {
            tp.CopyTraceIdTo(bytes);
        }
        else
        {
            tp.CopyParentIdTo(bytes);
        }

        return bytes;
    }

    [Fact]
    public void Formatting_an_invalid_value_or_into_a_short_buffer_fails_on_both_paths()
    {
        TraceParent valid = TraceParent.Parse(Valid);
        foreach (bool vectorized in new[] { true, false })
        {
            Assert.False(default(TraceParent).TryFormatCore<char>(new char[TraceParent.Length], vectorized, out int written));
            Assert.Equal(0, written);
            Assert.False(valid.TryFormatCore<byte>(new byte[TraceParent.Length - 1], vectorized, out written));
            Assert.Equal(0, written);
        }
    }
}
