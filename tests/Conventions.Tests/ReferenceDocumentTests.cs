using SipTraceContext.ConventionsGenerator;

namespace SipTraceContext.Conventions.Tests;

public class ReferenceDocumentTests
{
    private static readonly string s_document =
        File.ReadAllText(Path.Combine(RepositoryRoot.Path, ConventionsGeneration.DocumentPath));

    public static TheoryData<string> EveryName()
    {
        var data = new TheoryData<string>();
        foreach (var type in new[] { typeof(SipAttributes), typeof(ImsAttributes), typeof(OtelAttributes), typeof(SipSpanNames), typeof(ImsSpanNames), typeof(SipEventNames) })
        {
            foreach (var name in ConventionNamesTests.Names(type))
            {
                data.Add(name);
            }
        }

        foreach (var metric in ConventionNamesTests.AllMetrics())
        {
            data.Add((string)metric.GetField("Name")!.GetValue(null)!);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(EveryName))]
    public void Reference_document_has_a_row_or_section_for_every_name(string name) =>
        Assert.Contains($"`{name}`", s_document, StringComparison.Ordinal);

    [Fact]
    public void Reference_document_states_whose_conventions_these_are_and_the_schema()
    {
        Assert.Contains("OpenTelemetry has no SIP namespace", s_document, StringComparison.Ordinal);
        Assert.Contains(SipSemanticConventions.SchemaUrl, s_document, StringComparison.Ordinal);
        Assert.Contains($"`{SipSemanticConventions.Stability}`", s_document, StringComparison.Ordinal);
    }

    [Fact]
    public void Reference_document_says_where_each_attribute_is_recorded()
    {
        var row = s_document.Split('\n').Single(l => l.StartsWith("| `sip.elapsed_ms`", StringComparison.Ordinal));

        Assert.Contains("event sip.ringing", row, StringComparison.Ordinal);
        Assert.Contains("event sip.provisional", row, StringComparison.Ordinal);
    }

    [Fact]
    public void Reference_document_lists_units_and_bucket_boundaries_of_metrics()
    {
        Assert.Contains("| [`sip.response.count`](#sipresponsecount) | `SipMetrics.ResponseCount` | counter | `{response}` |", s_document, StringComparison.Ordinal);
        var buckets = string.Join(", ", SipMetrics.CallSetupLatency.ExplicitBucketBoundaries);
        Assert.Contains($"`[{buckets}]`", s_document, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_in_document_link_has_a_heading()
    {
        var anchors = s_document.Split('\n')
            .Where(l => l.StartsWith('#'))
            .Select(l => new string(l.TrimStart('#').Trim().ToLowerInvariant()
                .Where(c => char.IsLetterOrDigit(c) || c is ' ' or '-' or '_')
                .Select(c => c == ' ' ? '-' : c).ToArray()))
            .ToHashSet(StringComparer.Ordinal);

        var links = System.Text.RegularExpressions.Regex.Matches(s_document, @"\]\(#([^)]+)\)").Select(m => m.Groups[1].Value).ToList();

        Assert.NotEmpty(links);
        Assert.All(links, link => Assert.Contains(link, anchors));
    }
}
