using System.Collections.Concurrent;
using System.IO.Compression;
using System.Net;
using System.Text;

namespace SipTraceContext.Interop.Tests.Infrastructure;

/// <summary>
/// An OTLP/HTTP receiver on 127.0.0.1: answers every POST 200 with an empty protobuf response and keeps
/// each request (path, content type, body), so a test can check what a collector process exported and
/// read its spans back (<see cref="Spans"/>).
/// </summary>
internal sealed class OtlpReceiver : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly ConcurrentQueue<OtlpRequest> _requests = new();

    public OtlpReceiver(int port)
    {
        Port = port;
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        _ = Task.Run(ServeAsync);
    }

    public int Port { get; }

    public IReadOnlyList<OtlpRequest> Requests => [.. _requests];

    /// <summary>Every span of every <c>/v1/traces</c> request so far, decoded.</summary>
    public IReadOnlyList<OtlpSpan> Spans => [.. _requests.Where(r => r.Path == "/v1/traces").SelectMany(r => OtlpSpan.ReadExportRequest(r.Body))];

    public void Dispose() => _listener.Close();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            using var body = new MemoryStream();
            Stream input = context.Request.Headers["Content-Encoding"] == "gzip"
                ? new GZipStream(context.Request.InputStream, CompressionMode.Decompress)
                : context.Request.InputStream;
            await input.CopyToAsync(body);
            _requests.Enqueue(new OtlpRequest(context.Request.Url!.AbsolutePath, context.Request.ContentType, body.ToArray()));
            context.Response.StatusCode = 200;
            context.Response.ContentType = "application/x-protobuf";
            context.Response.ContentLength64 = 0;
            context.Response.Close();
        }
    }
}

/// <summary>One request an <see cref="OtlpReceiver"/> received.</summary>
internal sealed record OtlpRequest(string Path, string? ContentType, byte[] Body)
{
    public override string ToString() => $"{Path} ({ContentType}, {Body.Length} B)";
}

/// <summary>
/// What a test compares of an exported span, read from OTLP's protobuf encoding
/// (opentelemetry/proto/collector/trace/v1: ExportTraceServiceRequest -> ResourceSpans -> ScopeSpans -> Span).
/// Ids are lower-case hex, as <c>ActivityTraceId.ToHexString()</c> writes them; kind is OTLP's
/// <c>SpanKind</c> number (2 server, 3 client); attributes keep string, bool, integer and double values.
/// </summary>
internal sealed record OtlpSpan(string TraceId, string SpanId, string ParentSpanId, string Name, int Kind, IReadOnlyDictionary<string, object> Attributes)
{
    public static List<OtlpSpan> ReadExportRequest(ReadOnlySpan<byte> message)
    {
        var spans = new List<OtlpSpan>();
        var request = new ProtoReader(message);
        while (request.Next(out int field, out ProtoReader resourceSpans))
        {
            if (field != 1)
            {
                continue;
            }

            while (resourceSpans.Next(out int rsField, out ProtoReader scopeSpans))
            {
                if (rsField != 2)
                {
                    continue;
                }

                while (scopeSpans.Next(out int ssField, out ProtoReader span))
                {
                    if (ssField == 2)
                    {
                        spans.Add(ReadSpan(span));
                    }
                }
            }
        }

        return spans;
    }

    public override string ToString() =>
        $"{Name} kind {Kind} trace {TraceId} span {SpanId} parent {ParentSpanId} [{string.Join(", ", Attributes.Select(a => $"{a.Key}={a.Value}"))}]";

    private static OtlpSpan ReadSpan(ProtoReader span)
    {
        string traceId = string.Empty, spanId = string.Empty, parent = string.Empty, name = string.Empty;
        int kind = 0;
        var attributes = new Dictionary<string, object>(StringComparer.Ordinal);
        while (span.Next(out int field, out ProtoReader value))
        {
            switch (field)
            {
                case 1: traceId = Convert.ToHexStringLower(value.Bytes); break;
                case 2: spanId = Convert.ToHexStringLower(value.Bytes); break;
                case 4: parent = Convert.ToHexStringLower(value.Bytes); break;
                case 5: name = Encoding.UTF8.GetString(value.Bytes); break;
                case 6: kind = (int)value.Varint; break;
                case 9:
                    (string key, object? attribute) = ReadKeyValue(value);
                    if (attribute is not null)
                    {
                        attributes[key] = attribute;
                    }

                    break;
            }
        }

        return new OtlpSpan(traceId, spanId, parent, name, kind, attributes);
    }

    private static (string Key, object? Value) ReadKeyValue(ProtoReader keyValue)
    {
        string key = string.Empty;
        object? result = null;
        while (keyValue.Next(out int field, out ProtoReader value))
        {
            if (field == 1)
            {
                key = Encoding.UTF8.GetString(value.Bytes);
            }
            else if (field == 2)
            {
                // AnyValue: 1 string, 2 bool, 3 int64, 4 double; arrays and maps are not compared.
                while (value.Next(out int kind, out ProtoReader any))
                {
                    result = kind switch
                    {
                        1 => Encoding.UTF8.GetString(any.Bytes),
                        2 => any.Varint != 0,
                        3 => (long)any.Varint,
                        4 => BitConverter.Int64BitsToDouble((long)any.Varint),
                        _ => result,
                    };
                }
            }
        }

        return (key, result);
    }

    /// <summary>
    /// Walks the fields of one protobuf message. <see cref="Next"/> gives each field's number and its
    /// value as a reader: a length-delimited value's bytes (<see cref="Bytes"/>, or a nested message to
    /// walk), or a varint or fixed-width number (<see cref="Varint"/>).
    /// </summary>
    private ref struct ProtoReader(ReadOnlySpan<byte> data)
    {
        private ReadOnlySpan<byte> _rest = data;

        public ReadOnlySpan<byte> Bytes { get; private set; } = data;

        public ulong Varint { get; private set; }

        public bool Next(out int field, out ProtoReader value)
        {
            value = default;
            field = 0;
            if (_rest.IsEmpty)
            {
                return false;
            }

            ulong tag = ReadVarint(ref _rest);
            field = (int)(tag >> 3);
            switch ((int)(tag & 7))
            {
                case 0:
                    value = new ProtoReader([]) { Varint = ReadVarint(ref _rest) };
                    break;
                case 1:
                    value = new ProtoReader([]) { Varint = BitConverter.ToUInt64(_rest[..8]) };
                    _rest = _rest[8..];
                    break;
                case 2:
                    int length = checked((int)ReadVarint(ref _rest));
                    value = new ProtoReader(_rest[..length]);
                    _rest = _rest[length..];
                    break;
                case 5:
                    value = new ProtoReader([]) { Varint = BitConverter.ToUInt32(_rest[..4]) };
                    _rest = _rest[4..];
                    break;
                default:
                    throw new InvalidDataException($"protobuf wire type {tag & 7} of field {field} is not used by OTLP");
            }

            return true;
        }

        private static ulong ReadVarint(ref ReadOnlySpan<byte> data)
        {
            ulong result = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = data[0];
                data = data[1..];
                result |= (ulong)(b & 0x7F) << shift;
                if (b < 0x80)
                {
                    return result;
                }
            }
        }
    }
}
