using System.Globalization;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SipTraceContext.ConventionsGenerator;

/// <summary>
/// Reads the model folder (OpenTelemetry semantic-conventions registry format) and validates it
/// strictly: an unknown key, a dangling reference, a name that does not match its group id or a
/// duplicate name is an error that names the file, so a typo never turns into a silently missing
/// constant.
/// </summary>
internal static partial class ModelLoader
{
    private static readonly string[] s_stabilities = ["development", "alpha", "beta", "release_candidate", "stable"];
    private static readonly string[] s_primitiveTypes =
        ["string", "int", "double", "boolean", "string[]", "int[]", "double[]", "boolean[]"];
    private static readonly string[] s_spanKinds = ["client", "server", "internal", "producer", "consumer"];
    private static readonly string[] s_instruments = ["counter", "updowncounter", "histogram", "gauge"];

    [GeneratedRegex("^[a-z][a-z0-9_]*(\\.[a-z][a-z0-9_]*)+$")]
    private static partial Regex AttributeNameRegex();

    [GeneratedRegex("^[a-z][a-z0-9_]*$")]
    private static partial Regex MemberIdRegex();

    /// <summary>Loads <c>manifest.yaml</c> and every other <c>*.yaml</c> under the model folder.</summary>
    public static ConventionModel Load(string modelDirectory)
    {
        var manifestPath = Path.Combine(modelDirectory, "manifest.yaml");
        if (!File.Exists(manifestPath))
        {
            throw new InvalidDataException($"The model folder '{modelDirectory}' has no manifest.yaml.");
        }

        var manifest = ReadManifest(manifestPath);
        var attributeGroups = new List<AttributeGroup>();
        var signals = new List<SignalGroup>();
        var spanStatus = new List<SpanStatusTable>();

        // Ordinal order of the relative paths, so the output never depends on the file system.
        var files = Directory.GetFiles(modelDirectory, "*.yaml", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(modelDirectory, path).Replace('\\', '/'))
            .Where(path => path != "manifest.yaml")
            .Order(StringComparer.Ordinal)
            .ToList();

        foreach (var file in files)
        {
            var root = ReadRoot(Path.Combine(modelDirectory, file), file);
            CheckKeys(root, file, "groups");
            foreach (var node in Sequence(Required(root, "groups", file), file, "groups"))
            {
                var group = Mapping(node, file, "group");
                var id = RequiredString(group, "id", file);
                var where = $"{file}: group '{id}'";
                switch (RequiredString(group, "type", where))
                {
                    case "attribute_group":
                        attributeGroups.Add(ReadAttributeGroup(group, id, where));
                        break;
                    case "span":
                        signals.Add(ReadSignal(group, id, SignalKind.Span, file, where));
                        break;
                    case "event":
                        signals.Add(ReadSignal(group, id, SignalKind.Event, file, where));
                        break;
                    case "metric":
                        signals.Add(ReadSignal(group, id, SignalKind.Metric, file, where));
                        break;
                    case "span_status":
                        spanStatus.Add(ReadSpanStatus(group, id, where));
                        break;
                    case var other:
                        throw Error(where, $"unknown group type '{other}'");
                }
            }
        }

        // Document and class order: SIP first, then IMS, then the reused OpenTelemetry attributes; within a
        // namespace, the order of the files and of the groups in them (OrderBy is stable).
        var model = new ConventionModel(
            manifest,
            attributeGroups.OrderBy(g => NamespaceRank(g.CSharpStripPrefix.TrimEnd('.'))).ToList(),
            signals.Where(s => s.Kind == SignalKind.Span).OrderBy(s => NamespaceRank(s.Namespace)).ToList(),
            signals.Where(s => s.Kind == SignalKind.Event).OrderBy(s => NamespaceRank(s.Namespace)).ToList(),
            signals.Where(s => s.Kind == SignalKind.Metric).OrderBy(s => NamespaceRank(s.Namespace)).ToList(),
            spanStatus);
        Validate(model);
        return model;
    }

    private static int NamespaceRank(string ns) => ns switch
    {
        "sip" => 0,
        "ims" => 1,
        _ => 2,
    };

    private static Manifest ReadManifest(string path)
    {
        const string File = "manifest.yaml";
        var root = ReadRoot(path, File);
        CheckKeys(root, File, "name", "description", "semconv_version", "schema_base_url", "stability", "instrumentation_name");
        var manifest = new Manifest(
            RequiredString(root, "name", File),
            RequiredString(root, "description", File),
            RequiredString(root, "semconv_version", File),
            RequiredString(root, "schema_base_url", File),
            Stability(root, File),
            RequiredString(root, "instrumentation_name", File));
        if (!Uri.TryCreate(manifest.SchemaUrl, UriKind.Absolute, out _))
        {
            throw Error(File, $"schema URL '{manifest.SchemaUrl}' is not an absolute URL");
        }

        return manifest;
    }

