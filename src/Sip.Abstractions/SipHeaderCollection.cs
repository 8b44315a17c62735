using System.Collections;
using System.Diagnostics.CodeAnalysis;
using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip;

/// <summary>
/// An in-memory SIP message as an ordered list of header name/value pairs plus its start line: the
/// carrier for stacks that expose headers rather than bytes. Copy the stack's headers in, hand this
/// to the propagator or tracer, and copy changes back (see the package README).
/// </summary>
/// <remarks>
/// Values are stored as given, not trimmed or unfolded. Names match case-insensitively and compact
/// forms match long forms. Not thread-safe, like the SIP message it stands for.
/// </remarks>
public sealed class SipHeaderCollection : ISipMessageCarrier, IReadOnlyList<KeyValuePair<string, string>>
{
    private readonly List<KeyValuePair<string, string>> _headers;

    /// <summary>Creates an empty collection.</summary>
    public SipHeaderCollection()
    {
        _headers = [];
    }

    /// <summary>Creates a collection holding <paramref name="headers"/>, in order.</summary>
    /// <param name="headers">Name/value pairs.</param>
    /// <exception cref="ArgumentNullException"><paramref name="headers"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">A name is not a token or a value holds a forbidden control character.</exception>
    public SipHeaderCollection(IEnumerable<KeyValuePair<string, string>> headers)
    {
        ArgumentNullException.ThrowIfNull(headers);
        _headers = [];
        foreach (KeyValuePair<string, string> header in headers)
        {
            Add(header.Key, header.Value);
        }
    }

    /// <summary>The request method; set it for a request, leave it <see langword="null"/> for a response.</summary>
    public string? Method { get; set; }

    /// <summary>The Request-URI of a request.</summary>
    public string? RequestUri { get; set; }

    /// <summary>The status code of a response; 0 for a request.</summary>
    public int StatusCode { get; set; }

    /// <summary>The reason phrase of a response.</summary>
    public string? ReasonPhrase { get; set; }

    /// <summary>Whether <see cref="Method"/> is set.</summary>
    public bool IsRequest => Method is not null;

    /// <summary>The number of header fields.</summary>
    public int Count => _headers.Count;

    /// <summary>The header field at <paramref name="index"/>, in message order.</summary>
    /// <param name="index">The position.</param>
    public KeyValuePair<string, string> this[int index] => _headers[index];

    /// <inheritdoc/>
    public IReadOnlyList<string> GetValues(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int count = 0;
        foreach (KeyValuePair<string, string> header in _headers)
        {
            if (SipHeaderNames.Matches(header.Key, name))
            {
                count++;
            }
        }

        if (count == 0)
        {
            return [];
        }

        string[] values = new string[count];
        int next = 0;
        foreach (KeyValuePair<string, string> header in _headers)
        {
            if (SipHeaderNames.Matches(header.Key, name))
            {
                values[next++] = header.Value;
            }
        }

        return values;
    }

    /// <inheritdoc/>
    public bool TryGetValue(string name, [NotNullWhen(true)] out string? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        foreach (KeyValuePair<string, string> header in _headers)
        {
            if (SipHeaderNames.Matches(header.Key, name))
            {
                value = header.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    /// <inheritdoc/>
    public void Set(string name, string value)
    {
        Check(name, value);
        int first = -1;
        for (int i = 0; i < _headers.Count; i++)
        {
            if (!SipHeaderNames.Matches(_headers[i].Key, name))
            {
                continue;
            }

            if (first < 0)
            {
                first = i;
                _headers[i] = new(name, value);
            }
            else
            {
                _headers.RemoveAt(i--);
            }
        }

        if (first < 0)
        {
            _headers.Add(new(name, value));
        }
    }

    /// <inheritdoc/>
    public void Add(string name, string value)
    {
        Check(name, value);
        _headers.Add(new(name, value));
    }

    /// <inheritdoc/>
    public bool Remove(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        int removed = 0;
        for (int i = _headers.Count - 1; i >= 0; i--)
        {
            if (SipHeaderNames.Matches(_headers[i].Key, name))
            {
                _headers.RemoveAt(i);
                removed++;
            }
        }

        return removed > 0;
    }

    /// <summary>Removes every header field.</summary>
    public void Clear() => _headers.Clear();

    /// <summary>Enumerates the header fields in order without allocating.</summary>
    /// <returns>A struct enumerator.</returns>
    public List<KeyValuePair<string, string>>.Enumerator GetEnumerator() => _headers.GetEnumerator();

    IEnumerator<KeyValuePair<string, string>> IEnumerable<KeyValuePair<string, string>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    private static void Check(string name, string value)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(value);
        if (!SipGrammar.IsToken(name))
        {
            throw new ArgumentException($"'{name}' is not a valid SIP header name (RFC 3261 token).", nameof(name));
        }

        if (!SipGrammar.IsValidValue(value))
        {
            throw new ArgumentException("A SIP header value must not contain CR, LF, NUL or other control characters except HTAB.", nameof(value));
        }
    }
}
