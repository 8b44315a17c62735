using System.Text;
using SipTraceContext.Tests.Shared;

namespace SipTraceContext.Propagation.Tests;

/// <summary>Cases from the W3C Trace Context tracestate grammar and limits, one rule each.</summary>
public sealed class TraceStateTests
{
    public static TheoryData<string, string, string> NormalisedCases() => new()
    {
        // reason, input, normalised output
        { "a single simple key", "congo=t61rcWkgMzE", "congo=t61rcWkgMzE" },
        { "two members keep their order", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE", "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE" },
        { "whitespace around commas is optional and removed", "rojo=1 ,\t congo=2", "rojo=1,congo=2" },
        { "empty members are skipped", ",rojo=1,,  ,congo=2,", "rojo=1,congo=2" },
        { "multi-tenant key", "fw529a3039@dt=abc", "fw529a3039@dt=abc" },
        { "tenant id may start with a digit", "1tenant@sys=v", "1tenant@sys=v" },
        { "key characters _ - * /", "a_b-c*d/e=v", "a_b-c*d/e=v" },
        { "value may contain inner spaces", "k=a b c", "k=a b c" },
        { "value may start with a space", "k= v", "k= v" },
        { "value uses the printable range except comma and equals", "k=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~", "k=!\"#$%&'()*+-./:;<>?@[\\]^_`{|}~" },
        { "a 256-character key is the longest simple key", "a" + new string('b', 255) + "=v", "a" + new string('b', 255) + "=v" },
        { "a 256-character value is the longest value", "k=" + new string('v', 256), "k=" + new string('v', 256) },
        { "exactly 32 members", Members(32), Members(32) },
        // W3C Level 2 keys: ( lcalpha / DIGIT ) 0*255( keychar ), keychar including "@".
        { "Level 2: a key may start with a digit", "1congo=1", "1congo=1" },
        { "Level 2: a key may end with @", "foo@=1", "foo@=1" },
        { "Level 2: a key may hold @ twice in a row", "foo@@bar=1", "foo@@bar=1" },
        { "Level 2: a key may hold @ more than once", "a@b@c=v", "a@b@c=v" },
        { "Level 2: a 242-character tenant", "a" + new string('b', 241) + "@sys=v", "a" + new string('b', 241) + "@sys=v" },
        { "Level 2: a 15-character system id", "t@a" + new string('b', 14) + "=v", "t@a" + new string('b', 14) + "=v" },
        { "Level 2: a system id may start with a digit", "t@1sys=v", "t@1sys=v" },
        { "Level 2: a 256-character key with @", "a@" + new string('b', 254) + "=v", "a@" + new string('b', 254) + "=v" },
        // W3C Level 2: the list is kept and the later duplicate dropped.
        { "a repeated key: the first member stays", "k=1,j=2,k=3", "k=1,j=2" },
        { "a repeated member", "foo=1,foo=1", "foo=1" },
    };

    public static TheoryData<string, string> InvalidCases() => new()
    {
        { "key must start with a lower-case letter", "Congo=1" },
        { "upper-case inside a key", "coNgo=1" },
        { "key must not start with _", "_congo=1" },
        { "key must not start with @", "@sys=v" },
        { "key longer than 256 characters", "a" + new string('b', 256) + "=v" },
        { "key with @ longer than 256 characters", "a@" + new string('b', 255) + "=v" },
        { "value longer than 256 characters", "k=" + new string('v', 257) },
        { "empty value", "k=" },
        { "value of only spaces", "k=   " },
        { "missing equals", "congo" },
        { "missing key", "=value" },
        { "equals inside the value", "k=a=b" },
        { "33 members is over the limit", Members(33) },
        { "33 members with a repeated key is over the limit", Members(32) + ",m0=again" },
        { "upper-case after @", "t@Sys=v" },
        { "CR in a value", "k=a\rb" },
        { "LF in a value", "k=a\nVia: evil" },
        { "NUL in a value", "k=a\0b" },
        { "tab inside a value", "k=a\tb" },
        { "non-ASCII in a value", "k=caf\u00e9" },
        { "non-ASCII in a key", "k\u00e9=v" },
        { "one bad member invalidates the whole list", "good=1,BAD=2,good2=3" },
    };

    [Theory]
    [MemberData(nameof(NormalisedCases))]
    public void Valid_lists_normalise(string reason, string input, string expected)
    {
        Assert.True(TraceState.IsValid(input), reason);
        Assert.True(TraceState.IsValid(Encoding.UTF8.GetBytes(input)), reason);
        Assert.Equal(expected, TraceState.Normalize(input, int.MaxValue));
        Assert.Equal(expected, TraceState.Normalize(Encoding.UTF8.GetBytes(input), int.MaxValue));
    }

    [Theory]
    [MemberData(nameof(InvalidCases))]
    public void Invalid_lists_are_dropped_whole(string reason, string input)
    {
        Assert.False(TraceState.IsValid(input), reason);
        Assert.False(TraceState.IsValid(Encoding.UTF8.GetBytes(input)), reason);
        Assert.Null(TraceState.Normalize(input, int.MaxValue));
        Assert.Null(TraceState.Normalize(Encoding.UTF8.GetBytes(input), int.MaxValue));

        var destination = new char[input.Length + 8];
        Assert.False(TraceState.TryNormalize(input, destination, out int written));
        Assert.Equal(0, written);
        Assert.All(destination, c => Assert.Equal('\0', c));
    }

    [Fact]
    public void Empty_and_whitespace_lists_are_valid_but_yield_nothing()
    {
        Assert.True(TraceState.IsValid(""));
        Assert.True(TraceState.IsValid(" , ,\t"));
        Assert.Null(TraceState.Normalize(" , ", 512));
        Assert.Null(TraceState.Normalize((string?)null, 512));
    }

    [Fact]
    public void Budget_drops_whole_members_from_the_end()
    {
        const string List = "aaaa=1111,bbbb=2222,cccc=3333";

        Assert.Equal("aaaa=1111,bbbb=2222", TraceState.Normalize(List, 19));
        Assert.Equal("aaaa=1111,bbbb=2222", TraceState.Normalize(List, 28));
        Assert.Equal(List, TraceState.Normalize(List, 29));
        Assert.Equal("aaaa=1111", TraceState.Normalize(List, 18));
        Assert.Null(TraceState.Normalize(List, 8));
    }

    [Fact]
    public void Budget_drops_members_longer_than_128_characters_first()
    {
        string longMember = "long=" + new string('x', 124);   // 129 characters
        string list = $"aaaa=1111,{longMember},cccc=3333";

        // Over budget: the long member goes first, though it is not the last one.
        Assert.Equal("aaaa=1111,cccc=3333", TraceState.Normalize(list, 140));
        Assert.Equal("aaaa=1111,cccc=3333", TraceState.Normalize(Encoding.UTF8.GetBytes(list), 140));
        // Within budget nothing is dropped, long or not.
        Assert.Equal(list, TraceState.Normalize(list, list.Length));
        // Still over budget once the long members are gone: then from the end.
        Assert.Equal("aaaa=1111", TraceState.Normalize(list, 18));
        // A member of exactly 128 characters is not long.
        string edge = "edge=" + new string('x', 123);
        Assert.Equal($"{edge},aaaa=1111", TraceState.Normalize($"{edge},aaaa=1111,bbbb=2222", 138));
    }

    [Fact]
    public void Long_members_are_dropped_from_the_end_until_the_list_fits()
    {
        string first = "first=" + new string('x', 130);
        string second = "second=" + new string('y', 130);
        string list = $"{first},small=1,{second}";

        Assert.Equal($"{first},small=1", TraceState.Normalize(list, first.Length + 8));
        Assert.Equal("small=1", TraceState.Normalize(list, 100));
    }

    [Fact]
    public void Budget_counts_the_normalised_form_not_the_input()
    {
        // 5 characters of optional whitespace do not count against the budget.
        Assert.Equal("a=1,b=2", TraceState.Normalize("a=1 ,  b=2  ", 7));
    }

    [Fact]
    public void Combine_joins_header_instances_in_order()
    {
        string? combined = TraceState.Combine(["rojo=1", "congo=2, blue=3", null, ""], 512);

        Assert.Equal("rojo=1,congo=2,blue=3", combined);
    }

    [Fact]
    public void Combine_applies_the_member_limit_and_duplicate_rule_across_instances()
    {
        Assert.Null(TraceState.Combine([Members(20), Members(20, prefix: 'q')[..^0], Members(13, prefix: 'z')], 1 << 20));
        Assert.Equal("k=1", TraceState.Combine(["k=1", "k=2"], 512));
    }

    [Fact]
    public void Combine_of_nothing_is_null()
    {
        Assert.Null(TraceState.Combine(null, 512));
        Assert.Null(TraceState.Combine([], 512));
        Assert.Null(TraceState.Combine([null, null], 512));
    }

    [Fact]
    public void Source_longer_than_the_limit_is_rejected_without_scanning()
    {
        string huge = "k=" + new string('v', TraceState.MaxSourceLength);

        Assert.False(TraceState.IsValid(huge));
        Assert.Null(TraceState.Combine(Enumerable.Repeat("a=" + new string('v', 200), 200), 512));
    }

    [Fact]
    public void An_already_normalised_value_is_returned_without_a_copy()
    {
        string value = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE";

        Assert.Same(value, TraceState.Normalize(value, 512));
    }

    [Fact]
    public void Negative_budgets_are_argument_errors()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => TraceState.Normalize("k=v", -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => TraceState.Combine(["k=v"], -1));
    }