    private static AttributeGroup ReadAttributeGroup(YamlMappingNode group, string id, string where)
    {
        CheckKeys(group, where, "id", "type", "display_name", "brief", "note", "annotations", "attributes");
        var annotations = Mapping(Required(group, "annotations", where), where, "annotations");
        CheckKeys(annotations, where + " annotations", "csharp_class", "csharp_strip_prefix");
        var attributes = new List<AttributeDefinition>();
        foreach (var node in Sequence(Required(group, "attributes", where), where, "attributes"))
        {
            attributes.Add(ReadAttribute(Mapping(node, where, "attribute"), where));
        }

        return new AttributeGroup(
            id,
            RequiredString(group, "display_name", where),
            RequiredString(group, "brief", where),
            OptionalString(group, "note", where),
            RequiredString(annotations, "csharp_class", where),
            OptionalString(annotations, "csharp_strip_prefix", where) ?? string.Empty,
            attributes);
    }

    private static AttributeDefinition ReadAttribute(YamlMappingNode node, string groupWhere)
    {
        var id = RequiredString(node, "id", groupWhere);
        var where = $"{groupWhere}, attribute '{id}'";
        CheckKeys(node, where, "id", "type", "stability", "brief", "note", "examples", "deprecated", "naming");
        if (!AttributeNameRegex().IsMatch(id))
        {
            throw Error(where, "an attribute id is lower-case dot-separated words (namespace.name)");
        }

        var members = new List<EnumMember>();
        string type;
        var typeNode = Required(node, "type", where);
        if (typeNode is YamlScalarNode scalarType)
        {
            type = scalarType.Value ?? string.Empty;
            if (!s_primitiveTypes.Contains(type))
            {
                throw Error(where, $"unknown type '{type}'");
            }
        }
        else
        {
            type = "string";
            var enumNode = Mapping(typeNode, where, "type");
            CheckKeys(enumNode, where + " type", "members");
            foreach (var memberNode in Sequence(Required(enumNode, "members", where), where, "members"))
            {
                var member = Mapping(memberNode, where, "member");
                var memberId = RequiredString(member, "id", where);
                var memberWhere = $"{where}, member '{memberId}'";
                CheckKeys(member, memberWhere, "id", "value", "brief", "stability");
                if (!MemberIdRegex().IsMatch(memberId))
                {
                    throw Error(memberWhere, "a member id is a lower-case word that starts with a letter");
                }

                members.Add(new EnumMember(
                    memberId,
                    RequiredString(member, "value", memberWhere),
                    RequiredString(member, "brief", memberWhere),
                    Stability(member, memberWhere)));
            }

            if (members.Count == 0)
            {
                throw Error(where, "an enum type needs at least one member");
            }
        }

        string? renamedTo = null;
        if (node.Children.TryGetValue(new YamlScalarNode("deprecated"), out var deprecatedNode))
        {
            var deprecated = Mapping(deprecatedNode, where, "deprecated");
            CheckKeys(deprecated, where + " deprecated", "reason", "renamed_to");
            if (RequiredString(deprecated, "reason", where) != "renamed")
            {
                throw Error(where, "the only deprecation reason supported is 'renamed'");
            }

            renamedTo = RequiredString(deprecated, "renamed_to", where);
        }

        var examples = Examples(Required(node, "examples", where), where);
        foreach (var example in examples)
        {
            CheckExample(type, example, where);
        }

        return new AttributeDefinition(
            id,
            type,
            members,
            RequiredString(node, "brief", where),
            OptionalString(node, "note", where),
            examples,
            Stability(node, where),
            renamedTo,
            ReadNaming(node, id, where));
    }

