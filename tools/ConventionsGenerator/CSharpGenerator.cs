using System.Globalization;
using System.Text;

namespace SipTraceContext.ConventionsGenerator;

/// <summary>Writes the C# constants of the SipTraceContext.Conventions package from the model.</summary>
internal static class CSharpGenerator
{
    /// <summary>The namespace of every generated type.</summary>
    public const string Namespace = "SipTraceContext.Conventions";

    /// <summary>Returns file name (inside the package's Generated folder) and content of each generated file.</summary>
    public static IEnumerable<(string FileName, string Content)> Generate(ConventionModel model)
    {
        yield return ("SipSemanticConventions.g.cs", SemanticConventions(model.Manifest));
        foreach (var group in model.AttributeGroups)
        {
            yield return (group.CSharpClass + ".g.cs", Attributes(model, group));
        }

        foreach (var signals in model.Spans.Concat(model.Events).GroupBy(Naming.SignalClass))
        {
            yield return (signals.Key + ".g.cs", Names(model, signals.Key, signals.ToList()));
        }

        foreach (var metrics in model.Metrics.GroupBy(Naming.SignalClass))
        {
            yield return (metrics.Key + ".g.cs", Metrics(model, metrics.Key, metrics.ToList()));
        }
    }

    private static string SemanticConventions(Manifest manifest)
    {
        var w = Header();
        w.Line("/// <summary>");
        w.Line($"/// Identity of the SIP and IMS semantic conventions: {Xml(manifest.Description)}");
        w.Line("/// </summary>");
        w.Line("/// <remarks>");
        w.Line("/// These conventions are SipTraceContext's own: OpenTelemetry has no SIP namespace yet. Their stability");
        w.Line($"/// level is <c>{manifest.Stability}</c>: names can still change between minor versions, and every change");
        w.Line("/// moves <see cref=\"SchemaVersion\"/>.");
        w.Line("/// </remarks>");
        w.Line("public static class SipSemanticConventions");
        w.Open();
        w.Line("/// <summary>");
        w.Line("/// The name of the <c>ActivitySource</c> and the <c>Meter</c> of the SipTraceContext instrumentation,");
        w.Line("/// to pass to <c>AddSource</c> and <c>AddMeter</c>.");
        w.Line("/// </summary>");
        w.Line($"public const string InstrumentationName = {Literal(manifest.InstrumentationName)};");
        w.Line();
        w.Line("/// <summary>The version of these conventions the instrumentation follows.</summary>");
        w.Line($"public const string SchemaVersion = {Literal(manifest.SemconvVersion)};");
        w.Line();
        w.Line("/// <summary>");
        w.Line("/// The telemetry schema URL the instrumentation reports on its <c>ActivitySource</c> and <c>Meter</c>;");
        w.Line("/// it ends with <see cref=\"SchemaVersion\"/>.");
        w.Line("/// </summary>");
        w.Line($"public const string SchemaUrl = {Literal(manifest.SchemaUrl)};");
        w.Line();
        w.Line("/// <summary>The stability level of these conventions.</summary>");
        w.Line($"public const string Stability = {Literal(manifest.Stability)};");
        w.Close();
        return w.ToString();
    }

