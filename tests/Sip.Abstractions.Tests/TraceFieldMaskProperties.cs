using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace SipTraceContext.Sip.Tests;

/// <summary>
/// The reader marks, as it classifies each header name, the fields that may be trace headers, and the
/// propagator looks at those only: a field named like one that went unmarked would be a trace header
/// the propagator never sees (not replaced on inject, not read on extract). These properties hold that
/// no such field goes unmarked, whatever the prefix, case, position or number of fields.
/// </summary>
public sealed class TraceFieldMaskProperties
{
    private const string TokenAlphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~";

    private static Gen<string> Names =>
        Gen.OneOf(
            // Any token, but never a Content-Length (or its compact "l"), whose value "v" would be malformed.
            from length in Gen.Choose(0, 20)
            from chars in Gen.Elements(TokenAlphabet.ToCharArray()).ArrayOf(length)
            select "Y" + new string(chars),
            from prefix in Gen.Elements("X-OTel-", "P-OTel-", "OTel-", "X-", string.Empty, "x-long-vendor-", "A.b_c~")
            from suffix in Gen.Elements("traceparent", "tracestate")
            from upper in Gen.Elements(true, false).ArrayOf(11)
            select prefix + new string(suffix.Select((c, i) => upper[i] ? char.ToUpperInvariant(c) : c).ToArray()),
            Gen.Elements("traceparen", "racestate", "Xtracestatex", "trace-parent", "Via", "Call-ID"));

    [Property(MaxTest = 2_000)]
    public Property Every_field_named_like_a_trace_header_is_marked() =>
        Prop.ForAll(
            (from count in Gen.Choose(1, 45) from names in Names.ArrayOf(count) select names).ToArbitrary(),
            Gen.Elements("\r\n", "\n").ToArbitrary(),
            (names, ending) =>
            {
                var text = new StringBuilder("BYE sip:b@x SIP/2.0").Append(ending);
                foreach (string name in names)
                {
                    text.Append(name).Append(": v").Append(ending);
                }

                var reader = new SipMessageReader(Encoding.ASCII.GetBytes(text.Append(ending).ToString()));
                if (!reader.HeadersComplete)
                {
                    return false.Label("the reader refused a generated message");
                }

                Internal.SipMessageLayout layout = reader.Layout;
                for (int i = 0; i < names.Length; i++)
                {
                    bool traceHeader = names[i].EndsWith("traceparent", StringComparison.OrdinalIgnoreCase)
                        || names[i].EndsWith("tracestate", StringComparison.OrdinalIgnoreCase);
                    bool marked = i < 32 ? ((layout.TraceFieldMask >> i) & 1) != 0 : layout.TraceFieldPastIndex;
                    if (traceHeader && !marked)
                    {
                        return false.Label($"field {i} '{names[i]}' is not marked");
                    }
                }

                return true.ToProperty();
            });
}