    private static SignalGroup ReadSignal(YamlMappingNode group, string id, SignalKind kind, string file, string where)
    {
        var prefix = kind switch
        {
            SignalKind.Span => "span.",
            SignalKind.Event => "event.",
            _ => "metric.",
        };
        if (!id.StartsWith(prefix, StringComparison.Ordinal))
        {
            throw Error(where, $"the id of a {kind.ToString().ToLowerInvariant()} group starts with '{prefix}'");
        }

        var name = id[prefix.Length..];
        string? spanKind = null, instrument = null, unit = null;
        IReadOnlyList<double> buckets = [];
        IReadOnlyList<string> events = [];
        switch (kind)
        {
            case SignalKind.Span:
                CheckKeys(group, where, "id", "type", "span_kind", "stability", "brief", "note", "attributes", "events");
                spanKind = OneOf(RequiredString(group, "span_kind", where), s_spanKinds, where, "span_kind");
                if (group.Children.TryGetValue(new YamlScalarNode("events"), out var eventsNode))
                {
                    events = Sequence(eventsNode, where, "events").Select(e => Scalar(e, where, "events")).ToList();
                }

                break;
            case SignalKind.Event:
                CheckKeys(group, where, "id", "type", "name", "stability", "brief", "note", "attributes");
                if (RequiredString(group, "name", where) != name)
                {
                    throw Error(where, $"the event name must be '{name}', the id without 'event.'");
                }

                break;
            default:
                CheckKeys(group, where, "id", "type", "metric_name", "instrument", "unit", "stability", "brief", "note", "annotations", "attributes", "naming");

                if (RequiredString(group, "metric_name", where) != name)
                {
                    throw Error(where, $"the metric name must be '{name}', the id without 'metric.'");
                }

                instrument = OneOf(RequiredString(group, "instrument", where), s_instruments, where, "instrument");
                unit = RequiredString(group, "unit", where);
                buckets = ReadBuckets(group, instrument, where);
                if (!group.Children.ContainsKey(new YamlScalarNode("naming")))
                {
                    throw Error(where, "every metric needs a 'naming' decision (seed_name, conforming, decision, reason)");
                }

                break;
        }

        if (!AttributeNameRegex().IsMatch(name))
        {
            throw Error(where, "a signal name is lower-case dot-separated words (namespace.name)");
        }

        var attributes = new List<AttributeReference>();
        if (group.Children.TryGetValue(new YamlScalarNode("attributes"), out var attributesNode))
        {
            foreach (var node in Sequence(attributesNode, where, "attributes"))
            {
                attributes.Add(ReadReference(Mapping(node, where, "attribute reference"), where));
            }
        }

        return new SignalGroup(
            id,
            kind,
            name,
            RequiredString(group, "brief", where),
            OptionalString(group, "note", where),
            Stability(group, where),
            spanKind,
            instrument,
            unit,
            buckets,
            attributes,
            events,
            file,
            ReadNaming(group, name, where));
    }

    private static readonly string[] s_namingDecisions = ["keep_seed", "renamed", "conforms"];

    private static NamingDecision? ReadNaming(YamlMappingNode owner, string name, string ownerWhere)
    {
        if (!owner.Children.TryGetValue(new YamlScalarNode("naming"), out var value))
        {
            return null;
        }

        var where = ownerWhere + " naming";
        var node = Mapping(value, where, "naming");
        CheckKeys(node, where, "seed_name", "seed_unit", "conforming", "conforming_unit", "decision", "previous_name", "reason");
        var decision = OneOf(RequiredString(node, "decision", where), s_namingDecisions, where, "decision");
        var naming = new NamingDecision(
            OptionalString(node, "seed_name", where),
            OptionalString(node, "seed_unit", where),
            RequiredString(node, "conforming", where),
            OptionalString(node, "conforming_unit", where),
            decision,
            OptionalString(node, "previous_name", where),
            RequiredString(node, "reason", where));
        switch (decision)
        {
            case "keep_seed" when naming.SeedName != name:
                throw Error(where, $"keep_seed needs seed_name '{name}'");
            case "renamed" when naming.PreviousName is null || naming.Conforming != name:
                throw Error(where, $"renamed needs previous_name, and conforming '{name}' (the new name)");
            case "conforms" when naming.Conforming != name:
                throw Error(where, $"conforms needs conforming '{name}'");
        }

        return naming;
    }

    private static readonly string[] s_statuses = ["unset", "error"];

    private static SpanStatusTable ReadSpanStatus(YamlMappingNode group, string id, string where)
    {
        CheckKeys(group, where, "id", "type", "brief", "note", "rows");
        var rows = new List<SpanStatusRow>();
        foreach (var rowNode in Sequence(Required(group, "rows", where), where, "rows"))
        {
            var row = Mapping(rowNode, where, "row");
            CheckKeys(row, where + " row", "outcome", "server", "client", "reason");
            rows.Add(new SpanStatusRow(
                RequiredString(row, "outcome", where),
                OneOf(RequiredString(row, "server", where), s_statuses, where, "server"),
                OneOf(RequiredString(row, "client", where), s_statuses, where, "client"),
                RequiredString(row, "reason", where)));
        }

        if (rows.Count == 0)
        {
            throw Error(where, "'rows' is empty");
        }

        return new SpanStatusTable(id, RequiredString(group, "brief", where), OptionalString(group, "note", where), rows);
    }

