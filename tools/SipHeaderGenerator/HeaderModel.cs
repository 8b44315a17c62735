using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SipTraceContext.SipHeaderGenerator;

/// <summary>One SIP header field of the model.</summary>
/// <param name="Name">The canonical spelling, e.g. <c>Call-ID</c>.</param>
/// <param name="Member">The C# member name, e.g. <c>CallId</c>.</param>
/// <param name="Compact">The compact form as a lower-case letter, or <see langword="null"/>.</param>
/// <param name="Reference">Where the header is defined, e.g. <c>RFC 3261 §20.8</c>.</param>
internal sealed record SipHeader(string Name, string Member, char? Compact, string Reference)
{
    /// <summary>The XML doc summary text shared by the constant and the enum member.</summary>
    public string Summary =>
        $"<c>{Name}</c> ({Reference})." + (Compact is { } c ? $" Compact form <c>{c}</c>." : string.Empty);
}

/// <summary>
/// Reads and validates <c>sip-headers.yaml</c> strictly: an unknown key, a name that is not a token of
/// letters, digits and hyphens, a member that is not a C# identifier, a compact form that is not one
/// lower-case letter, or a duplicate name, member or compact form is an error naming the entry.
/// </summary>
internal static partial class HeaderModelLoader
{
    private static readonly string[] s_keys = ["name", "member", "compact", "reference"];

    [GeneratedRegex("^[A-Za-z][A-Za-z0-9-]*[A-Za-z0-9]$")]
    private static partial Regex NameRegex();

    [GeneratedRegex("^[A-Z][A-Za-z0-9]*$")]
    private static partial Regex MemberRegex();

    /// <summary>Loads the headers in model order.</summary>
    public static IReadOnlyList<SipHeader> Load(string path)
    {
        if (!File.Exists(path))
        {
            throw new InvalidDataException($"The model file '{path}' does not exist.");
        }

        return Parse(File.ReadAllText(path), Path.GetFileName(path));
    }

    /// <summary>Parses model text; <paramref name="file"/> names it in errors.</summary>
    public static IReadOnlyList<SipHeader> Parse(string yaml, string file)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{file}: {e.Message}", e);
        }

        if (stream.Documents.Count != 1 || stream.Documents[0].RootNode is not YamlMappingNode root)
        {
            throw new InvalidDataException($"{file}: expected one document, a mapping with 'headers'.");
        }

        foreach (var key in root.Children.Keys)
        {
            if (key is not YamlScalarNode { Value: "headers" })
            {
                throw new InvalidDataException($"{file}: unknown key '{key}' (only 'headers').");
            }
        }

        if (!root.Children.TryGetValue(new YamlScalarNode("headers"), out var list) || list is not YamlSequenceNode sequence)
        {
            throw new InvalidDataException($"{file}: 'headers' must be a list.");
        }

        var headers = new List<SipHeader>();
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        var members = new HashSet<string>(StringComparer.Ordinal);
        var compacts = new HashSet<char>();
        foreach (var node in sequence)
        {
            var where = $"{file}: line {node.Start.Line}";
            if (node is not YamlMappingNode entry)
            {
                throw new InvalidDataException($"{where}: a header must be a mapping.");
            }

            foreach (var key in entry.Children.Keys)
            {
                if (key is not YamlScalarNode { Value: { } k } || !s_keys.Contains(k))
                {
                    throw new InvalidDataException($"{where}: unknown key '{key}' (expected {string.Join(", ", s_keys)}).");
                }
            }

            var name = Required(entry, "name", where);
            where = $"{file}: header '{name}'";
            var member = Required(entry, "member", where);
            var reference = Required(entry, "reference", where);
            var compactText = Optional(entry, "compact", where);
            if (!NameRegex().IsMatch(name))
            {
                throw new InvalidDataException($"{where}: a name is two or more letters, digits and hyphens.");
            }

            if (!MemberRegex().IsMatch(member))
            {
                throw new InvalidDataException($"{where}: member '{member}' is not a PascalCase identifier.");
            }

            char? compact = null;
            if (compactText is not null)
            {
                if (compactText.Length != 1 || compactText[0] is < 'a' or > 'z')
                {
                    throw new InvalidDataException($"{where}: compact form '{compactText}' is not one lower-case letter.");
                }

                compact = compactText[0];
                if (!compacts.Add(compactText[0]))
                {
                    throw new InvalidDataException($"{where}: compact form '{compactText}' is used twice.");
                }
            }

            if (!names.Add(name))
            {
                throw new InvalidDataException($"{where}: the name is listed twice (names are case-insensitive).");
            }

            if (!members.Add(member) || member == "Unknown")
            {
                throw new InvalidDataException($"{where}: member '{member}' is used twice or reserved.");
            }

            headers.Add(new SipHeader(name, member, compact, reference));
        }

        if (headers.Count == 0)
        {
            throw new InvalidDataException($"{file}: 'headers' is empty.");
        }

        return headers;
    }

    private static string Required(YamlMappingNode entry, string key, string where) =>
        Optional(entry, key, where) ?? throw new InvalidDataException($"{where}: '{key}' is required.");

    private static string? Optional(YamlMappingNode entry, string key, string where)
    {
        if (!entry.Children.TryGetValue(new YamlScalarNode(key), out var node))
        {
            return null;
        }

        if (node is not YamlScalarNode { Value: { Length: > 0 } value })
        {
            throw new InvalidDataException($"{where}: '{key}' must be a non-empty text.");
        }

        return value;
    }
}
