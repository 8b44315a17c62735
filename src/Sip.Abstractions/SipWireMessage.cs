using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip;

/// <summary>
/// A mutable SIP message held as its wire bytes: the carrier for stacks that hand you raw messages.
/// Header edits rewrite the bytes with <see cref="SipMessageEditor"/>, leaving every other byte as it was.
/// </summary>
/// <remarks>
/// <para>
/// The message is copied in and validated once; <see cref="Span"/> and <see cref="Memory"/> always
/// hold a complete, valid message. The string-based <see cref="ISipHeaderCarrier"/> members allocate
/// the strings they return; for the zero-allocation path read <see cref="Span"/> with
/// <see cref="SipMessageReader"/> and edit with <see cref="TryApply"/>.
/// </para>
/// <para>Not thread-safe.</para>
/// </remarks>
public sealed class SipWireMessage : ISipMessageCarrier
{
    // Strings this short are converted on the stack; longer ones rent a pooled buffer.
    private const int StackBufferBytes = 256;

    private readonly SipReaderLimits _limits;
    private byte[] _buffer;
    private int _length;
    private byte[]? _spare;

    // Where the parts of the current bytes lie, kept so that reads do not parse the message again.
    private SipMessageLayout _layout;
    private string? _method;
    private string? _requestUri;
    private string? _reasonPhrase;

    private SipWireMessage(ReadOnlySpan<byte> message, SipReaderLimits limits)
    {
        _limits = limits;
        _buffer = message.ToArray();
        _length = message.Length;
        _layout = new SipMessageReader(Span, limits).Layout;
    }

    /// <summary>Copies and validates <paramref name="message"/>.</summary>
    /// <param name="message">One complete SIP message; bytes after its end (per Content-Length) are dropped.</param>
    /// <exception cref="ArgumentException">The message is not complete and valid; the message says why.</exception>
    public SipWireMessage(ReadOnlySpan<byte> message)
        : this(Check(message, SipReaderLimits.Default), SipReaderLimits.Default)
    {
    }

