using System.Globalization;
using System.Net;

namespace HepCollector;

/// <summary>The command line: where to listen, which sockets are the traced nodes', where to export.</summary>
internal sealed class CollectorOptions
{
    public const string Usage =
        """
        HepCollector: receives HEPv3 from Kamailio, OpenSIPS, FreeSWITCH or Asterisk and exports
        SIP call spans and metrics with OpenTelemetry. Runs until Ctrl+C.

        usage: dotnet run --project samples/HepCollector -- [options]
          --listen <address:port>   where to receive HEP (default 127.0.0.1:9060)
          --node <address:port>     a SIP socket of a traced node (repeat for each; port 0 = any);
                                    tells received from sent messages (see src/Capture/README.md)
          --otlp <endpoint>         export with OTLP (e.g. http://localhost:4317); default: console
          --auth-key <key>          accept only HEP packets carrying this authentication key
          --queue <n>               packets that may wait for the tracer (default 10000)
          --stop-after <seconds>    stop by itself after this long (default: run until Ctrl+C)
          --help                    this text
        """;

    public IPEndPoint Listen { get; private set; } = new(IPAddress.Loopback, 9060);

    public List<IPEndPoint> Nodes { get; } = [];

    public Uri? Otlp { get; private set; }

    public string? AuthKey { get; private set; }

    public int Queue { get; private set; } = 10_000;

    public TimeSpan? StopAfter { get; private set; }

    public bool Help { get; private set; }

    /// <summary>Parses the arguments; null and an error message when they are wrong.</summary>
    public static CollectorOptions? Parse(string[] args, out string? error)
    {
        var options = new CollectorOptions();
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg is "--help" or "-h")
            {
                options.Help = true;
                continue;
            }

            if (i + 1 >= args.Length)
            {
                error = $"{arg} needs a value";
                return null;
            }

            string value = args[++i];
            switch (arg)
            {
                case "--listen" when IPEndPoint.TryParse(value, out IPEndPoint? listen):
                    options.Listen = listen;
                    break;
                case "--node" when IPEndPoint.TryParse(value, out IPEndPoint? node):
                    options.Nodes.Add(node);
                    break;
                case "--otlp" when Uri.TryCreate(value, UriKind.Absolute, out Uri? otlp):
                    options.Otlp = otlp;
                    break;
                case "--auth-key":
                    options.AuthKey = value;
                    break;
                case "--queue" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int queue) && queue > 0:
                    options.Queue = queue;
                    break;
                case "--stop-after" when double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0:
                    options.StopAfter = TimeSpan.FromSeconds(seconds);
                    break;
                default:
                    error = $"unknown option or bad value: {arg} {value}";
                    return null;
            }
        }

        return options;
    }
}
