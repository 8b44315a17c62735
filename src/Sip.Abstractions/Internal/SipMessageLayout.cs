using System.Runtime.CompilerServices;

namespace SipTraceContext.Sip.Internal;

/// <summary>
/// Where the parts of one SIP message lie in its buffer, as offsets and lengths, found by one pass of
/// <see cref="SipMessageParser"/>. Offsets rather than spans so the reader stays small and copyable.
/// </summary>
internal struct SipMessageLayout
{
    /// <summary>False only in a <c>default</c> reader, which has read nothing and so is incomplete.</summary>
    public bool Parsed;
    public SipParseStatus Status;
    public SipParseError Error;
    public int ErrorOffset;

    public int StartLineOffset;
    public int StartLineLength;
    public bool IsRequest;

    // Request: Method, Request-URI, SIP-Version. Response: SIP-Version, Status-Code, Reason-Phrase.
    public int MethodLength;
    public int RequestUriOffset;
    public int RequestUriLength;
    public int VersionOffset;
    public int VersionLength;
    public int StatusCode;
    public int ReasonOffset;
    public int ReasonLength;

    /// <summary>True once the header section has been read to its empty line without error.</summary>
    public bool HeadersComplete;
    public int HeadersOffset;

    /// <summary>Offset of the empty line that ends the header section.</summary>
    public int HeadersEnd;
    public int BodyOffset;
    public int HeaderCount;

    /// <summary>The Content-Length value, or -1 when the header is absent.</summary>
    public int ContentLength;
    public int BodyLength;
    public int MessageLength;

    /// <summary>
    /// How many header fields have their start recorded in <see cref="Offsets"/>: the first
    /// <see cref="HeaderOffsets.Capacity"/> at most.
    /// </summary>
    public int IndexedCount;

    /// <summary>
    /// Offsets[i] is where indexed field i starts; Offsets[IndexedCount] is where the field after the
    /// last indexed one starts (or the empty line). Lookups jump from field to field without looking
    /// for line ends again.
    /// </summary>
    public HeaderOffsets Offsets;

    /// <summary>Bit i set: indexed field i has continuation lines.</summary>
    public uint FoldedMask;

    /// <summary>Bit i set: indexed field i is a Via (long or compact name).</summary>
    public uint ViaMask;

    /// <summary>
    /// Bit i set: the name of indexed field i may be a trace header's (it ends in <c>traceparent</c> or
    /// <c>tracestate</c>, letters in any case, give or take a byte that folds onto a letter). A field
    /// without its bit is not one.
    /// </summary>
    public uint TraceFieldMask;

    /// <summary>Whether a field past the index may be a trace header's, as <see cref="TraceFieldMask"/> tells of indexed ones.</summary>
    public bool TraceFieldPastIndex;

    /// <summary>How the start line and the lines of the header section (the empty line included) end.</summary>
    public LineEndingKinds LineEndings;

    /// <summary>
    /// Where the first Call-ID, CSeq, Via, From and To fields and the call tracer's correlators are (see
    /// <see cref="FirstFields"/>), recorded as the parser classifies each name, so they are found without a walk.
    /// </summary>
    public FirstFields First;
}

/// <summary>The line terminators a message's start line and header section use (both when they mix).</summary>
[Flags]
internal enum LineEndingKinds : byte
{
    /// <summary>None read yet.</summary>
    None = 0,

    /// <summary>CRLF, as RFC 3261 requires.</summary>
    Crlf = 1,

    /// <summary>A bare LF, which the reader accepts too.</summary>
    BareLf = 2,
}

/// <summary>
/// Where the first field of each of the five headers every message must carry is, and of the headers a
/// recorded span reads (the cross-leg correlators and User-Agent): see <see cref="FirstField"/>.
/// </summary>
internal struct FirstFields
{
    public const byte Absent = 0;
    public const byte NotIndexed = byte.MaxValue;

    public FirstField CallId;
    public FirstField CSeq;
    public FirstField Via;
    public FirstField From;
    public FirstField To;

    // Not headers every message needs: what a recorded span reads, X-CID also what a derived trace comes from.
    public FirstField XCid;
    public FirstField SessionId;
    public FirstField PChargingVector;
    public FirstField UserAgent;
}

/// <summary>
/// The first field of a header: <see cref="FirstFields.Absent"/>, the index of the field plus one
/// when it is indexed, or <see cref="FirstFields.NotIndexed"/> when it lies past
/// <see cref="HeaderOffsets.Capacity"/> (looked up by walking lines then); and, when indexed, where
/// its value starts (the byte after the colon), so the value is taken without splitting the line again.
/// </summary>
internal struct FirstField
{
    public byte Index;
    public int ValueStart;
}

/// <summary>
/// Start offsets of the first header fields, stored inline so the reader stays allocation-free.
/// 32 covers a typical INVITE (15-25 fields); fields beyond it are found by walking lines.
/// </summary>
#if NET
[InlineArray(Capacity + 1)]
internal struct HeaderOffsets
{
    public const int Capacity = 32; // bits in FoldedMask

    private int _element0;
}
#else
// netstandard2.0 has no inline arrays: the same 33 ints as fields, indexed with the same bounds check.
[System.Runtime.InteropServices.StructLayout(System.Runtime.InteropServices.LayoutKind.Sequential)]
internal struct HeaderOffsets
{
    public const int Capacity = 32; // bits in FoldedMask

#pragma warning disable CS0169, CS0649, IDE0044, IDE0051 // reached through _element0
    private int _element0, _element1, _element2, _element3, _element4, _element5, _element6, _element7,
        _element8, _element9, _element10, _element11, _element12, _element13, _element14, _element15,
        _element16, _element17, _element18, _element19, _element20, _element21, _element22, _element23,
        _element24, _element25, _element26, _element27, _element28, _element29, _element30, _element31,
        _element32;
#pragma warning restore CS0169, CS0649, IDE0044, IDE0051

    public int this[int index]
    {
        readonly get => Unsafe.Add(ref Unsafe.AsRef(in _element0), Checked(index));
        set => Unsafe.Add(ref _element0, Checked(index)) = value;
    }

#pragma warning disable CA2201 // what an inline array's indexer throws
    private static int Checked(int index) => (uint)index <= Capacity ? index : throw new IndexOutOfRangeException();
#pragma warning restore CA2201
}
#endif
