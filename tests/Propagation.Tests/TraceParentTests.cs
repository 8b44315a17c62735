using System.Diagnostics;
using System.Text;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Propagation.Tests;

/// <summary>
/// One case per rule of W3C Trace Context (Level 1 §3.2 and Level 2 trace-flags), each named for the
/// rule it checks. Every case runs over chars and over UTF-8 bytes, which must agree.
/// </summary>
public sealed class TraceParentTests
{
    private const string TraceIdHex = "0af7651916cd43dd8448eb211c80319c";
    private const string ParentIdHex = "b7ad6b7169203331";
    private const string Valid = "00-" + TraceIdHex + "-" + ParentIdHex + "-01";

    public static TheoryData<string, string> ValidCases() => new()
    {
        { "version 00, sampled", Valid },
        { "version 00, not sampled", "00-" + TraceIdHex + "-" + ParentIdHex + "-00" },
        { "version 00, sampled and random (Level 2)", "00-" + TraceIdHex + "-" + ParentIdHex + "-03" },
        { "version 00, random only", "00-" + TraceIdHex + "-" + ParentIdHex + "-02" },
        { "version 00, reserved flag bits are accepted (ignored, not rejected)", "00-" + TraceIdHex + "-" + ParentIdHex + "-ff" },
        { "higher version with exactly 55 characters", "01-" + TraceIdHex + "-" + ParentIdHex + "-01" },
        { "higher version followed by a dash and future fields", "cc-" + TraceIdHex + "-" + ParentIdHex + "-01-what-the-future-will-be-like" },
        { "version fe is the highest allowed", "fe-" + TraceIdHex + "-" + ParentIdHex + "-01-" },
        { "trace id with only the last bit set is not all-zero", "00-00000000000000000000000000000001-" + ParentIdHex + "-01" },
        { "parent id with only the last bit set is not all-zero", "00-" + TraceIdHex + "-0000000000000001-01" },
    };

    public static TheoryData<string, string> InvalidCases() => new()
    {
        { "empty", "" },
        { "one character short", Valid[..^1] },
        { "version 00 must not be longer than 55 characters", Valid + "-" },
        { "version 00 with trailing garbage", Valid + "x" },
        { "version ff is forbidden", "ff-" + TraceIdHex + "-" + ParentIdHex + "-01" },
        { "higher version followed by something other than a dash", "01-" + TraceIdHex + "-" + ParentIdHex + "-01x" },
        { "upper-case version", "0A-" + TraceIdHex + "-" + ParentIdHex + "-01" },
        { "upper-case hex in trace id", "00-0AF7651916CD43DD8448EB211C80319C-" + ParentIdHex + "-01" },
        { "upper-case hex in parent id", "00-" + TraceIdHex + "-B7AD6B7169203331-01" },
        { "upper-case hex in flags", "00-" + TraceIdHex + "-" + ParentIdHex + "-0A" },
        { "all-zero trace id", "00-00000000000000000000000000000000-" + ParentIdHex + "-01" },
        { "all-zero parent id", "00-" + TraceIdHex + "-0000000000000000-01" },
        { "non-hex character in trace id", "00-0af7651916cd43dd8448eb211c80319g-" + ParentIdHex + "-01" },
        { "non-hex character in parent id", "00-" + TraceIdHex + "-b7ad6b716920333z-01" },
        { "non-hex character in version", "0g-" + TraceIdHex + "-" + ParentIdHex + "-01" },
        { "non-hex character in flags", "00-" + TraceIdHex + "-" + ParentIdHex + "-0x" },
        { "underscore instead of the first dash", "00_" + TraceIdHex + "-" + ParentIdHex + "-01" },
        { "underscore instead of the second dash", "00-" + TraceIdHex + "_" + ParentIdHex + "-01" },
        { "underscore instead of the third dash", "00-" + TraceIdHex + "-" + ParentIdHex + "_01" },
        { "trace id one digit short", "00-0af7651916cd43dd8448eb211c80319-" + ParentIdHex + "-01a" },
        { "leading whitespace", " " + Valid[..^1] },
        { "trailing whitespace on version 00", Valid + " " },
        { "higher version with only 54 characters", "01-" + TraceIdHex + "-" + ParentIdHex + "-1" },
        { "a CR inside", "00-" + TraceIdHex + "-" + ParentIdHex + "\r01" },
        { "a non-ASCII digit", "00-" + TraceIdHex + "-" + ParentIdHex + "-0\u0661" },
    };

