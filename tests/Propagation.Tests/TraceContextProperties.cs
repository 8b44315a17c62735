using System.Diagnostics;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace SipTraceContext.Propagation.Tests;

/// <summary>FsCheck properties of traceparent and tracestate handling over generated input.</summary>
public sealed class TraceContextProperties
{
    private const string HexDigits = "0123456789abcdef";

    private static Gen<TraceParent> ValidTraceParents =>
        from traceId in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 16).Where(b => b.Any(x => x != 0))
        from parentId in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), 8).Where(b => b.Any(x => x != 0))
        from flags in Gen.Choose(0, 3)
        select new TraceParent(traceId, parentId, (byte)flags);

    // Strings near the grammar: valid values with one random edit, plus random text from a small
    // alphabet that includes the interesting characters.
    private static Gen<string> NearTraceParentStrings =>
        Gen.OneOf(
            from tp in ValidTraceParents
            from position in Gen.Choose(0, TraceParent.Length - 1)
            from c in Gen.Elements("0123456789abcdefABCDEFgz-_ \r\n\0\u00e9\u0661".ToCharArray())
            select tp.ToString().Remove(position, 1).Insert(position, c.ToString()),
            from chars in Gen.ArrayOf(Gen.Elements((HexDigits + "-fF \r\n\0\u00ff\u0100").ToCharArray()))
            select new string(chars),
            ArbMap.Default.GeneratorFor<string>().Where(s => s is not null));

    [Property(MaxTest = 500)]
    public Property Format_then_parse_round_trips_in_both_encodings() =>
        Prop.ForAll(ValidTraceParents.ToArbitrary(), tp =>
        {
            var chars = new char[TraceParent.Length];
            var bytes = new byte[TraceParent.Length];
            bool ok = tp.TryFormat(chars, out int c) & tp.TryFormat(bytes, out int b);
            return ok && c == TraceParent.Length && b == TraceParent.Length
                && TraceParent.TryParse(chars, out TraceParent fromChars) && fromChars == tp
                && TraceParent.TryParse(bytes, out TraceParent fromBytes) && fromBytes == tp;
        });

    [Property(MaxTest = 500)]
    public Property Activity_context_round_trip_keeps_ids_and_flags() =>
        Prop.ForAll(ValidTraceParents.ToArbitrary(), tp =>
            TraceParent.FromActivityContext(tp.ToActivityContext()) == tp);

    // Inject writes the line straight from the BCL ids' hex strings; it must be the formatter's output.
    [Property(MaxTest = 500)]
    public Property Formatting_an_activity_context_directly_matches_formatting_its_traceparent() =>
        Prop.ForAll(ValidTraceParents.ToArbitrary(), Gen.Choose(0, 255).ToArbitrary(), (tp, flags) =>
        {
            ActivityContext context = tp.ToActivityContext();
            context = new ActivityContext(context.TraceId, context.SpanId, (ActivityTraceFlags)flags);
            var direct = new byte[TraceParent.Length];
            TraceParent.FormatActivityContext(context, direct);
            return Encoding.ASCII.GetString(direct) == TraceParent.FromActivityContext(context).ToString();
        });

    [Property(MaxTest = 1000)]
    public Property String_and_its_utf8_bytes_always_agree() =>
        Prop.ForAll(NearTraceParentStrings.ToArbitrary(), s =>
        {
            bool fromChars = TraceParent.TryParse(s.AsSpan(), out TraceParent a);
            bool fromBytes = TraceParent.TryParse(Encoding.UTF8.GetBytes(s), out TraceParent b);
            return fromChars == fromBytes && a == b;
        });

    [Property(MaxTest = 1000)]
    public Property Any_single_character_change_that_breaks_the_grammar_is_rejected() =>
        Prop.ForAll(
            (from tp in ValidTraceParents
             from position in Gen.Choose(0, TraceParent.Length - 1)
             from replacement in Gen.Elements("ABCDEFGXYZgxyz-_ .:\r\n\0\u00e9".ToCharArray())
             select (tp.ToString(), position, replacement)).ToArbitrary(),
            t =>
            {
                (string valid, int position, char replacement) = t;
                bool isDashPosition = position is 2 or 35 or 52;
                bool breaksGrammar = isDashPosition ? replacement != '-' : !HexDigits.Contains(replacement, StringComparison.Ordinal);
                string mutated = valid.Remove(position, 1).Insert(position, replacement.ToString());
                return !breaksGrammar || (!TraceParent.TryParse(mutated.AsSpan(), out _) && !TraceParent.TryParse(Encoding.UTF8.GetBytes(mutated), out _));
            });

    [Property(MaxTest = 1000)]
    public Property Parsing_arbitrary_bytes_never_throws_and_only_accepts_the_grammar() =>
        Prop.ForAll(ArbMap.Default.ArbFor<byte[]>(), bytes =>
        {
            bool ok = TraceParent.TryParse(bytes, out TraceParent tp);
            // Anything accepted must re-format to a valid version-00 value of the same ids.
            return !ok || (tp.IsValid && TraceParent.TryParse(tp.ToString(), out TraceParent again) && again.ToString() == tp.ToString());
        });

    [Property(MaxTest = 1000)]
    public Property Tracestate_output_never_contains_a_forbidden_character() =>
        Prop.ForAll(TraceStateNoise.ToArbitrary(), input =>
        {
            string? normalised = TraceState.Normalize(input, TraceState.DefaultMaxLength);
            string? fromBytes = TraceState.Normalize(Encoding.UTF8.GetBytes(input), TraceState.DefaultMaxLength);
            return normalised == fromBytes
                && (normalised is null
                    || (normalised.All(c => c is >= (char)0x20 and <= (char)0x7E)
                        && normalised.Length <= TraceState.DefaultMaxLength
                        && TraceState.IsValid(normalised)));
        });

    [Property(MaxTest = 500)]
    public Property Valid_tracestate_lists_round_trip_with_any_whitespace() =>
        Prop.ForAll(ValidTraceStateLists.ToArbitrary(), t =>
        {
            (string[] members, string[] separators) = t;
            var text = new StringBuilder();
            for (int i = 0; i < members.Length; i++)
            {
                text.Append(separators[i]).Append(members[i]);
            }

            string canonical = string.Join(",", members);
            return TraceState.Normalize(text.ToString(), int.MaxValue) == canonical
                && TraceState.Combine(members, int.MaxValue) == canonical;
        });

    [Property(MaxTest = 500)]
    public Property Trimming_drops_long_members_first_then_from_the_end() =>
        Prop.ForAll(ValidTraceStateLists.ToArbitrary(), Gen.Choose(0, 2000).ToArbitrary(), (t, budget) =>
        {
            // The W3C Level 2 rule, written the plain way: while over budget, drop the last member
            // longer than 128 characters; once none is left, drop the last member.
            var expected = t.Members.ToList();
            while (Length(expected) > budget && expected.FindLastIndex(m => m.Length > TraceState.LongMemberLength) is int last and >= 0)
            {
                expected.RemoveAt(last);
            }
            while (Length(expected) > budget)
            {
                expected.RemoveAt(expected.Count - 1);
            }

            string? trimmed = TraceState.Normalize(string.Join(",", t.Members), budget);
            string? fromBytes = TraceState.Normalize(Encoding.UTF8.GetBytes(string.Join(",", t.Members)), budget);
            string? model = expected.Count == 0 ? null : string.Join(",", expected);
            return (trimmed == model && fromBytes == model).Label($"budget {budget}: got {trimmed}, expected {model}");

            static int Length(List<string> members) => members.Count == 0 ? 0 : members.Sum(m => m.Length) + members.Count - 1;
        });

    [Property(MaxTest = 500)]
    public Property A_repeated_key_keeps_the_list_without_the_later_member() =>
        Prop.ForAll(ValidTraceStateLists.ToArbitrary(), Gen.Choose(0, 31).ToArbitrary(), Gen.Choose(0, 32).ToArbitrary(), (t, from, at) =>
        {
            string[] members = t.Members;
            if (members.Length == TraceState.MaxListMembers)
            {
                return true.Label("no room for a repeat within 32 members");
            }

            // Repeat one member's key with another value, anywhere after it.
            int source = from % members.Length;
            int position = source + 1 + (at % (members.Length - source));
            string key = members[source][..members[source].IndexOf('=', StringComparison.Ordinal)];
            var repeated = members.ToList();
            repeated.Insert(position, key + "=repeat");

            string canonical = string.Join(",", members);
            return (TraceState.Normalize(string.Join(",", repeated), int.MaxValue) == canonical
                && TraceState.Normalize(Encoding.UTF8.GetBytes(string.Join(" , ", repeated)), int.MaxValue) == canonical
                && TraceState.IsValid(string.Join(",", repeated))).Label(string.Join(",", repeated));
        });

    private static Gen<string> TraceStateNoise =>
        from parts in Gen.ArrayOf(Gen.OneOf(
            Gen.Elements("a", "k", "z9", "t@s", "=", ",", " ", "\t", "\r\n", "\0", "Via: evil", "\u00e9", "v", "==", "@", "A", "_-*/"),
            ArbMap.Default.GeneratorFor<string>().Where(s => s is not null)))
        select string.Concat(parts);

    private static Gen<string> KeyChars(int min, int max) =>
        from length in Gen.Choose(min, max)
        from chars in Gen.ArrayOf(Gen.Elements("abcdefghijklmnopqrstuvwxyz0123456789_-*/@".ToCharArray()), length)
        select new string(chars);

    // W3C Level 2: key = ( lcalpha / DIGIT ) 0*255( keychar ), keychar = lcalpha / DIGIT / "_" / "-" / "*" / "/" / "@".
    // Short keys, long ones up to the limit, and Level 1 multi-tenant keys (a subset).
    private static Gen<string> Keys =>
        Gen.OneOf(
            from first in Gen.Elements("abcxyz0189".ToCharArray())
            from rest in KeyChars(0, 20)
            select first + rest,
            from first in Gen.Elements("a9".ToCharArray())
            from rest in KeyChars(200, 255)
            select first + rest,
            from tenantFirst in Gen.Elements("a1z9".ToCharArray())
            from tenant in KeyChars(0, 10)
            from systemFirst in Gen.Elements("bq".ToCharArray())
            from system in KeyChars(0, 13)
            select $"{tenantFirst}{tenant}@{systemFirst}{system}");

    [Property(MaxTest = 500)]
    public Property Every_Level_2_key_is_valid_and_every_Level_2_invalid_key_is_refused() =>
        Prop.ForAll(Keys.ToArbitrary(), Gen.Elements("A", "_", "@", "-", "é", " ", "=").ToArbitrary(), (key, bad) =>
        {
            bool validKey = TraceState.IsValid(key + "=v");
            bool badFirst = !TraceState.IsValid(bad + key + "=v") || bad == " ";   // leading OWS is trimmed
            bool tooLong = !TraceState.IsValid(key + new string('x', 257 - key.Length) + "=v") || key.Length > 256;
            return (validKey && badFirst && tooLong).Label(key);
        });

    private static Gen<string> Values =>
        from inner in Gen.ArrayOf(Gen.Elements(Enumerable.Range(0x20, 0x5F).Select(i => (char)i).Where(c => c is not ',' and not '=').ToArray()))
        from last in Gen.Elements(Enumerable.Range(0x21, 0x5E).Select(i => (char)i).Where(c => c is not ',' and not '=').ToArray())
        select new string(inner.Take(255).ToArray()) + last;

    private static Gen<(string[] Members, string[] Separators)> ValidTraceStateLists =>
        from count in Gen.Choose(1, TraceState.MaxListMembers)
        from generatedKeys in Gen.ArrayOf(Keys, count)
        let keys = generatedKeys.Distinct(StringComparer.Ordinal).ToArray()
        from values in Gen.ArrayOf(Values, keys.Length)
        from separators in Gen.ArrayOf(Gen.Elements(",", " ,", ", ", "\t,\t", " , , ", ",,"), keys.Length)
        select (
            keys.Zip(values, (k, v) => $"{k}={v}").ToArray(),
            // The first member gets optional whitespace or an empty member before it; the others a separator.
            separators.Select((s, i) => i == 0 ? s.Replace(",", " ", StringComparison.Ordinal) : s).ToArray());
}
