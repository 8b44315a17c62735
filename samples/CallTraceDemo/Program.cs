using System.Globalization;
using CallTraceDemo;
using SipTraceContext.Propagation;

var options = new DemoOptions();
for (int i = 0; i < args.Length; i++)
{
    string value = i + 1 < args.Length ? args[i + 1] : string.Empty;
    switch (args[i])
    {
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
        case "--otlp" when Uri.TryCreate(value, UriKind.Absolute, out Uri? endpoint):
            options = options with { OtlpEndpoint = endpoint };
            i++;
            break;
        default:
            Console.Error.WriteLine("usage: CallTraceDemo [--calls N] [--concurrency N] [--style xotel|potel] [--otlp <endpoint>]");
            return 2;
    }
}

if (options.Calls > 8)
{
    options = options with
    {
        Progress = (done, total) =>
        {
            if (done == total || done % Math.Max(1, total / 40) == 0)
            {
                int width = 30;
                int filled = done * width / total;
                Console.Error.Write($"\r[{new string('#', filled)}{new string('.', width - filled)}] {done}/{total} calls");
                if (done == total)
                {
                    Console.Error.WriteLine();
                }
            }
        },
    };
}

DemoResult result = await DemoRunner.RunAsync(options);
Console.Write(result.Text);
return result.Errors.Count == 0 && result.Calls.Count == options.Calls ? 0 : 1;