    [Theory]
    [MemberData(nameof(ValidCases))]
    public void Valid_values_parse_from_chars_and_utf8(string reason, string value)
    {
        Assert.True(TraceParent.TryParse(value.AsSpan(), out TraceParent fromChars), reason);
        Assert.True(TraceParent.TryParse(Encoding.UTF8.GetBytes(value), out TraceParent fromBytes), reason);
        Assert.Equal(fromChars, fromBytes);
        Assert.True(fromChars.IsValid);
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Invalid_values_are_rejected_from_chars_and_utf8(string reason, string value)
    {
        Assert.False(TraceParent.TryParse(value.AsSpan(), out TraceParent fromChars), reason);
        Assert.False(TraceParent.TryParse(Encoding.UTF8.GetBytes(value), out TraceParent fromBytes), reason);
        Assert.Equal(default, fromChars);
        Assert.Equal(default, fromBytes);
        Assert.False(fromChars.IsValid);
    }

    [Theory]
    [MemberData(nameof(ValidCases))]
    public void Parse_agrees_with_TryParse_for_every_input_type(string reason, string value)
    {
        Assert.True(TraceParent.TryParse(value, out TraceParent expected), reason);
        Assert.Equal(expected, TraceParent.Parse(value));
        Assert.Equal(expected, TraceParent.Parse(value.AsSpan()));
        Assert.Equal(expected, TraceParent.Parse(Encoding.UTF8.GetBytes(value)));
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Parse_throws_a_FormatException_for_every_input_type(string reason, string value)
    {
        Assert.Throws<FormatException>(() => TraceParent.Parse(value));
        Assert.Throws<FormatException>(() => TraceParent.Parse(value.AsSpan()));
        Assert.Throws<FormatException>(() => TraceParent.Parse(Encoding.UTF8.GetBytes(value)));
        Assert.False(TraceParent.TryParse(value, out _), reason);
    }

    [Fact]
    public void Parse_of_null_is_an_argument_error() =>
        Assert.Throws<ArgumentNullException>(() => TraceParent.Parse((string)null!));

    [Fact]
    public void Parsed_fields_match_the_text()
    {
        TraceParent parent = TraceParent.Parse(Valid);

        Span<byte> traceId = stackalloc byte[16];
        Span<byte> parentId = stackalloc byte[8];
        parent.CopyTraceIdTo(traceId);
        parent.CopyParentIdTo(parentId);

        Assert.Equal(TraceIdHex, Convert.ToHexStringLower(traceId));
        Assert.Equal(ParentIdHex, Convert.ToHexStringLower(parentId));
        Assert.Equal(0, parent.Version);
        Assert.Equal(0x01, parent.Flags);
        Assert.True(parent.IsSampled);
        Assert.False(parent.IsRandom);
    }

    [Fact]
    public void Higher_version_keeps_its_version_number_but_formats_as_version_00()
    {
        TraceParent parent = TraceParent.Parse("cc-" + TraceIdHex + "-" + ParentIdHex + "-01-future");

        Assert.Equal(0xcc, parent.Version);
        Assert.Equal(Valid, parent.ToString());
    }

    [Fact]
    public void Sampled_and_random_flags_survive_a_round_trip()
    {
        string value = "00-" + TraceIdHex + "-" + ParentIdHex + "-03";
        TraceParent parent = TraceParent.Parse(value);

        Assert.True(parent.IsSampled);
        Assert.True(parent.IsRandom);
        Assert.Equal(value, parent.ToString());

        ActivityContext context = parent.ToActivityContext();
        Assert.Equal((ActivityTraceFlags)0x03, context.TraceFlags);
        Assert.Equal(parent, TraceParent.FromActivityContext(context));
    }

    [Fact]
    public void Reserved_flag_bits_are_kept_when_read_but_written_as_zero()
    {
        TraceParent parent = TraceParent.Parse("00-" + TraceIdHex + "-" + ParentIdHex + "-ff");

        Assert.Equal(0xff, parent.Flags);
        Assert.EndsWith("-03", parent.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Converts_to_an_activity_context_with_the_same_ids()
    {
        ActivityContext context = TraceParent.Parse(Valid).ToActivityContext("k=v");

        Assert.Equal(TraceIdHex, context.TraceId.ToHexString());
        Assert.Equal(ParentIdHex, context.SpanId.ToHexString());
        Assert.Equal(ActivityTraceFlags.Recorded, context.TraceFlags);
        Assert.Equal("k=v", context.TraceState);
        Assert.True(context.IsRemote);
    }

    [Fact]
    public void Agrees_with_the_bcl_parser_on_a_valid_value()
    {
        Assert.True(ActivityContext.TryParse(Valid, null, out ActivityContext bcl));
        TraceParent ours = TraceParent.Parse(Valid);

        Assert.Equal(bcl.TraceId, ours.ToActivityContext().TraceId);
        Assert.Equal(bcl.SpanId, ours.ToActivityContext().SpanId);
        Assert.Equal(ours, TraceParent.FromActivityContext(bcl));
    }

    [Fact]
    public void Default_and_invalid_contexts_give_an_invalid_value_that_does_not_format()
    {
        TraceParent none = TraceParent.FromActivityContext(default);

        Assert.False(none.IsValid);
        Assert.False(none.TryFormat(new char[TraceParent.Length], out int written));
        Assert.Equal(0, written);
        Assert.Equal(string.Empty, none.ToString());
        Assert.Equal(default, none.ToActivityContext());
    }

    [Fact]
    public void TryFormat_fails_with_nothing_written_when_the_destination_is_too_small()
    {
        TraceParent parent = TraceParent.Parse(Valid);

        Assert.False(parent.TryFormat(new char[TraceParent.Length - 1], out int chars));
        Assert.False(parent.TryFormat(new byte[TraceParent.Length - 1], out int bytes));
        Assert.Equal(0, chars);
        Assert.Equal(0, bytes);
    }

    [Fact]
    public void Formats_identically_to_chars_and_utf8_and_through_the_formattable_interfaces()
    {
        TraceParent parent = TraceParent.Parse(Valid);
        var chars = new char[64];
        var bytes = new byte[64];

        Assert.True(parent.TryFormat(chars, out int charCount));
        Assert.True(parent.TryFormat(bytes, out int byteCount));

        Assert.Equal(Valid, new string(chars, 0, charCount));
        Assert.Equal(Valid, Encoding.ASCII.GetString(bytes, 0, byteCount));
        Assert.Equal(Valid, $"{parent}");
        Assert.Equal(Valid, Encoding.UTF8.GetString(Encoding.UTF8.GetBytes($"{parent}")));
    }

    [Fact]
    public void Constructor_rejects_bad_ids()
    {
        byte[] traceId = Convert.FromHexString(TraceIdHex);
        byte[] parentId = Convert.FromHexString(ParentIdHex);

        Assert.Throws<ArgumentException>(() => new TraceParent(new byte[16], parentId, 1));
        Assert.Throws<ArgumentException>(() => new TraceParent(traceId, new byte[8], 1));
        Assert.Throws<ArgumentException>(() => new TraceParent(traceId.AsSpan(1), parentId, 1));
        Assert.Throws<ArgumentException>(() => new TraceParent(traceId, parentId.AsSpan(1), 1));
        Assert.Equal(Valid, new TraceParent(traceId, parentId, 1).ToString());
    }

    [Fact]
    public void Equality_covers_every_field()
    {
        TraceParent a = TraceParent.Parse(Valid);
        TraceParent b = TraceParent.Parse(Valid);
        TraceParent otherFlags = TraceParent.Parse(Valid[..^2] + "00");

        Assert.True(a == b);
        Assert.False(a != b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.True(a != otherFlags);
        Assert.False(a.Equals((object)"not a trace parent"));
    }

    [Fact]
    public void Null_string_is_rejected()
    {
        Assert.False(TraceParent.TryParse((string?)null, out _));
        Assert.Throws<FormatException>(() => TraceParent.Parse("nope"));
    }

    [Fact]
    public void Converting_the_same_ids_again_on_a_thread_reuses_the_bcl_ids_and_allocates_nothing()
    {
        TraceParent value = TraceParent.Parse("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
        ActivityContext first = value.ToActivityContext(null, isRemote: true);

        ActivityContext second = default;
        Allocations.AssertNone(() => second = value.ToActivityContext(null, isRemote: true));

        Assert.Same(first.TraceId.ToHexString(), second.TraceId.ToHexString());
        Assert.Same(first.SpanId.ToHexString(), second.SpanId.ToHexString());
        Assert.Equal(first, second);
    }

    [Fact]
    public void Ids_sharing_a_cache_slot_are_never_confused()
    {
        // Same low bits (the slot), different high bits and parent ids: each conversion must give its own ids.
        string[] values =
        [
            "00-11111111111111110000000000000040-1000000000000040-01",
            "00-22222222222222220000000000000040-2000000000000040-01",
            "00-11111111111111110000000000000040-3000000000000040-00",
        ];
        for (int round = 0; round < 3; round++)
        {
            foreach (string text in values)
            {
                ActivityContext context = TraceParent.Parse(text).ToActivityContext(null, isRemote: true);
                Assert.Equal(text[3..35], context.TraceId.ToHexString());
                Assert.Equal(text[36..52], context.SpanId.ToHexString());
            }
        }
    }

    [Fact]
    public async Task Threads_converting_many_ids_at_once_always_get_their_own()
    {
        // Each thread cycles through more ids than a thread's table holds, so entries are replaced all the time.
        TraceParent[] values = [.. Enumerable.Range(1, 500).Select(i => new TraceParent(
            [.. BitConverter.GetBytes((long)i * 7919), .. BitConverter.GetBytes((long)(i % 37))],
            BitConverter.GetBytes((long)i * 104729),
            1))];
        string[] expected = [.. values.Select(v => v.ToString())];
        bool[] ok = await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
        {
            for (int round = 0; round < 20; round++)
            {
                for (int i = 0; i < values.Length; i++)
                {
                    int index = (i * (t + 1) + round) % values.Length;
                    ActivityContext context = values[index].ToActivityContext(null, isRemote: true);
                    if (TraceParent.FromActivityContext(context).ToString() != expected[index])
                    {
                        return false;
                    }
                }
            }

            return true;
        })));
        Assert.All(ok, Assert.True);
    }
}