    internal static string Members(int count, char prefix = 'm') =>
        string.Join(",", Enumerable.Range(0, count).Select(i => $"{prefix}{i}=v{i}"));

    [Fact]
    public void The_same_normalised_header_again_on_a_thread_gives_the_same_string_without_allocating()
    {
        byte[] header = "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"u8.ToArray();
        string? first = TraceState.Normalize(header, 512);

        string? second = null;
        Allocations.AssertNone(() => second = TraceState.Normalize(header, 512));
        Assert.Same(first, second);
    }

    [Fact]
    public void A_remembered_list_is_still_trimmed_to_a_smaller_budget_and_whitespace_is_still_removed()
    {
        Assert.Equal("a=1,b=2", TraceState.Normalize("a=1,b=2"u8, 512));
        Assert.Equal("a=1", TraceState.Normalize("a=1,b=2"u8, 3));
        Assert.Equal("a=1,b=2", TraceState.Normalize("a=1 , b=2"u8, 512));
        Assert.Equal("a=1", TraceState.Normalize("a=1,a=2"u8, 512));
    }

    [Fact]
    public void Lists_that_share_a_slot_are_never_confused()
    {
        // Same length, same middle and last byte: the same slot; each must come back as itself.
        string[] lists = ["k=1x2", "q=9x2", "z=0x2"];
        for (int round = 0; round < 3; round++)
        {
            foreach (string list in lists)
            {
                Assert.Equal(list, TraceState.Normalize(Encoding.ASCII.GetBytes(list), 512));
            }
        }
    }
}
