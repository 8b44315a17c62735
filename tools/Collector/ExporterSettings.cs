using System.Globalization;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using OpenTelemetry.Exporter;

namespace SipTraceContext.Collector;

/// <summary>The <c>Exporters</c> section: where spans and metrics go, checked when the host is built.</summary>
/// <param name="Otlp">OTLP's endpoint (<c>Exporters:Otlp:Endpoint</c>), or <see langword="null"/> for no OTLP.</param>
/// <param name="OtlpProtocol"><c>Exporters:Otlp:Protocol</c>: <c>Grpc</c> (the exporter's default) or <c>HttpProtobuf</c>.</param>
/// <param name="Prometheus">The scrape endpoint (<c>Exporters:Prometheus:Prefix</c>), or <see langword="null"/> for none.</param>
internal sealed record ExporterSettings(Uri? Otlp, OtlpExportProtocol? OtlpProtocol, HttpPrefix? Prometheus)
{
    /// <summary>Reads and checks the section.</summary>
    /// <exception cref="InvalidOperationException">A value is not what the key takes; the message names the key.</exception>
    public static ExporterSettings Read(IConfiguration configuration)
    {
        Uri? otlp = null;
        string? endpoint = configuration["Exporters:Otlp:Endpoint"];
        if (!string.IsNullOrWhiteSpace(endpoint)
            && (!Uri.TryCreate(endpoint, UriKind.Absolute, out otlp) || otlp.Scheme is not ("http" or "https")))
        {
            throw new InvalidOperationException($"Exporters:Otlp:Endpoint: '{endpoint}' is not an http or https URI (such as http://127.0.0.1:4317).");
        }

        OtlpExportProtocol? protocol = null;
        string? protocolText = configuration["Exporters:Otlp:Protocol"];
        if (!string.IsNullOrWhiteSpace(protocolText))
        {
            protocol = Enum.TryParse(protocolText, ignoreCase: true, out OtlpExportProtocol parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw new InvalidOperationException($"Exporters:Otlp:Protocol: '{protocolText}' is not Grpc or HttpProtobuf.");
        }

        return new ExporterSettings(otlp, protocol, HttpPrefix.Read(configuration, "Exporters:Prometheus:Prefix"));
    }
}

/// <summary>
/// An HttpListener prefix, <c>http://host:port/path/</c>: the host an address, a name, <c>+</c> or
/// <c>*</c> (every interface); the path ending with a slash.
/// </summary>
/// <param name="Host">The host, as HttpListener takes it.</param>
/// <param name="Port">The TCP port.</param>
/// <param name="Path">The path, starting and ending with '/'.</param>
internal sealed partial record HttpPrefix(string Host, int Port, string Path)
{
    /// <summary>The prefix as HttpListener takes it.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"http://{Host}:{Port}{Path}");

    /// <summary>The prefix at <paramref name="key"/>, or <see langword="null"/> when the key is not set.</summary>
    /// <exception cref="InvalidOperationException">The value is not such a prefix; the message names the key.</exception>
    public static HttpPrefix? Read(IConfiguration configuration, string key)
    {
        string? text = configuration[key]?.Trim();
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        Match match = Pattern().Match(text);
        return match.Success
            && int.TryParse(match.Groups["port"].Value, NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            && port is > 0 and <= 65535
            ? new HttpPrefix(match.Groups["host"].Value, port, match.Groups["path"].Value)
            : throw new InvalidOperationException($"{key}: '{text}' is not an HTTP prefix such as http://127.0.0.1:9464/ (http, a host, a port, a path ending with '/').");
    }

    [GeneratedRegex(@"^http://(?<host>\[[0-9A-Fa-f:.]+\]|[^:/\[\]]+):(?<port>[0-9]{1,5})(?<path>/(?:[^?#]*/)?)$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}

/// <summary>The <c>Health</c> section: where <c>GET healthz</c> is served (<c>Health:Prefix</c>), or <see langword="null"/> for nowhere.</summary>
/// <param name="Prefix">The prefix, such as <c>http://127.0.0.1:9465/</c>.</param>
internal sealed record HealthSettings(HttpPrefix? Prefix);
