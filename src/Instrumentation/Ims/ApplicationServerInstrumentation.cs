using System.Diagnostics;

namespace SipTraceContext.Instrumentation.Ims;

/// <summary>
/// The application-server side of <c>ims.scscf.as_invoke</c>: the context of a request the S-CSCF routed
/// through this server, under which the server's own spans go, and the request it sends back.
/// </summary>
public sealed class ApplicationServerInstrumentation : ImsNode
{
    /// <summary>Creates the helper with the default options.</summary>
    public ApplicationServerInstrumentation()
        : base(null)
    {
    }

    /// <summary>Creates the helper.</summary>
    /// <param name="options">The options, read once here.</param>
    public ApplicationServerInstrumentation(ImsNodeOptions options)
        : base(options ?? throw new ArgumentNullException(nameof(options)))
    {
    }

    /// <summary>
    /// Returns the parent context of a request from the S-CSCF (trusted as <see cref="ImsNodeOptions.CoreTrust"/>):
    /// the <c>ims.scscf.as_invoke</c> span. Start the server's own spans under it.
    /// </summary>
    /// <param name="request">The raw request as received.</param>
    /// <returns>The context, or <c>default</c> when the request carries none or it is not trusted as a parent.</returns>
    public ActivityContext Receive(ReadOnlySpan<byte> request) => Resolve(request, CoreTrust).Parent;
}
