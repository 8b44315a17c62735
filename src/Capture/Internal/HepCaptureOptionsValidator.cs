using Microsoft.Extensions.Options;
using SipTraceContext.Instrumentation;

namespace SipTraceContext.Capture.Internal;

/// <summary>
/// Checks <see cref="HepCaptureOptions"/> (and its tracer options) when the host starts, with the rules the
/// listener's constructor applies, so a bad setting fails the start with its name instead of the first
/// capture agent's tracer.
/// </summary>
internal sealed class HepCaptureOptionsValidator : IValidateOptions<HepCaptureOptions>
{
    public ValidateOptionsResult Validate(string? name, HepCaptureOptions options)
    {
        List<string> failures = [];
        Check(() => options.ParseAddress());
        Check(() => options.ParseNodeEndPoints());
        Check(() => options.ParseNodeEndPointsByAgent());
        Check(options.ValidateLimits);

        if (options.Tracer?.FindError() is { } tracerError)
        {
            failures.Add($"HepCaptureOptions.Tracer.{tracerError}");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);

        void Check(Action check)
        {
            try
            {
                check();
            }
            catch (ArgumentException e)
            {
                failures.Add($"HepCaptureOptions.{SipCallTracerOptions.Describe(e)}");
            }
        }
    }
}
