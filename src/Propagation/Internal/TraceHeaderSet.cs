using System.Buffers;
using System.Text;

namespace SipTraceContext.Propagation.Internal;

/// <summary>
/// The header names one propagator uses, worked out once from its options so that the per-message
/// paths only index arrays of cached strings and byte arrays.
/// </summary>
internal sealed class TraceHeaderSet
{
    // RFC 3261 §25.1: token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
    private static readonly SearchValues<char> s_tokenChars =
        SearchValues.Create("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.!%*_+`'~");

    public TraceHeaderSet(SipPropagationOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        string xPrefix = ValidatePrefix(options.XOTelPrefix, nameof(options.XOTelPrefix), allowEmpty: false);
        string pPrefix = ValidatePrefix(options.POTelPrefix, nameof(options.POTelPrefix), allowEmpty: false);
        if (options.MaxTraceStateLength < 0 || options.MaxBaggageLength < 0 || options.MaxBaggageEntries < 0)
        {
            throw new ArgumentException("Limits must not be negative.", nameof(options));
        }

        Style = options.Style;
        MaxTraceStateLength = options.MaxTraceStateLength;
        PropagateBaggage = options.PropagateBaggage;
        MaxBaggageLength = options.MaxBaggageLength;
        MaxBaggageEntries = options.MaxBaggageEntries;

        // X-OTel carries the OpenTelemetry field name as it is ("traceparent"); P-OTel and the
        // fallbacks use the capitalised spelling that SIP headers conventionally have.
        var prefixes = new List<(string Prefix, SipTraceHeaderScope Scope, bool Capitalise)>();
        (string, SipTraceHeaderScope, bool) x = (xPrefix, SipTraceHeaderScope.XOTel, false);
        (string, SipTraceHeaderScope, bool) p = (pPrefix, SipTraceHeaderScope.POTel, true);
        prefixes.Add(Style == SipHeaderStyle.XOTel ? x : p);
        if (options.ExtractOtherStyle)
        {
            prefixes.Add(Style == SipHeaderStyle.XOTel ? p : x);
        }

        if (options.AcceptFallbackHeaders)
        {
            foreach (string fallback in options.FallbackPrefixes)
            {
                prefixes.Add((ValidatePrefix(fallback, nameof(options.FallbackPrefixes), allowEmpty: true), SipTraceHeaderScope.Fallback, true));
            }
        }

        // A prefix listed twice (in any case) would only be found under its first entry.
        prefixes = prefixes.DistinctBy(e => e.Prefix.ToUpperInvariant()).ToList();

        int count = prefixes.Count;
        ExtractPrefixesLower = new byte[count][];
        PrefixScopes = new SipTraceHeaderScope[count];
        TraceParentNames = new string[count];
        TraceStateNames = new string[count];
        BaggageNames = new string[count];
        for (int i = 0; i < count; i++)
        {
            (string prefix, SipTraceHeaderScope scope, bool capitalise) = prefixes[i];
            ExtractPrefixesLower[i] = Encoding.ASCII.GetBytes(prefix.ToLowerInvariant());
            PrefixScopes[i] = scope;
            TraceParentNames[i] = prefix + (capitalise ? "Traceparent" : "traceparent");
            TraceStateNames[i] = prefix + (capitalise ? "Tracestate" : "tracestate");
            BaggageNames[i] = prefix + (capitalise ? "Baggage" : "baggage");
        }

        ExtractedNames = [.. TraceParentNames, .. TraceStateNames];
        TraceParentName = TraceParentNames[0];
        TraceStateName = TraceStateNames[0];
        BaggageName = BaggageNames[0];
        TraceParentLineStart = Encoding.ASCII.GetBytes(TraceParentName + ": ");
        TraceStateLineStart = Encoding.ASCII.GetBytes(TraceStateName + ": ");
        Fields = PropagateBaggage
            ? new HashSet<string>(StringComparer.OrdinalIgnoreCase) { TraceParentName, TraceStateName, BaggageName }
            : new HashSet<string>(StringComparer.OrdinalIgnoreCase) { TraceParentName, TraceStateName };
    }

    public SipHeaderStyle Style { get; }

    public int MaxTraceStateLength { get; }

    public bool PropagateBaggage { get; }

    public int MaxBaggageLength { get; }

    public int MaxBaggageEntries { get; }

    /// <summary>Lower-case prefixes in extraction precedence order; index 0 is the injected style.</summary>
    public byte[][] ExtractPrefixesLower { get; }

    /// <summary>The scope each prefix belongs to, parallel to <see cref="ExtractPrefixesLower"/>.</summary>
    public SipTraceHeaderScope[] PrefixScopes { get; }

    /// <summary>traceparent header names, parallel to <see cref="ExtractPrefixesLower"/>.</summary>
    public string[] TraceParentNames { get; }

    /// <summary>tracestate header names, parallel to <see cref="ExtractPrefixesLower"/>.</summary>
    public string[] TraceStateNames { get; }

    /// <summary>baggage header names, parallel to <see cref="ExtractPrefixesLower"/>.</summary>
    public string[] BaggageNames { get; }

    /// <summary>Every header name extraction reads: the traceparent and tracestate names of each prefix.</summary>
    public string[] ExtractedNames { get; }

    /// <summary>The injected traceparent header name.</summary>
    public string TraceParentName { get; }

    /// <summary>The injected tracestate header name.</summary>
    public string TraceStateName { get; }

    /// <summary>The injected baggage header name.</summary>
    public string BaggageName { get; }

    /// <summary>What an injected traceparent line starts with: its name, the colon and a space, in UTF-8.</summary>
    /// <remarks>One piece rather than three keeps the copies per injection few; each is a call.</remarks>
    public byte[] TraceParentLineStart { get; }

    /// <summary>What an injected tracestate line starts with: its name, the colon and a space, in UTF-8.</summary>
    public byte[] TraceStateLineStart { get; }

    /// <summary>The names written on inject.</summary>
    public ISet<string> Fields { get; }

    /// <summary>
    /// The most bytes an injection adds: both header lines with the longest terminator, before
    /// subtracting the trace headers it replaces.
    /// </summary>
    public int MaxInjectedBytes =>
        TraceParentLineStart.Length + TraceParent.Length + "\r\n".Length
        + TraceStateLineStart.Length + MaxTraceStateLength + "\r\n".Length;

    /// <summary>
    /// Every name a strip in <paramref name="scope"/> removes: the traceparent, tracestate and baggage
    /// names of each prefix in that scope, in precedence order.
    /// </summary>
    public string[] StrippedNames(SipTraceHeaderScope scope)
    {
        var names = new List<string>();
        for (int i = 0; i < PrefixScopes.Length; i++)
        {
            if ((PrefixScopes[i] & scope) != 0)
            {
                names.Add(TraceParentNames[i]);
                names.Add(TraceStateNames[i]);
                names.Add(BaggageNames[i]);
            }
        }

        return [.. names];
    }

    private static string ValidatePrefix(string? prefix, string name, bool allowEmpty)
    {
        if (prefix is null || (!allowEmpty && prefix.Length == 0) || prefix.AsSpan().ContainsAnyExcept(s_tokenChars))
        {
            throw new ArgumentException($"A header prefix must be a SIP token (RFC 3261 §25.1); got '{prefix}'.", name);
        }

        return prefix;
    }
}