    /// <summary>The message bytes.</summary>
    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, _length);

    /// <summary>The message bytes.</summary>
    public ReadOnlyMemory<byte> Memory => _buffer.AsMemory(0, _length);

    /// <summary>The message length in bytes.</summary>
    public int Length => _length;

    /// <inheritdoc/>
    public bool IsRequest => CreateReader().IsRequest;

    /// <inheritdoc/>
    public string? Method => _method ??= IsRequest ? SipMethodNames.GetString(CreateReader().Method) : null;

    /// <inheritdoc/>
    public string? RequestUri => _requestUri ??= IsRequest ? Encoding.UTF8.GetString(CreateReader().RequestUri) : null;

    /// <inheritdoc/>
    public int StatusCode => CreateReader().StatusCode;

    /// <inheritdoc/>
    public string? ReasonPhrase => _reasonPhrase ??= IsRequest ? null : Encoding.UTF8.GetString(CreateReader().ReasonPhrase);

    /// <summary>Copies <paramref name="message"/> if it is one complete, valid SIP message.</summary>
    /// <param name="message">The message bytes; bytes after its end (per Content-Length) are dropped.</param>
    /// <param name="result">The message, or <see langword="null"/>.</param>
    /// <param name="error">Why the message was refused, or <see cref="SipParseError.None"/>.</param>
    /// <returns><see langword="true"/> when the message was accepted.</returns>
    public static bool TryCreate(ReadOnlySpan<byte> message, [NotNullWhen(true)] out SipWireMessage? result, out SipParseError error) =>
        TryCreate(message, SipReaderLimits.Default, out result, out error);

    /// <summary>Copies <paramref name="message"/> if it is one complete, valid SIP message within <paramref name="limits"/>.</summary>
    /// <param name="message">The message bytes; bytes after its end (per Content-Length) are dropped.</param>
    /// <param name="limits">The limits to read it with, now and after each edit.</param>
    /// <param name="result">The message, or <see langword="null"/>.</param>
    /// <param name="error">Why the message was refused, or <see cref="SipParseError.None"/>.</param>
    /// <returns><see langword="true"/> when the message was accepted.</returns>
    public static bool TryCreate(ReadOnlySpan<byte> message, SipReaderLimits limits, [NotNullWhen(true)] out SipWireMessage? result, out SipParseError error)
    {
        SipMessageReader reader = new(message, limits);
        error = reader.Error;
        if (!reader.IsComplete)
        {
            result = null;
            return false;
        }

        result = new SipWireMessage(message[..reader.MessageLength], limits);
        return true;
    }

    /// <summary>A reader over the current bytes, without reading them again.</summary>
    /// <returns>The reader; it is complete and valid.</returns>
    public SipMessageReader CreateReader() => new(Span, _layout);

    /// <summary>Applies header edits, rewriting the message.</summary>
    /// <param name="edits">The edits.</param>
    /// <param name="error">
    /// Why nothing changed, or <see cref="SipEditError.None"/>; <see cref="SipEditError.LimitExceeded"/> when the
    /// edited message would be over this message's reader limits.
    /// </param>
    /// <returns><see langword="true"/> when the edits were applied.</returns>
    internal bool TryApply(scoped in SipHeaderEditList edits, out SipEditError error)
    {
        SipMessageReader reader = CreateReader();
        int max = SipMessageEditor.GetMaxOutputLength(_length, edits);
        if (_spare is null || _spare.Length < max)
        {
            _spare = new byte[Math.Max(max, _buffer.Length)];
        }

        if (!SipMessageEditor.TryApply(reader, edits, _spare, out int written, out error))
        {
            return false;
        }

        // An edit that would push the message over the reader limits is refused rather than kept: the next
        // hop reading with the same limits would drop the whole message, not just the edit.
        SipMessageReader check = new(_spare.AsSpan(0, written), _limits);
        if (!check.IsComplete)
        {
            error = check.Status == SipParseStatus.LimitExceeded ? SipEditError.LimitExceeded : SipEditError.InvalidMessage;
            return false;
        }

        (_buffer, _spare) = (_spare, _buffer);
        _length = written;
        _layout = check.Layout;
        return true;
    }

    /// <summary>Applies header edits, rewriting the message.</summary>
    /// <param name="edits">The edits.</param>
    /// <exception cref="ArgumentException">An edit is invalid, or would take the message over its limits; the message says which.</exception>
    internal void Apply(scoped in SipHeaderEditList edits)
    {
        if (!TryApply(edits, out SipEditError error))
        {
            throw new ArgumentException($"The header edits were refused: {error}.", nameof(edits));
        }
    }

    /// <inheritdoc/>
    public IReadOnlyList<string> GetValues(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!SipGrammar.IsToken(name))
        {
            return [];
        }

        byte[]? rented = null;
        Span<byte> nameBytes = name.Length <= StackBufferBytes ? stackalloc byte[name.Length] : (rented = ArrayPool<byte>.Shared.Rent(name.Length));
        nameBytes = nameBytes[..Encoding.ASCII.GetBytes(name, nameBytes)];
        try
        {
            SipMessageReader reader = CreateReader();
            int count = reader.CountHeaders(nameBytes);
            if (count == 0)
            {
                return [];
            }

            string[] values = new string[count];
            int next = 0;
            foreach (SipHeaderField field in reader.GetHeaders(nameBytes))
            {
                values[next++] = GetString(field);
            }

            return values;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <inheritdoc/>
    public bool TryGetValue(string name, [NotNullWhen(true)] out string? value)
    {
        ArgumentNullException.ThrowIfNull(name);
        value = null;
        if (!SipGrammar.IsToken(name))
        {
            return false;
        }

        byte[]? rented = null;
        Span<byte> nameBytes = name.Length <= StackBufferBytes ? stackalloc byte[name.Length] : (rented = ArrayPool<byte>.Shared.Rent(name.Length));
        nameBytes = nameBytes[..Encoding.ASCII.GetBytes(name, nameBytes)];
        try
        {
            if (CreateReader().TryGetHeader(nameBytes, out SipHeaderField field))
            {
                value = GetString(field);
                return true;
            }

            return false;
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <inheritdoc/>
    public void Set(string name, string value) => Edit(SipHeaderEditKind.Set, name, value);

    /// <inheritdoc/>
    public void Add(string name, string value) => Edit(SipHeaderEditKind.Add, name, value);

    /// <inheritdoc/>
    public bool Remove(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!SipGrammar.IsToken(name))
        {
            return false;
        }

        Span<byte> nameBytes = name.Length <= StackBufferBytes ? stackalloc byte[name.Length] : new byte[name.Length];
        nameBytes = nameBytes[..Encoding.ASCII.GetBytes(name, nameBytes)];
        if (CreateReader().CountHeaders(nameBytes) == 0)
        {
            return false;
        }

        scoped SipHeaderEditList edits = default;
        edits.Remove(nameBytes);
        return TryApply(edits, out _);
    }

    /// <summary>Copies the message bytes to a new array.</summary>
    /// <returns>The bytes.</returns>
    public byte[] ToArray() => Span.ToArray();

    /// <summary>The message decoded as UTF-8, for logs and debugging.</summary>
    /// <returns>The message text.</returns>
    public override string ToString() => Encoding.UTF8.GetString(Span);

    private void Edit(SipHeaderEditKind kind, string name, string value)
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

        int valueBytes = Encoding.UTF8.GetMaxByteCount(value.Length);
        byte[] rented = ArrayPool<byte>.Shared.Rent(name.Length + valueBytes);
        try
        {
            Span<byte> nameBytes = rented.AsSpan(0, Encoding.ASCII.GetBytes(name, rented));
            Span<byte> valueSpan = rented.AsSpan(nameBytes.Length, Encoding.UTF8.GetBytes(value, rented.AsSpan(nameBytes.Length)));
            scoped SipHeaderEditList edits = default;
            if (kind == SipHeaderEditKind.Set)
            {
                edits.Set(nameBytes, valueSpan);
            }
            else
            {
                edits.Add(nameBytes, valueSpan);
            }

            if (!TryApply(edits, out SipEditError error))
            {
                throw new ArgumentException($"The header '{name}' could not be written: {error}.", nameof(value));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static string GetString(scoped in SipHeaderField field)
    {
        if (!field.IsFolded)
        {
            return Encoding.UTF8.GetString(field.Value);
        }

        // Unfolding only shrinks the value, so its own length is enough room.
        byte[]? rented = null;
        Span<byte> buffer = field.Value.Length <= StackBufferBytes ? stackalloc byte[StackBufferBytes] : (rented = ArrayPool<byte>.Shared.Rent(field.Value.Length));
        try
        {
            field.TryCopyUnfoldedValue(buffer, out int written);
            return Encoding.UTF8.GetString(buffer[..written]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static ReadOnlySpan<byte> Check(ReadOnlySpan<byte> message, SipReaderLimits limits)
    {
        SipMessageReader reader = new(message, limits);
        if (!reader.IsComplete)
        {
            throw new ArgumentException($"Not a complete SIP message: {reader.Status} ({reader.Error} at byte {reader.ErrorOffset}).", nameof(message));
        }

        return message[..reader.MessageLength];
    }
}
