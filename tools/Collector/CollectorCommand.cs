using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace SipTraceContext.Collector;

/// <summary>
/// The command line: a handful of named switches, each mapped onto one configuration key, and any
/// <c>--Section:Key value</c> of .NET's standard command-line configuration for the rest.
/// </summary>
internal static class CollectorCommand
{
    /// <summary>What the named switches set, by configuration key.</summary>
    internal static class Keys
    {
        public const string Address = "HepCapture:Address";
        public const string Port = "HepCapture:Port";
        public const string Transports = "HepCapture:Transports";
        public const string NodeEndPoints = "HepCapture:NodeEndPoints";
        public const string NodeEndPointsByAgent = "HepCapture:NodeEndPointsByAgent";
        public const string OtlpEndpoint = "Exporters:Otlp:Endpoint";
        public const string PrometheusPrefix = "Exporters:Prometheus:Prefix";
        public const string HealthPrefix = "Health:Prefix";
    }

    private static readonly Option<FileInfo?> s_config = new("--config")
    {
        Description = "A JSON configuration file read after appsettings.json next to the tool (before environment variables and the command line).",
        HelpName = "file",
    };

    private static readonly Option<string?> s_address = new("--address")
    {
        Description = "The IP address to receive HEP on (HepCapture:Address; default 127.0.0.1, 0.0.0.0 for every interface).",
        HelpName = "ip",
    };

    private static readonly Option<int?> s_port = new("--port")
    {
        Description = "The UDP/TCP port to receive HEP on (HepCapture:Port; default 9060).",
        HelpName = "port",
    };

    private static readonly Option<string?> s_transports = new("--transports")
    {
        Description = "Udp, Tcp or \"Udp, Tcp\" (HepCapture:Transports; default Udp).",
        HelpName = "list",
    };

    private static readonly Option<string[]> s_node = new("--node")
    {
        Description = "A traced node's SIP socket, as AGENT=ENDPOINT (HepCapture:NodeEndPointsByAgent, AGENT its hep_capture_id) or ENDPOINT alone (HepCapture:NodeEndPoints); repeat for each.",
        HelpName = "agent=ip:port",
        AllowMultipleArgumentsPerToken = false,
    };

    private static readonly Option<string?> s_otlp = new("--otlp")
    {
        Description = "Export spans and metrics with OTLP to this endpoint (Exporters:Otlp:Endpoint, e.g. http://127.0.0.1:4317).",
        HelpName = "uri",
    };

    private static readonly Option<string?> s_prometheus = new("--prometheus")
    {
        Description = "Serve a Prometheus scrape at <prefix>metrics (Exporters:Prometheus:Prefix, e.g. http://127.0.0.1:9464/).",
        HelpName = "prefix",
    };

    private static readonly Option<string?> s_health = new("--health")
    {
        Description = "Serve GET <prefix>healthz: 200 once HEP is being received, 503 otherwise (Health:Prefix, e.g. http://127.0.0.1:9465/).",
        HelpName = "prefix",
    };