    private static string Attributes(ConventionModel model, AttributeGroup group)
    {
        var w = Header();
        w.Line("/// <summary>");
        w.Line($"/// {Xml(group.Brief)}");
        w.Line("/// </summary>");
        if (group.Note is not null)
        {
            w.Line($"/// <remarks>{Xml(group.Note)}</remarks>");
        }

        w.Line($"public static class {group.CSharpClass}");
        w.Open();
        var first = true;
        foreach (var attribute in group.Attributes)
        {
            if (!first)
            {
                w.Line();
            }

            first = false;
            var member = Naming.AttributeMember(group, attribute);
            w.Line($"/// <summary>{Xml(attribute.Brief)}</summary>");
            w.Line("/// <remarks>");
            w.Line($"/// <para>Attribute <c>{attribute.Id}</c>, type <c>{Xml(attribute.DisplayType)}</c>, stability <c>{attribute.Stability}</c>.</para>");
            if (attribute.Note is not null)
            {
                w.Line($"/// <para>{Xml(attribute.Note)}</para>");
            }

            w.Line($"/// <para>Examples: {string.Join(", ", attribute.Examples.Select(e => $"<c>{Xml(ExampleText(attribute, e))}</c>"))}.</para>");
            var usedBy = UsedBy(model, attribute.Id);
            if (usedBy.Count > 0)
            {
                w.Line($"/// <para>Recorded on: {Xml(string.Join(", ", usedBy))}.</para>");
            }

            if (attribute.IsEnum)
            {
                w.Line($"/// <para>Well-known values are in <see cref=\"{member}Values\"/>.</para>");
            }

            w.Line("/// </remarks>");
            if (attribute.RenamedTo is { } renamed)
            {
                var (renamedGroup, renamedAttribute) = model.FindAttribute(renamed);
                var target = $"{renamedGroup.CSharpClass}.{Naming.AttributeMember(renamedGroup, renamedAttribute)}";
                w.Line($"[global::System.Obsolete({Literal($"Deprecated: use {renamed} ({target}).")})]");
            }

            w.Line($"public const string {member} = {Literal(attribute.Id)};");
            if (attribute.IsEnum)
            {
                w.Line();
                w.Line($"/// <summary>Well-known values of <see cref=\"{member}\"/> (<c>{attribute.Id}</c>).</summary>");
                w.Line($"public static class {member}Values");
                w.Open();
                var firstMember = true;
                foreach (var enumMember in attribute.Members)
                {
                    if (!firstMember)
                    {
                        w.Line();
                    }

                    firstMember = false;
                    w.Line($"/// <summary>{Xml(enumMember.Brief)}</summary>");
                    w.Line($"/// <remarks>Value <c>{Xml(enumMember.Value)}</c>, stability <c>{enumMember.Stability}</c>.</remarks>");
                    w.Line($"public const string {Naming.Pascal(enumMember.Id)} = {Literal(enumMember.Value)};");
                }

                w.Close();
            }
        }

        w.Close();
        return w.ToString();
    }

    private static string Names(ConventionModel model, string className, List<SignalGroup> signals)
    {
        var w = Header();
        var what = signals[0].Kind == SignalKind.Span ? "span" : "span event";
        var ns = signals[0].Namespace.ToUpperInvariant();
        w.Line($"/// <summary>The {ns} {what} names of the SipTraceContext instrumentation.</summary>");
        w.Line($"public static class {className}");
        w.Open();
        var first = true;
        foreach (var signal in signals)
        {
            if (!first)
            {
                w.Line();
            }

            first = false;
            w.Line($"/// <summary>{Xml(signal.Brief)}</summary>");
            w.Line("/// <remarks>");
            var kind = signal.SpanKind is null ? string.Empty : $", kind <c>{signal.SpanKind}</c>";
            w.Line($"/// <para>{(signal.Kind == SignalKind.Span ? "Span" : "Event")} <c>{signal.Name}</c>{kind}, stability <c>{signal.Stability}</c>.</para>");
            if (signal.Note is not null)
            {
                w.Line($"/// <para>{Xml(signal.Note)}</para>");
            }

            WriteAttributeList(w, model, signal);
            if (signal.Events.Count > 0)
            {
                var events = signal.Events.Select(e => model.Events.Single(x => x.Name == e));
                w.Line($"/// <para>Events: {string.Join(", ", events.Select(e => $"<see cref=\"{Naming.SignalClass(e)}.{Naming.SignalMember(e)}\"/>"))}.</para>");
            }

