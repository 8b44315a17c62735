namespace SipTraceContext.ConventionsGenerator;

/// <summary>The registry manifest (<c>manifest.yaml</c>): name and schema version of the conventions.</summary>
internal sealed record Manifest(
    string Name,
    string Description,
    string SemconvVersion,
    string SchemaBaseUrl,
    string Stability,
    string InstrumentationName)
{
    /// <summary>The schema URL the instrumentation reports: base URL followed by the version.</summary>
    public string SchemaUrl => SchemaBaseUrl.TrimEnd('/') + "/" + SemconvVersion;
}

/// <summary>One well-known value of an enumerated attribute.</summary>
internal sealed record EnumMember(string Id, string Value, string Brief, string Stability);

/// <summary>An <c>attribute_group</c> of the registry: the attributes one generated class holds.</summary>
internal sealed record AttributeGroup(
    string Id,
    string DisplayName,
    string Brief,
    string? Note,
    string CSharpClass,
    string CSharpStripPrefix,
    IReadOnlyList<AttributeDefinition> Attributes);

/// <summary>An attribute of the registry.</summary>
internal sealed record AttributeDefinition(
    string Id,
    string Type,
    IReadOnlyList<EnumMember> Members,
    string Brief,
    string? Note,
    IReadOnlyList<string> Examples,
    string Stability,
    string? RenamedTo,
    NamingDecision? Naming = null)
{
    /// <summary>True when the type is an enumeration of well-known string values.</summary>
    public bool IsEnum => Members.Count > 0;

    /// <summary>The type as the reference document shows it.</summary>
    public string DisplayType => IsEnum ? "string (enum)" : Type;

    /// <summary>True when examples are written as quoted strings.</summary>
    public bool HasStringExamples => IsEnum || Type.StartsWith("string", StringComparison.Ordinal);

    /// <summary>True when the attribute is deprecated in favour of another name.</summary>
    public bool IsDeprecated => RenamedTo is not null;
}

/// <summary>How strongly a signal wants an attribute (OpenTelemetry requirement levels).</summary>
internal enum RequirementLevel
{
    Required,
    ConditionallyRequired,
    Recommended,
    OptIn,
}

/// <summary>A signal's use of a registry attribute.</summary>
internal sealed record AttributeReference(string Ref, RequirementLevel Level, string? Condition, string? Note);

/// <summary>The kinds of signal group the model holds.</summary>
internal enum SignalKind
{
    Span,
    Event,
    Metric,
}

/// <summary>A span, event or metric group.</summary>
internal sealed record SignalGroup(
    string Id,
    SignalKind Kind,
    string Name,
    string Brief,
    string? Note,
    string Stability,
    string? SpanKind,
    string? Instrument,
    string? Unit,
    IReadOnlyList<double> BucketBoundaries,
    IReadOnlyList<AttributeReference> Attributes,
    IReadOnlyList<string> Events,
    string SourceFile,
    NamingDecision? Naming = null)
{
    /// <summary>The namespace of the name: <c>sip</c> or <c>ims</c>.</summary>
    public string Namespace => Name[..Name.IndexOf('.', StringComparison.Ordinal)];
}

/// <summary>
/// Why a metric or attribute has its name, checked against OpenTelemetry's naming rules: the seed's name (when
/// a seed article defined it), the name the rules would give it, and what this project decided.
/// </summary>
/// <param name="SeedName">The name a seed article gives it, if any.</param>
/// <param name="SeedUnit">The seed's unit, if it has one.</param>
/// <param name="Conforming">The name OpenTelemetry's rules give it.</param>
/// <param name="ConformingUnit">The unit the rules give it, when it differs or matters.</param>
/// <param name="Decision">One of <c>keep_seed</c> (the seed's name stays: users chart it), <c>renamed</c>
/// (changed to conform; <paramref name="PreviousName"/> is what it was) or <c>conforms</c>.</param>
/// <param name="PreviousName">The name before a rename.</param>
/// <param name="Reason">Why.</param>
internal sealed record NamingDecision(
    string? SeedName,
    string? SeedUnit,
    string Conforming,
    string? ConformingUnit,
    string Decision,
    string? PreviousName,
    string Reason);

/// <summary>One row of the span status mapping: an outcome and the status of a Server and of a Client span.</summary>
internal sealed record SpanStatusRow(string Outcome, string Server, string Client, string Reason);

/// <summary>The span status mapping (group type <c>span_status</c>).</summary>
internal sealed record SpanStatusTable(string Id, string Brief, string? Note, IReadOnlyList<SpanStatusRow> Rows);

/// <summary>The whole model after loading and validation.</summary>
internal sealed record ConventionModel(
    Manifest Manifest,
    IReadOnlyList<AttributeGroup> AttributeGroups,
    IReadOnlyList<SignalGroup> Spans,
    IReadOnlyList<SignalGroup> Events,
    IReadOnlyList<SignalGroup> Metrics,
    IReadOnlyList<SpanStatusTable> SpanStatus)
{
    /// <summary>Finds an attribute and the group that defines it.</summary>
    public (AttributeGroup Group, AttributeDefinition Attribute) FindAttribute(string id)
    {
        foreach (var group in AttributeGroups)
        {
            foreach (var attribute in group.Attributes)
            {
                if (attribute.Id == id)
                {
                    return (group, attribute);
                }
            }
        }

        throw new KeyNotFoundException($"Attribute '{id}' is not in the registry.");
    }

    /// <summary>Every span, event and metric, in document order.</summary>
    public IEnumerable<SignalGroup> AllSignals => Spans.Concat(Events).Concat(Metrics);
}