    /// <summary>The root command, with every switch; <c>--help</c> and <c>--version</c> come with it.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand(
            "siptracecontext-collector: receives HEP (v3, v2, v1) from Kamailio, OpenSIPS, FreeSWITCH or Asterisk and exports "
            + "SIP call spans and metrics with OTLP and/or a Prometheus scrape endpoint. Settings come from appsettings.json next to "
            + "the tool, --config, SIPTRACECONTEXT_ environment variables (SIPTRACECONTEXT_HepCapture__Port=9060) and the command "
            + "line, later ones winning; any setting can also be given as --Section:Key value (--HepCapture:AuthKey is better in the environment). "
            + "Stops on SIGINT or SIGTERM.")
        {
            s_config, s_address, s_port, s_transports, s_node, s_otlp, s_prometheus, s_health,
        };

        // The rest is .NET's command-line configuration (--HepCapture:QueueCapacity 20000), checked in ToSettings.
        root.TreatUnmatchedTokensAsErrors = false;
        foreach (Option option in root.Options)
        {
            if (option is HelpOption help && help.Action is HelpAction standard)
            {
                help.Action = new HelpWithSettings(standard);
            }
        }

        return root;
    }

    /// <summary>Parses the command line and runs the collector until stopped; 0 on a clean stop, 1 when it cannot start, 2 on a bad command line.</summary>
    public static async Task<int> InvokeAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellationToken)
    {
        RootCommand root = Create();
        root.SetAction(async (parseResult, token) =>
        {
            if (!TryGetSettings(parseResult, out CollectorSettings? settings, out string? problem))
            {
                await error.WriteLineAsync($"siptracecontext-collector: {problem} (--help lists the options)");
                return 2;
            }

            return await RunAsync(settings, error, token);
        });

        ParseResult result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            // Reported as the other command-line mistakes are, with exit code 2, rather than with the whole help text.
            await error.WriteLineAsync($"siptracecontext-collector: {string.Join("; ", result.Errors.Select(e => e.Message))} (--help lists the options)");
            return 2;
        }

        var invocation = new InvocationConfiguration
        {
            Output = output,
            Error = error,

            // The host handles SIGINT and SIGTERM (a graceful stop); System.CommandLine must not race it.
            ProcessTerminationTimeout = null,
        };
        return await result.InvokeAsync(invocation, cancellationToken);
    }

    /// <summary>
    /// Builds, starts and runs the host until it stops; a start that fails is reported with its message,
    /// not a stack trace. A failure once started is not caught: it ends the process as any crash does.
    /// </summary>
    public static async Task<int> RunAsync(CollectorSettings settings, TextWriter error, CancellationToken cancellationToken)
    {
        IHost host;
        try
        {
            host = CollectorHost.Build(settings);
        }
        catch (Exception exception) when (IsStartFailure(exception))
        {
            await error.WriteLineAsync($"siptracecontext-collector: cannot start: {exception.Message}");
            return 1;
        }

        using (host)
        {
            try
            {
                await host.StartAsync(cancellationToken);
            }
            catch (Exception exception) when (IsStartFailure(exception))
            {
                // A socket error alone does not say which socket.
                var configuration = (Microsoft.Extensions.Configuration.IConfiguration)host.Services.GetService(typeof(Microsoft.Extensions.Configuration.IConfiguration))!;
                string message = exception is System.Net.Sockets.SocketException
                    ? $"{exception.Message} (HEP on {configuration["HepCapture:Address"] ?? "127.0.0.1"}:{configuration["HepCapture:Port"] ?? "9060"}, HepCapture:Address and HepCapture:Port)"
                    : exception.Message;
                await error.WriteLineAsync($"siptracecontext-collector: cannot start: {message}");
                return 1;
            }

            await host.WaitForShutdownAsync(cancellationToken);
            return 0;
        }
    }

    /// <summary>The errors a bad setting or a busy port give at start: reported as a message.</summary>
    internal static bool IsStartFailure(Exception exception) => exception is OptionsValidationException
        or InvalidOperationException or ArgumentException or System.Net.Sockets.SocketException
        or System.Net.HttpListenerException or FormatException or IOException;

    /// <summary>The settings the command line gives, or the reason it is wrong.</summary>
    public static bool TryGetSettings(ParseResult parseResult, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out CollectorSettings? settings, out string? problem)
    {
        settings = null;
        if (parseResult.Errors.Count > 0)
        {
            problem = string.Join("; ", parseResult.Errors.Select(e => e.Message));
            return false;
        }

        var switches = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        Set(switches, Keys.Address, parseResult.GetValue(s_address));
        Set(switches, Keys.Port, parseResult.GetValue(s_port)?.ToString(CultureInfo.InvariantCulture));
        Set(switches, Keys.Transports, parseResult.GetValue(s_transports));
        Set(switches, Keys.OtlpEndpoint, parseResult.GetValue(s_otlp));
        Set(switches, Keys.HealthPrefix, parseResult.GetValue(s_health));
        Set(switches, Keys.PrometheusPrefix, parseResult.GetValue(s_prometheus));

        var perAgent = new Dictionary<string, int>(StringComparer.Ordinal);
        int shared = 0;
        foreach (string node in parseResult.GetValue(s_node) ?? [])
        {
            int equals = node.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                switches[$"{Keys.NodeEndPoints}:{shared++}"] = node;
                continue;
            }

            string agent = node[..equals].Trim();
            if (!uint.TryParse(agent, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                problem = $"--node {node}: '{agent}' is not a capture agent id (hep_capture_id, a number)";
                return false;
            }

            int index = perAgent.GetValueOrDefault(agent);
            perAgent[agent] = index + 1;
            switches[$"{Keys.NodeEndPointsByAgent}:{agent}:{index}"] = node[(equals + 1)..].Trim();
        }

        if (!TryGetConfigurationArguments(parseResult.UnmatchedTokens, out string[]? configurationArguments, out problem))
        {
            return false;
        }

        settings = new CollectorSettings(parseResult.GetValue(s_config)?.FullName, switches, configurationArguments);
        return true;
    }

    /// <summary>
    /// Keeps the tokens that are .NET command-line configuration, <c>--Section:Key value</c> or
    /// <c>--Section:Key=value</c>. Every setting of the collector is in a section, so a token without a
    /// colon is a mistyped switch, reported rather than silently ignored.
    /// </summary>
    private static bool TryGetConfigurationArguments(IReadOnlyList<string> tokens, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string[]? arguments, out string? problem)
    {
        var kept = new List<string>(tokens.Count);
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            string name = token.Split('=', 2)[0];
            if (!token.StartsWith("--", StringComparison.Ordinal) || !name.Contains(':', StringComparison.Ordinal))
            {
                arguments = null;
                problem = $"unknown option '{token}'";
                return false;
            }

            kept.Add(token);
            if (!token.Contains('=', StringComparison.Ordinal))
            {
                if (i + 1 >= tokens.Count || tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
                {
                    arguments = null;
                    problem = $"{token} needs a value";
                    return false;
                }

                kept.Add(tokens[++i]);
            }
        }

        arguments = [.. kept];
        problem = null;
        return true;
    }

    private static void Set(Dictionary<string, string?> switches, string key, string? value)
    {
        if (value is not null)
        {
            switches[key] = value;
        }
    }

    /// <summary>
    /// The standard help, then the pass-through of any configuration key on one line of its own: the
    /// standard "Additional Arguments" section does not say what the unmatched tokens are for.
    /// </summary>
    private sealed class HelpWithSettings(HelpAction standard) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int exitCode = standard.Invoke(parseResult);
            TextWriter output = parseResult.InvocationConfiguration.Output;
            output.WriteLine("Any other setting (the additional arguments):");
            output.WriteLine("  --<Section>:<Key> <value>  Sets that configuration key, e.g. --HepCapture:QueueCapacity 20000 (the tool's README lists them).");
            output.WriteLine();
            return exitCode;
        }
    }
}

/// <summary>What the command line gives the host: the <c>--config</c> file, the named switches as configuration keys, and the <c>--Section:Key</c> arguments.</summary>
/// <param name="ConfigFile">The full path of <c>--config</c>'s file, or <see langword="null"/>.</param>
/// <param name="Switches">The named switches' values by configuration key.</param>
/// <param name="ConfigurationArguments">The standard command-line configuration arguments.</param>
internal sealed record CollectorSettings(string? ConfigFile, IReadOnlyDictionary<string, string?> Switches, string[] ConfigurationArguments)
{
    /// <summary>No command line: the files and the environment alone.</summary>
    public static CollectorSettings Empty { get; } = new(null, new Dictionary<string, string?>(), []);
}