    private static List<double> ReadBuckets(YamlMappingNode group, string instrument, string where)
    {
        if (!group.Children.TryGetValue(new YamlScalarNode("annotations"), out var annotationsNode))
        {
            if (instrument == "histogram")
            {
                throw Error(where, "a histogram needs annotations.explicit_bucket_boundaries");
            }

            return [];
        }

        var annotations = Mapping(annotationsNode, where, "annotations");
        CheckKeys(annotations, where + " annotations", "explicit_bucket_boundaries");
        if (instrument != "histogram")
        {
            throw Error(where, "only a histogram has explicit_bucket_boundaries");
        }

        var buckets = new List<double>();
        foreach (var node in Sequence(Required(annotations, "explicit_bucket_boundaries", where), where, "explicit_bucket_boundaries"))
        {
            var text = Scalar(node, where, "explicit_bucket_boundaries");
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
            {
                throw Error(where, $"bucket boundary '{text}' is not a finite number");
            }

            if (buckets.Count > 0 && value <= buckets[^1])
            {
                throw Error(where, "bucket boundaries must be strictly increasing");
            }

            buckets.Add(value);
        }

        if (buckets.Count == 0)
        {
            throw Error(where, "explicit_bucket_boundaries is empty");
        }

        return buckets;
    }

    private static AttributeReference ReadReference(YamlMappingNode node, string groupWhere)
    {
        var id = RequiredString(node, "ref", groupWhere);
        var where = $"{groupWhere}, ref '{id}'";
        CheckKeys(node, where, "ref", "requirement_level", "note");
        var levelNode = Required(node, "requirement_level", where);
        RequirementLevel level;
        string? condition = null;
        if (levelNode is YamlScalarNode scalar)
        {
            level = scalar.Value switch
            {
                "required" => RequirementLevel.Required,
                "recommended" => RequirementLevel.Recommended,
                "opt_in" => RequirementLevel.OptIn,
                "conditionally_required" => throw Error(where, "conditionally_required needs its condition: { conditionally_required: <text> }"),
                _ => throw Error(where, $"unknown requirement_level '{scalar.Value}'"),
            };
        }
        else
        {
            var mapping = Mapping(levelNode, where, "requirement_level");
            if (mapping.Children.Count != 1)
            {
                throw Error(where, "requirement_level as a mapping has exactly one key");
            }

            var (key, value) = mapping.Children.First();
            level = Scalar(key, where, "requirement_level") switch
            {
                "conditionally_required" => RequirementLevel.ConditionallyRequired,
                "recommended" => RequirementLevel.Recommended,
                var other => throw Error(where, $"requirement_level '{other}' takes no condition"),
            };
            condition = Scalar(value, where, "requirement_level");
        }

        return new AttributeReference(id, level, condition, OptionalString(node, "note", where));
    }

    private static void Validate(ConventionModel model)
    {
        var attributes = new Dictionary<string, AttributeDefinition>(StringComparer.Ordinal);
        var classes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in model.AttributeGroups)
        {
            if (!classes.Add(group.CSharpClass))
            {
                throw Error(group.Id, $"two attribute groups generate the class '{group.CSharpClass}'");
            }

            var members = new HashSet<string>(StringComparer.Ordinal);
            foreach (var attribute in group.Attributes)
            {
                if (!attributes.TryAdd(attribute.Id, attribute))
                {
                    throw Error(group.Id, $"attribute '{attribute.Id}' is defined twice");
                }

                if (!attribute.Id.StartsWith(group.CSharpStripPrefix, StringComparison.Ordinal))
                {
                    throw Error(group.Id, $"attribute '{attribute.Id}' does not start with '{group.CSharpStripPrefix}'");
                }

                var member = Naming.AttributeMember(group, attribute);
                if (!members.Add(member) || !members.Add(member + "Values"))
                {
                    throw Error(group.Id, $"two attributes generate the member '{member}'");
                }

                var values = new HashSet<string>(StringComparer.Ordinal);
                foreach (var enumMember in attribute.Members)
                {
                    if (!values.Add(Naming.Pascal(enumMember.Id)))
                    {
                        throw Error(attribute.Id, $"two members generate the constant '{Naming.Pascal(enumMember.Id)}'");
                    }
                }
            }
        }

        foreach (var attribute in attributes.Values)
        {
            if (attribute.RenamedTo is { } renamed && !attributes.ContainsKey(renamed))
            {
                throw Error(attribute.Id, $"renamed_to '{renamed}' is not in the registry");
            }
        }

