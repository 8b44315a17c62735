using SipTraceContext.ConventionsGenerator;

namespace SipTraceContext.Conventions.Tests;

/// <summary>The generator refuses a model with a mistake instead of generating something quietly wrong.</summary>
public sealed class ModelLoaderTests : IDisposable
{
    private const string Manifest = """
        name: test
        description: Test conventions.
        semconv_version: 1.2.3
        schema_base_url: https://example.com/schemas/
        stability: development
        instrumentation_name: Test
        """;

    private const string Registry = """
        groups:
          - id: registry.sip
            type: attribute_group
            display_name: SIP attributes
            brief: SIP.
            annotations:
              csharp_class: SipAttributes
              csharp_strip_prefix: sip.
            attributes:
              - id: sip.call_id
                type: string
                stability: development
                brief: The Call-ID.
                examples: ['abc@host']
              - id: sip.status_code
                type: int
                stability: development
                brief: The status code.
                examples: [200]
        """;

    private readonly string _directory = Directory.CreateTempSubdirectory("conventions-model-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public void Loads_a_valid_model()
    {
        Write(Registry, Span("      - ref: sip.call_id\n        requirement_level: required"));

        var model = ModelLoader.Load(_directory);

        Assert.Equal("https://example.com/schemas/1.2.3", model.Manifest.SchemaUrl);
        var span = Assert.Single(model.Spans);
        Assert.Equal("sip.call.setup", span.Name);
        Assert.Equal(RequirementLevel.Required, Assert.Single(span.Attributes).Level);
    }

    [Fact]
    public void Repository_model_loads()
    {
        var model = ModelLoader.Load(Path.Combine(RepositoryRoot.Path, ConventionsGeneration.ModelDirectory));

        Assert.NotEmpty(model.Spans);
        Assert.NotEmpty(model.Events);
        Assert.NotEmpty(model.Metrics);
        Assert.All(model.AttributeGroups.SelectMany(g => g.Attributes), a => Assert.NotEmpty(a.Examples));
    }

    [Fact]
    public void Repository_model_lists_no_attribute_that_nothing_records()
    {
        var model = ModelLoader.Load(Path.Combine(RepositoryRoot.Path, ConventionsGeneration.ModelDirectory));
        var referenced = model.AllSignals.SelectMany(s => s.Attributes).Select(a => a.Ref).ToHashSet(StringComparer.Ordinal);

        var unused = model.AttributeGroups.SelectMany(g => g.Attributes)
            .Where(a => !a.IsDeprecated && !referenced.Contains(a.Id))
            .Select(a => a.Id);

        // service.instance.id is a resource attribute: it is set on the SDK's resource, not on a span or metric.
        Assert.Equal(["service.instance.id"], unused);
    }

    [Theory]
    [InlineData("      - ref: sip.nope\n        requirement_level: required", "ref 'sip.nope' is not in the registry")]
    [InlineData("      - ref: sip.call_id\n        requirement_level: sometimes", "unknown requirement_level 'sometimes'")]
    [InlineData("      - ref: sip.call_id\n        requirement_level: conditionally_required", "needs its condition")]
    [InlineData("      - ref: sip.call_id\n        requirement_level: required\n      - ref: sip.call_id\n        requirement_level: required", "listed twice")]
    [InlineData("      - ref: sip.call_id\n        requirement_level: required\n        colour: red", "unknown key 'colour'")]
    public void Rejects_a_bad_attribute_reference(string references, string expected)
    {
        Write(Registry, Span(references));

        AssertRejected(expected);
    }

    [Fact]
    public void Rejects_an_attribute_defined_twice()
    {
        Write(Registry, Registry.Replace("registry.sip", "registry.sip2", StringComparison.Ordinal).Replace("SipAttributes", "SipAttributes2", StringComparison.Ordinal));

        AssertRejected("is defined twice");
    }

    [Theory]
    [InlineData("type: int\n", "type: integer\n", "unknown type 'integer'")]
    [InlineData("examples: [200]", "examples: [two hundred]", "is not a int")]
    [InlineData("stability: development\n        brief: The Call-ID.", "stability: experimental\n        brief: The Call-ID.", "stability 'experimental'")]
    [InlineData("- id: sip.call_id", "- id: Sip.CallId", "lower-case dot-separated")]
    [InlineData("csharp_strip_prefix: sip.", "csharp_strip_prefix: ims.", "does not start with 'ims.'")]
    public void Rejects_a_bad_attribute_definition(string from, string to, string expected)
    {
        Write(Registry.Replace(from, to, StringComparison.Ordinal));

        AssertRejected(expected);
    }

    [Fact]
    public void Rejects_an_event_whose_name_differs_from_its_id()
    {
        Write(Registry, """
            groups:
              - id: event.sip.ringing
                type: event
                name: sip.ringin
                stability: development
                brief: Ringing.
            """);

        AssertRejected("the event name must be 'sip.ringing'");
    }

    [Fact]
    public void Rejects_a_span_that_lists_an_unknown_event()
    {
        Write(Registry, Span("      - ref: sip.call_id\n        requirement_level: required") + "    events: [sip.ringing]\n");

        AssertRejected("event 'sip.ringing' has no event group");
    }

    [Theory]
    [InlineData("histogram", "", "needs annotations.explicit_bucket_boundaries")]
    [InlineData("counter", "[1, 2]", "only a histogram has explicit_bucket_boundaries")]
    [InlineData("histogram", "[10, 5]", "strictly increasing")]
    [InlineData("histogram", "[10, ten]", "is not a finite number")]
    [InlineData("gauges", "", "instrument 'gauges' is not one of")]
    public void Rejects_a_bad_metric(string instrument, string buckets, string expected)
    {
        var annotations = buckets.Length == 0 ? string.Empty : $"    annotations:\n      explicit_bucket_boundaries: {buckets}\n";
        Write(Registry, $"""
            groups:
              - id: metric.sip.call.setup_latency
                type: metric
                metric_name: sip.call.setup_latency
                instrument: {instrument}
                unit: ms
                stability: development
                brief: Setup latency.

            """ + annotations);

        AssertRejected(expected);
    }

    [Theory]
    [InlineData("", "every metric needs a 'naming' decision")]
    [InlineData("    naming:\n      seed_name: sip.setup_latency\n      conforming: sip.call.setup.duration\n      decision: keep_seed\n      reason: Seed.\n", "keep_seed needs seed_name 'sip.call.setup_latency'")]
    [InlineData("    naming:\n      conforming: sip.call.setup.duration\n      decision: renamed\n      reason: Rules.\n", "renamed needs previous_name")]
    [InlineData("    naming:\n      conforming: sip.call.setup.duration\n      decision: conforms\n      reason: Rules.\n", "conforms needs conforming 'sip.call.setup_latency'")]
    [InlineData("    naming:\n      conforming: sip.call.setup.duration\n      decision: maybe\n      reason: Rules.\n", "decision 'maybe' is not one of")]
    public void Rejects_a_metric_without_a_consistent_naming_decision(string naming, string expected)
    {
        Write(Registry, """
            groups:
              - id: metric.sip.call.setup_latency
                type: metric
                metric_name: sip.call.setup_latency
                instrument: counter
                unit: ms
                stability: development
                brief: Setup latency.

            """ + naming);

        AssertRejected(expected);
    }

    [Fact]
    public void Loads_a_span_status_table_and_rejects_a_status_outside_unset_and_error()
    {
        const string Table = """
            groups:
              - id: span_status.sip
                type: span_status
                brief: Mapping.
                rows:
                  - outcome: 4xx
                    server: unset
                    client: error
                    reason: Not the server's fault.

            """;
        Write(Registry, Table);
        var row = Assert.Single(Assert.Single(ModelLoader.Load(_directory).SpanStatus).Rows);
        Assert.Equal(("unset", "error"), (row.Server, row.Client));

        Write(Registry, Table.Replace("client: error", "client: failed", StringComparison.Ordinal));
        AssertRejected("client 'failed' is not one of");
    }

    [Fact]
    public void Repository_model_decides_every_metric_name_and_maps_every_status()
    {
        var model = ModelLoader.Load(Path.Combine(RepositoryRoot.Path, ConventionsGeneration.ModelDirectory));

        Assert.All(model.Metrics, m => Assert.NotNull(m.Naming));
        Assert.All(model.Metrics.Where(m => m.Naming!.Decision != "keep_seed"), m => Assert.Equal(m.Name, m.Naming!.Conforming));
        Assert.All(model.Metrics.Where(m => m.Naming!.Decision != "keep_seed" && m.Instrument == "histogram"), m => Assert.Equal("s", m.Unit));
        var rows = Assert.Single(model.SpanStatus).Rows;
        Assert.Contains(rows, r => r.Outcome.StartsWith("5xx", StringComparison.Ordinal) && r.Server == "error" && r.Client == "error");
        Assert.Contains(rows, r => r.Outcome.StartsWith("other 4xx", StringComparison.Ordinal) && r.Server == "unset" && r.Client == "error");
    }

    [Fact]
    public void Rejects_a_name_outside_the_sip_and_ims_namespaces()
    {
        Write(Registry, Span("      - ref: sip.call_id\n        requirement_level: required").Replace("span.sip.call.setup", "span.http.call.setup", StringComparison.Ordinal));

        AssertRejected("sip or ims namespace");
    }

    [Fact]
    public void Rejects_invalid_yaml_with_the_file_name()
    {
        Write("groups: [unclosed");

        AssertRejected("registry.yaml: not valid YAML");
    }

    [Fact]
    public void Rejects_a_deprecation_that_points_nowhere()
    {
        Write(Registry.Replace(
            "        brief: The status code.",
            "        deprecated:\n          reason: renamed\n          renamed_to: sip.response_code\n        brief: The status code.",
            StringComparison.Ordinal));

        AssertRejected("renamed_to 'sip.response_code' is not in the registry");
    }

    private static string Span(string references) => $"""
        groups:
          - id: span.sip.call.setup
            type: span
            span_kind: server
            stability: development
            brief: Setup.
            attributes:
        {references}

        """;

    private void Write(string registry, string? signals = null)
    {
        File.WriteAllText(Path.Combine(_directory, "manifest.yaml"), Manifest);
        File.WriteAllText(Path.Combine(_directory, "registry.yaml"), registry);
        if (signals is not null)
        {
            File.WriteAllText(Path.Combine(_directory, "signals.yaml"), signals);
        }
    }

    private void AssertRejected(string expected)
    {
        var error = Assert.Throws<InvalidDataException>(() => ModelLoader.Load(_directory));
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
