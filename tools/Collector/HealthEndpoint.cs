using System.Net;
using System.Text;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using SipTraceContext.Capture;

namespace SipTraceContext.Collector;

/// <summary>
/// <c>GET {Health:Prefix}healthz</c>: 200 <c>ready</c> once the host has started (the HEP socket is bound,
/// the exporters are up), 503 <c>starting</c> or <c>stopping</c> otherwise; any other path is 404. Its
/// own small HttpListener, since the Prometheus exporter's serves the scrape path alone. Nothing when
/// <c>Health:Prefix</c> is not set.
/// </summary>
internal sealed partial class HealthEndpoint(
    HealthSettings settings,
    HepCaptureListener listener,
    IHostApplicationLifetime lifetime,
    ILogger<HealthEndpoint> logger) : BackgroundService
{
    private HttpListener? _http;

    /// <summary>Whether the collector is ready: started, receiving, not stopping.</summary>
    internal bool IsReady => lifetime.ApplicationStarted.IsCancellationRequested
        && !lifetime.ApplicationStopping.IsCancellationRequested
        && listener.LocalEndPoint is not null;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        if (settings.Prefix is { } prefix)
        {
            var http = new HttpListener();
            http.Prefixes.Add(prefix.ToString());
            http.Start(); // throws HttpListenerException when the port is taken: the start fails, as it should
            _http = http;
        }

        return base.StartAsync(cancellationToken);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        _http?.Stop();
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        _http?.Close();
        base.Dispose();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (_http is not { } http)
        {
            return;
        }

        while (!stoppingToken.IsCancellationRequested)
        {
            HttpListenerContext context;
            try
            {
                context = await http.GetContextAsync().WaitAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is OperationCanceledException or HttpListenerException or ObjectDisposedException)
            {
                return; // stopping
            }

            try
            {
                Respond(context);
            }
            catch (Exception exception) when (exception is HttpListenerException or IOException or InvalidOperationException)
            {
                ResponseFailed(logger, exception);
            }
        }
    }

    private void Respond(HttpListenerContext context)
    {
        using HttpListenerResponse response = context.Response;
        string path = context.Request.Url?.AbsolutePath ?? string.Empty;
        (int status, string body) = !path.EndsWith("/healthz", StringComparison.Ordinal) || context.Request.HttpMethod is not ("GET" or "HEAD")
            ? (404, "not found: GET healthz\n")
            : IsReady
                ? (200, "ready\n")
                : (503, lifetime.ApplicationStopping.IsCancellationRequested ? "stopping\n" : "starting\n");
        byte[] bytes = Encoding.UTF8.GetBytes(body);
        response.StatusCode = status;
        response.ContentType = "text/plain; charset=utf-8";
        response.ContentLength64 = bytes.Length;
        if (context.Request.HttpMethod != "HEAD")
        {
            response.OutputStream.Write(bytes);
        }
    }

    [LoggerMessage(EventId = 10, EventName = "CollectorHealthResponseFailed", Level = LogLevel.Debug, Message = "A health response could not be sent")]
    private static partial void ResponseFailed(ILogger logger, Exception exception);
}