        var names = new HashSet<string>(StringComparer.Ordinal);
        var constants = new HashSet<string>(StringComparer.Ordinal);
        var eventNames = model.Events.Select(e => e.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var signal in model.AllSignals)
        {
            var where = $"{signal.SourceFile}: group '{signal.Id}'";
            if (!names.Add(signal.Kind + ":" + signal.Name))
            {
                throw Error(where, $"'{signal.Name}' is defined twice");
            }

            if (signal.Namespace is not ("sip" or "ims"))
            {
                throw Error(where, "span, event and metric names live in the sip or ims namespace");
            }

            if (!constants.Add(Naming.SignalClass(signal) + "." + Naming.SignalMember(signal)))
            {
                throw Error(where, $"two names generate {Naming.SignalClass(signal)}.{Naming.SignalMember(signal)}");
            }

            var referenced = new HashSet<string>(StringComparer.Ordinal);
            foreach (var reference in signal.Attributes)
            {
                if (!attributes.TryGetValue(reference.Ref, out var attribute))
                {
                    throw Error(where, $"ref '{reference.Ref}' is not in the registry");
                }

                if (attribute.IsDeprecated)
                {
                    throw Error(where, $"ref '{reference.Ref}' is deprecated; use '{attribute.RenamedTo}'");
                }

                if (!referenced.Add(reference.Ref))
                {
                    throw Error(where, $"ref '{reference.Ref}' is listed twice");
                }
            }

            foreach (var eventName in signal.Events)
            {
                if (!eventNames.Contains(eventName))
                {
                    throw Error(where, $"event '{eventName}' has no event group");
                }
            }
        }
    }

    private static void CheckExample(string type, string example, string where)
    {
        var ok = type.TrimEnd('[', ']') switch
        {
            "int" => long.TryParse(example, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
            "double" => double.TryParse(example, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
            "boolean" => example is "true" or "false",
            _ => true,
        };
        if (!ok)
        {
            throw Error(where, $"example '{example}' is not a {type}");
        }
    }

    private static List<string> Examples(YamlNode node, string where) => node switch
    {
        YamlScalarNode scalar => [scalar.Value ?? string.Empty],
        YamlSequenceNode sequence when sequence.Children.Count > 0 => sequence.Children.Select(n => Scalar(n, where, "examples")).ToList(),
        _ => throw Error(where, "examples is a value or a non-empty list of values"),
    };

    private static string Stability(YamlMappingNode node, string where) =>
        OneOf(RequiredString(node, "stability", where), s_stabilities, where, "stability");

    private static string OneOf(string value, string[] allowed, string where, string key) =>
        allowed.Contains(value) ? value : throw Error(where, $"{key} '{value}' is not one of: {string.Join(", ", allowed)}");

    private static YamlMappingNode ReadRoot(string path, string file)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StringReader(File.ReadAllText(path));
            stream.Load(reader);
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{file}: not valid YAML: {e.Message}", e);
        }

        if (stream.Documents.Count != 1)
        {
            throw Error(file, "expected exactly one YAML document");
        }

        return Mapping(stream.Documents[0].RootNode, file, "document");
    }

    private static void CheckKeys(YamlMappingNode node, string where, params string[] allowed)
    {
        foreach (var key in node.Children.Keys)
        {
            var name = Scalar(key, where, "key");
            if (!allowed.Contains(name))
            {
                throw Error(where, $"unknown key '{name}' (allowed: {string.Join(", ", allowed)})");
            }
        }
    }

    private static YamlNode Required(YamlMappingNode node, string key, string where) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? value : throw Error(where, $"'{key}' is required");

    private static string RequiredString(YamlMappingNode node, string key, string where)
    {
        var value = Scalar(Required(node, key, where), where, key).Trim();
        return value.Length > 0 ? value : throw Error(where, $"'{key}' is empty");
    }

    private static string? OptionalString(YamlMappingNode node, string key, string where) =>
        node.Children.TryGetValue(new YamlScalarNode(key), out var value) ? Scalar(value, where, key).Trim() : null;

    private static string Scalar(YamlNode node, string where, string what) =>
        node is YamlScalarNode { Value: { } value } ? value : throw Error(where, $"'{what}' must be a single value");

    private static YamlMappingNode Mapping(YamlNode node, string where, string what) =>
        node as YamlMappingNode ?? throw Error(where, $"'{what}' must be a mapping");

    private static IEnumerable<YamlNode> Sequence(YamlNode node, string where, string what) =>
        node is YamlSequenceNode sequence ? sequence.Children : throw Error(where, $"'{what}' must be a list");

    private static InvalidDataException Error(string where, string message) => new($"{where}: {message}");
}