            w.Line("/// </remarks>");
            w.Line($"public const string {Naming.SignalMember(signal)} = {Literal(signal.Name)};");
        }

        w.Close();
        return w.ToString();
    }

    private static string Metrics(ConventionModel model, string className, List<SignalGroup> metrics)
    {
        var w = Header();
        var ns = metrics[0].Namespace.ToUpperInvariant();
        w.Line($"/// <summary>");
        w.Line($"/// The {ns} metrics of the SipTraceContext instrumentation: one class per instrument with its name, unit,");
        w.Line("/// kind and description, and for histograms the recommended bucket boundaries.");
        w.Line("/// </summary>");
        w.Line($"public static class {className}");
        w.Open();
        var first = true;
        foreach (var metric in metrics)
        {
            if (!first)
            {
                w.Line();
            }

            first = false;
            var kind = Naming.InstrumentKind(metric.Instrument!);
            w.Line($"/// <summary>{Xml(metric.Brief)}</summary>");
            w.Line("/// <remarks>");
            w.Line($"/// <para>Metric <c>{metric.Name}</c>, {metric.Instrument}, unit <c>{Xml(metric.Unit!)}</c>, stability <c>{metric.Stability}</c>.</para>");
            if (metric.Note is not null)
            {
                w.Line($"/// <para>{Xml(metric.Note)}</para>");
            }

            WriteAttributeList(w, model, metric);
            w.Line("/// </remarks>");
            w.Line($"public static class {Naming.SignalMember(metric)}");
            w.Open();
            w.Line($"/// <summary>The instrument name, <c>{metric.Name}</c>.</summary>");
            w.Line($"public const string Name = {Literal(metric.Name)};");
            w.Line();
            w.Line($"/// <summary>The unit (UCUM), <c>{Xml(metric.Unit!)}</c>.</summary>");
            w.Line($"public const string Unit = {Literal(metric.Unit!)};");
            w.Line();
            w.Line($"/// <summary>The kind of instrument to create: <see cref=\"InstrumentKind.{kind}\"/>.</summary>");
            w.Line($"public const InstrumentKind Kind = InstrumentKind.{kind};");
            w.Line();
            w.Line("/// <summary>The description to create the instrument with.</summary>");
            w.Line($"public const string Description = {Literal(metric.Brief)};");
            if (metric.BucketBoundaries.Count > 0)
            {
                var boundaries = string.Join(", ", metric.BucketBoundaries.Select(Number));
                w.Line();
                w.Line("/// <summary>");
                w.Line($"/// The recommended explicit bucket boundaries, in {Xml(metric.Unit!)}, to pass as histogram advice:");
                w.Line($"/// {boundaries}.");
                w.Line("/// </summary>");
                w.Line("public static global::System.Collections.Generic.IReadOnlyList<double> ExplicitBucketBoundaries { get; } =");
                w.Line($"    global::System.Array.AsReadOnly(new double[] {{ {boundaries} }});");
            }

            w.Close();
        }

        w.Close();
        return w.ToString();
    }

    private static void WriteAttributeList(CodeWriter w, ConventionModel model, SignalGroup signal)
    {
        if (signal.Attributes.Count == 0)
        {
            w.Line("/// <para>No attributes.</para>");
            return;
        }

        w.Line("/// <para>Attributes:</para>");
        w.Line("/// <list type=\"bullet\">");
        foreach (var reference in signal.Attributes)
        {
            var (group, attribute) = model.FindAttribute(reference.Ref);
            var level = MarkdownGenerator.RequirementText(reference);
            w.Line($"/// <item><description><see cref=\"{group.CSharpClass}.{Naming.AttributeMember(group, attribute)}\"/> (<c>{attribute.Id}</c>): {Xml(level)}</description></item>");
        }

        w.Line("/// </list>");
    }

    /// <summary>Where an attribute is recorded, as <c>span sip.call.setup</c>, <c>metric sip.response.count</c>, ...</summary>
    internal static List<string> UsedBy(ConventionModel model, string attributeId) =>
        model.AllSignals
            .Where(s => s.Attributes.Any(a => a.Ref == attributeId))
            .Select(s => $"{s.Kind.ToString().ToLowerInvariant()} {s.Name}")
            .ToList();

    /// <summary>An example as a reader would write it: strings quoted (JSON-style escapes), numbers bare.</summary>
    internal static string ExampleText(AttributeDefinition attribute, string example) =>
        attribute.HasStringExamples
            ? "\"" + example.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\""
            : example;

    internal static string Number(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static CodeWriter Header()
    {
        var w = new CodeWriter();
        w.Line("// <auto-generated>");
        w.Line("// Generated by tools/ConventionsGenerator from src/Conventions/model. Do not edit this file:");
        w.Line("// change the model, then run `dotnet run --project tools/ConventionsGenerator`.");
        w.Line("// </auto-generated>");
        w.Line();
        w.Line("#nullable enable");
        w.Line();
        w.Line($"namespace {Namespace};");
        w.Line();
        return w;
    }

    /// <summary>A C# string literal for any text: quotes, backslashes and control characters escaped.</summary>
    internal static string Literal(string value)
    {
        var builder = new StringBuilder(value.Length + 2).Append('"');
        foreach (var c in value)
        {
            switch (c)
            {
                case '"':
                    builder.Append("\\\"");
                    break;
                case '\\':
                    builder.Append("\\\\");
                    break;
                case < ' ' or '\u007f' or '\u2028' or '\u2029' or '\u0085':
                    builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }

        return builder.Append('"').ToString();
    }

    /// <summary>Text escaped for an XML documentation comment.</summary>
    internal static string Xml(string value) =>
        value.Replace("&", "&amp;", StringComparison.Ordinal)
            .Replace("<", "&lt;", StringComparison.Ordinal)
            .Replace(">", "&gt;", StringComparison.Ordinal)
            .ReplaceLineEndings(" ");
}
