using System.Globalization;
using CallTraceDemo;
using SipTraceContext.Propagation;
using Spectre.Console;

const string Usage = "usage: CallTraceDemo [--ims | --flow proxies|ims] [--calls N] [--concurrency N] [--style xotel|potel] [--no-trace-headers] [--otlp <endpoint>]";

var options = new DemoOptions();
for (int i = 0; i < args.Length; i++)
{
    string value = i + 1 < args.Length ? args[i + 1] : string.Empty;
    switch (args[i])
    {
        case "--ims":
            options = options with { Flow = DemoFlow.Ims };
            break;
        case "--flow" when value is "ims" or "proxies":
            options = options with { Flow = value == "ims" ? DemoFlow.Ims : DemoFlow.Proxies };
            i++;
            break;
        case "--calls" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int calls) && calls > 0:
            options = options with { Calls = calls };
            i++;
            break;
        case "--concurrency" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int concurrency) && concurrency > 0:
            options = options with { Concurrency = concurrency };
            i++;
            break;
        case "--style" when value is "xotel" or "potel":
            options = options with { Style = value == "potel" ? SipHeaderStyle.POTel : SipHeaderStyle.XOTel };
            i++;
            break;
        case "--no-trace-headers":
            options = options with { TraceHeaders = false };
            break;
        case "--otlp" when Uri.TryCreate(value, UriKind.Absolute, out Uri? endpoint):
            options = options with { OtlpEndpoint = endpoint };
            i++;
            break;
        case "--help" or "-h":
            Console.WriteLine(Usage);
            return 0;
        default:
            Console.Error.WriteLine(Usage);
            return 2;
    }
}

if (!options.TraceHeaders && options.Flow == DemoFlow.Ims)
{
    Console.Error.WriteLine("--no-trace-headers applies to the proxies flow; the IMS helpers carry P-OTel-* headers by design.");
    return 2;
}

IAnsiConsole console = DemoConsole.ForStandardOutput();
DemoResult result;
const int ProgressAbove = 8;
if (options.Calls <= ProgressAbove)
{
    result = await DemoRunner.RunAsync(options);
}
else if (console.Profile.Capabilities.Interactive)
{
    // A live bar only on a terminal; it is redrawn in place, which a log file would keep as noise.
    result = await console.Progress()
        .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
        .StartAsync(async context =>
        {
            ProgressTask task = context.AddTask($"{options.Calls} calls, {options.Concurrency} at a time", maxValue: options.Calls);
            return await DemoRunner.RunAsync(options with { Progress = (done, _) => task.Value = done });
        });
}
else
{
    // Redirected: a line per quarter on stderr, so a CI log shows the run is alive without a redrawn bar.
    int quarter = Math.Max(1, options.Calls / 4);
    result = await DemoRunner.RunAsync(options with
    {
        Progress = (done, total) =>
        {
            if (done % quarter == 0 || done == total)
            {
                Console.Error.WriteLine($"{done}/{total} calls done");
            }
        },
    });
}

DemoConsole.Render(console, result);
return result.Succeeded ? 0 : 1;
