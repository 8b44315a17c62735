using System.Runtime.InteropServices;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Sip.Internal;

namespace SipTraceContext.Sip.Tests;

/// <summary>
/// FsCheck properties of the reader and editor over generated messages: what a lookup finds does
/// not depend on header order, case, long/compact form or folding; every strict prefix is incomplete;
/// no input throws; an edit changes only what it names; no value smuggles a header.
/// </summary>
public sealed class SipMessageProperties
{
    // Header names the generator draws from: some with compact forms, some without, some unknown.
    private static readonly string[] NamePool =
    [
        "Via", "To", "From", "Call-ID", "Contact", "Subject", "Supported", "Content-Type", "Event", "Refer-To",
        "CSeq", "Max-Forwards", "Route", "Record-Route", "X-Custom", "X-CID", "P-Foo-Bar", "X-OTel-traceparent", "X-OTel-tracestate",
        "Session-ID", "User-Agent", "P-Charging-Vector", "Session-Expires",
    ];

    private const string ValueAlphabet = "abcXYZ0129;=,<>@:.-_\"/\u00e9";

    private sealed record Header(string Name, string Value);

    private sealed record Model(string StartLine, Header[] Headers, byte[] Body);

    // How one header line is written: the choices that must not change what a lookup finds.
    private sealed record Rendering(int CaseMode, bool Compact, string BeforeColon, string AfterColon, int FoldAt, string FoldWhitespace);

    private static Gen<string> Words =>
        from count in Gen.Choose(0, 4)
        from words in Gen.ArrayOf(
            from length in Gen.Choose(1, 8)
            from chars in Gen.ArrayOf(Gen.Elements(ValueAlphabet.ToCharArray()), length)
            select new string(chars),
            count)
        select string.Join(' ', words);

    private static Gen<Model> Models =>
        from isRequest in Gen.Elements(true, false)
        from startLine in isRequest
            ? Gen.Elements("INVITE sip:bob@example.com SIP/2.0", "BYE sip:10.0.0.1:5060;transport=tcp SIP/2.0", "X-EXT sips:a@b SIP/2.0")
            : Gen.Elements("SIP/2.0 200 OK", "SIP/2.0 180 Ringing", "SIP/2.0 487 Request Terminated", "SIP/2.0 100 ")
        from headerCount in Gen.OneOf(Gen.Choose(1, 14), Gen.Choose(30, 40))
        from headers in Gen.ArrayOf(
            from name in Gen.Elements(NamePool)
            from value in Words
            select new Header(name, value),
            headerCount)
        from bodyLength in Gen.Choose(0, 40)
        from body in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), bodyLength)
        select new Model(startLine, headers, body);

    private static Gen<Rendering> Renderings =>
        from caseMode in Gen.Choose(0, 3)
        from compact in Gen.Elements(true, false)
        from before in Gen.Elements("", "", " ", "\t ")
        from after in Gen.Elements(" ", "", "  ", "\t")
        from foldAt in Gen.Choose(-1, 3)
        from foldWhitespace in Gen.Elements(" ", "\t", "   ")
        select new Rendering(caseMode, compact, before, after, foldAt, foldWhitespace);

    private sealed record Rendered(Model Model, byte[] Bytes);

    private static Gen<Rendered> RenderedMessages =>
        from model in Models
        from renderings in Gen.ArrayOf(Renderings, model.Headers.Length)
        from orderKeys in Gen.ArrayOf(Gen.Choose(0, 1000), model.Headers.Length)
        from compactLength in Gen.Elements(true, false)
        from lineEnd in Gen.Elements("\r\n", "\r\n", "\r\n", "\n")
        select new Rendered(model, Render(model, renderings, orderKeys, compactLength, lineEnd));

    /// <summary>
    /// Writes the model with per-header spelling choices, in an order shuffled by
    /// <paramref name="orderKeys"/> but keeping instances of one header in their model order
    /// (their relative order is meaningful, RFC 3261 §7.3.1).
    /// </summary>
    private static byte[] Render(Model model, Rendering[] renderings, int[] orderKeys, bool compactLength, string lineEnd)
    {
        int[] order = Enumerable.Range(0, model.Headers.Length).OrderBy(i => orderKeys[i]).ThenBy(i => i).ToArray();
        foreach (IGrouping<KnownSipHeader, int> group in Enumerable.Range(0, model.Headers.Length).GroupBy(i => Known(model.Headers[i].Name)))
        {
            int[] slots = order.Select((headerIndex, slot) => (headerIndex, slot)).Where(p => group.Contains(p.headerIndex)).Select(p => p.slot).ToArray();
            int[] members = [.. group.OrderBy(i => i)];
            for (int k = 0; k < slots.Length; k++)
            {
                order[slots[k]] = members[k];
            }
        }

        var text = new StringBuilder();
        text.Append(model.StartLine).Append(lineEnd);
        foreach (int i in order)
        {
            Header header = model.Headers[i];
            Rendering r = renderings[i];
            string name = header.Name;
            byte compact = SipHeaderNames.GetCompactForm(Known(name));
            if (r.Compact && compact != 0)
            {
                name = ((char)compact).ToString();
            }

            name = r.CaseMode switch
            {
                1 => name.ToUpperInvariant(),
                2 => name.ToLowerInvariant(),
                3 => new string(name.Select((c, k) => k % 2 == 0 ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c)).ToArray()),
                _ => name,
            };

            string value = header.Value;
            string[] words = value.Split(' ');
            if (r.FoldAt >= 0 && words.Length > 1)
            {
                // Replacing one separating space by a line break and whitespace is a fold; unfolded it is one SP again.
                int at = r.FoldAt % (words.Length - 1);
                value = string.Join(' ', words[..(at + 1)]) + lineEnd + r.FoldWhitespace + string.Join(' ', words[(at + 1)..]);
            }

            text.Append(name).Append(r.BeforeColon).Append(':').Append(r.AfterColon).Append(value).Append(lineEnd);
        }

        text.Append(compactLength ? "l: " : "Content-Length: ").Append(model.Body.Length).Append(lineEnd).Append(lineEnd);
        return [.. Encoding.UTF8.GetBytes(text.ToString()), .. model.Body];
    }

    private static KnownSipHeader Known(string name)
    {
        KnownSipHeader known = SipHeaderNames.GetKnownHeader(name.AsSpan());
        return known == KnownSipHeader.Unknown ? (KnownSipHeader)(-1 - Array.IndexOf(NamePool, name)) : known;
    }

    private static List<string> Lookup(byte[] message, string name)
    {
        var reader = new SipMessageReader(message);
        var values = new List<string>();
        foreach (SipHeaderField field in reader.GetHeaders(Encoding.ASCII.GetBytes(name)))
        {
            var buffer = new byte[field.UnfoldedValueLength];
            field.TryCopyUnfoldedValue(buffer, out int written);
            values.Add(Encoding.UTF8.GetString(buffer, 0, written));
        }

        return values;
    }

    private static IEnumerable<string> Spellings(string name)
    {
        yield return name;
        yield return name.ToUpperInvariant();
        byte compact = SipHeaderNames.GetCompactForm(SipHeaderNames.GetKnownHeader(name.AsSpan()));
        if (compact != 0)
        {
            yield return ((char)compact).ToString();
            yield return char.ToUpperInvariant((char)compact).ToString();
        }
    }

    [Property(MaxTest = 300)]
    public Property Order_case_form_and_folding_never_change_what_a_lookup_finds() =>
        Prop.ForAll(RenderedMessages.ToArbitrary(), rendered =>
        {
            var reader = new SipMessageReader(rendered.Bytes);
            if (reader.Status != SipParseStatus.Complete || !reader.Body.SequenceEqual(rendered.Model.Body))
            {
                return false;
            }

            foreach (string name in NamePool)
            {
                List<string> expected = rendered.Model.Headers.Where(h => SipHeaderNames.Matches(h.Name.AsSpan(), name.AsSpan())).Select(h => h.Value).ToList();
                foreach (string spelling in Spellings(name))
                {
                    if (!Lookup(rendered.Bytes, spelling).SequenceEqual(expected))
                    {
                        return false;
                    }
                }
            }

            return reader.HeaderCount == rendered.Model.Headers.Length + 1;
        });

    // The headers whose first field the parser records, and one it does not (looked up by name).
    private static readonly KnownSipHeader[] FirstFieldHeaders =
    [
        KnownSipHeader.CallId, KnownSipHeader.CSeq, KnownSipHeader.Via, KnownSipHeader.From, KnownSipHeader.To, KnownSipHeader.XCid,
        KnownSipHeader.SessionId, KnownSipHeader.PChargingVector, KnownSipHeader.UserAgent, KnownSipHeader.Contact,
    ];

    /// <summary>
    /// Whether the recorded first field of each header is the first one a walk over every field finds, and,
    /// when every field is indexed, the recorded Vias are the fields the walk names Via.
    /// </summary>
    private static bool FirstFieldsMatchEnumeration(byte[] bytes)
    {
        var reader = new SipMessageReader(bytes);
        if (!RecordedViasMatchEnumeration(in reader))
        {
            return false;
        }

        foreach (KnownSipHeader header in FirstFieldHeaders)
        {
            ReadOnlySpan<byte> name = SipHeaderNames.GetNameUtf8(header);
            bool expected = false;
            SipHeaderField first = default;
            foreach (SipHeaderField field in reader.Headers)
            {
                if (SipHeaderNames.Matches(field.Name, name))
                {
                    expected = true;
                    first = field;
                    break;
                }
            }

            bool found = reader.TryGetFirstField(header, out SipHeaderField recorded);
            if (found != expected || reader.HasField(header) != expected || (found && !SameField(first, recorded))
                || !SameValue(in reader, header, expected, first))
            {
                return false;
            }
        }

        return true;
    }

    private static bool RecordedViasMatchEnumeration(in SipMessageReader reader)
    {
        if (!reader.AllFieldsIndexed)
        {
            return true;
        }

        uint vias = 0;
        int index = 0;
        foreach (SipHeaderField field in reader.Headers)
        {
            if (SipHeaderNames.Matches(field.Name, "Via"u8))
            {
                vias |= 1u << index;
                if (!SameField(field, reader.IndexedField(index)))
                {
                    return false;
                }
            }

            index++;
        }

        return reader.ViaFields == vias;
    }

    [Property(MaxTest = 300)]
    public Property The_recorded_first_field_is_the_first_a_full_enumeration_finds() =>
        Prop.ForAll(RenderedMessages.ToArbitrary(), rendered => FirstFieldsMatchEnumeration(rendered.Bytes));

    [Property(MaxTest = 300)]
    public Property The_recorded_first_field_is_the_first_a_full_enumeration_finds_across_folded_lines() =>
        Prop.ForAll(FoldedMessages.ToArbitrary(), FirstFieldsMatchEnumeration);

    [Property(MaxTest = 1000)]
    public Property The_recorded_first_field_agrees_with_the_lookup_by_name_on_any_input() =>
        Prop.ForAll(HostileInputs.ToArbitrary(), bytes =>
        {
            var reader = new SipMessageReader(bytes);
            if (!RecordedViasMatchEnumeration(in reader))
            {
                return false;
            }

            foreach (KnownSipHeader header in FirstFieldHeaders)
            {
                bool expected = reader.TryGetHeader(SipHeaderNames.GetNameUtf8(header), out SipHeaderField byName);
                bool found = reader.TryGetFirstField(header, out SipHeaderField recorded);
                if (found != expected || reader.HasField(header) != expected || (found && !SameField(byName, recorded))
                    || !SameValue(in reader, header, expected, byName))
                {
                    return false;
                }
            }

            return true;
        });

    [Property(MaxTest = 100)]
    public Property Every_strict_prefix_of_a_valid_message_is_incomplete() =>
        Prop.ForAll(RenderedMessages.ToArbitrary(), rendered =>
        {
            byte[] bytes = rendered.Bytes;
            for (int length = 0; length < bytes.Length; length++)
            {
                var prefix = new SipMessageReader(bytes.AsSpan(0, length));
                if (prefix.Status != SipParseStatus.Incomplete || prefix.MessageLength != 0)
                {
                    return false;
                }
            }

            return new SipMessageReader(bytes).Status == SipParseStatus.Complete;
        });

    // The value taken from where the parser recorded it starts is the field's unfolded value.
    private static bool SameValue(in SipMessageReader reader, KnownSipHeader header, bool expected, in SipHeaderField field) =>
        reader.TryGetFirstValue(header, out ReadOnlySpan<byte> value) == expected
        && (!expected || value.SequenceEqual(field.UnfoldedValue()));

    private static bool SameField(in SipHeaderField a, in SipHeaderField b) =>
        a.Offset == b.Offset && a.Length == b.Length && a.Name.SequenceEqual(b.Name) && a.Value.SequenceEqual(b.Value) && a.IsFolded == b.IsFolded;

    private delegate bool Finder(ReadOnlySpan<byte> message, ReadOnlySpan<byte> name, out SipHeaderField field);

    private static bool FinderAgreesWithReader(byte[] bytes, string spelling) =>
        FinderAgreesWithReader(SipMessageReader.TryFindHeader, bytes, spelling);

    private static bool FinderAgreesWithReader(Finder find, byte[] bytes, string spelling)
    {
        byte[] name = Encoding.ASCII.GetBytes(spelling);
        var reader = new SipMessageReader(bytes);
        bool expected = reader.TryGetHeader(name, out SipHeaderField byReader);
        bool found = find(bytes, name, out SipHeaderField byFinder);
        return found == expected && (!found || SameField(byReader, byFinder));
    }

    // Every vector width of the fast lookup, whatever this machine accelerates.
    [Property(MaxTest = 200)]
    public Property Every_vector_width_of_the_fast_lookup_finds_what_the_reader_finds() =>
        Prop.ForAll(RenderedMessages.ToArbitrary(), rendered =>
            new Finder[]
            {
#if LIBRARY_NETSTANDARD2_0
                // The netstandard2.0 build has one scalar finder and no vector widths.
                Internal.HeaderFieldFinder.TryFind,
#else
                Internal.HeaderFieldFinder.TryFind<Internal.HeaderFieldFinder.Block512>,
                Internal.HeaderFieldFinder.TryFind<Internal.HeaderFieldFinder.Block256>,
                Internal.HeaderFieldFinder.TryFind<Internal.HeaderFieldFinder.Block128>,
#endif
            }.All(find => NamePool.Append("l").Append("Absent-Header").SelectMany(Spellings).All(spelling => FinderAgreesWithReader(find, rendered.Bytes, spelling))));

    [Property(MaxTest = 300)]
    public Property The_fast_lookup_finds_what_the_reader_finds_in_every_spelling() =>
        Prop.ForAll(RenderedMessages.ToArbitrary(), rendered =>
            NamePool.Append("l").Append("Content-Length").Append("Absent-Header")
                .SelectMany(Spellings)
                .All(spelling => FinderAgreesWithReader(rendered.Bytes, spelling)));

    [Property(MaxTest = 1000)]
    public Property The_fast_lookup_never_throws_stays_in_bounds_and_agrees_on_whatever_the_reader_accepts() =>
        Prop.ForAll(HostileInputs.ToArbitrary(), bytes =>
        {
            bool readerAccepts = new SipMessageReader(bytes).HeadersComplete;
            foreach (string name in new[] { "Via", "v", "Content-Length", "l", "X-OTel-traceparent", "CSeq", "a" })
            {
                if (SipMessageReader.TryFindHeader(bytes, Encoding.ASCII.GetBytes(name), out SipHeaderField field)
                    && (field.Offset < 0 || field.Offset + field.Length > bytes.Length))
                {
                    return false;
                }

                if (readerAccepts && !FinderAgreesWithReader(bytes, name))
                {
                    return false;
                }
            }

            return true;
        });

    [Property(MaxTest = 100)]
    public Property The_fast_lookup_on_a_prefix_finds_nothing_or_what_the_whole_message_holds() =>
        Prop.ForAll(RenderedMessages.ToArbitrary(), rendered =>
        {
            byte[] bytes = rendered.Bytes;
            int headersEnd = new SipMessageReader(bytes).HeadersEnd;
            foreach (string name in new[] { "Via", "l", "X-OTel-traceparent" })
            {
                byte[] utf8 = Encoding.ASCII.GetBytes(name);
                bool inWhole = SipMessageReader.TryFindHeader(bytes, utf8, out SipHeaderField whole);
                for (int length = 0; length < headersEnd; length++)
                {
                    bool inPrefix = SipMessageReader.TryFindHeader(bytes.AsSpan(0, length), utf8, out SipHeaderField partial);
                    // Found only once the field's line and one more byte are in, and then the same field.
                    bool arrived = inWhole && length > whole.Offset + whole.Length;
                    if (inPrefix != arrived || (inPrefix && !SameField(partial, whole)))
                    {
                        return false;
                    }
                }
            }

            return true;
        });

    // Continuation lines as the lookup must step over them: words, whitespace only, text shaped like a
    // header line (a continuation never starts a field), and the fuzzer's shape that puts Call-ID's
    // first letter's stand-in (a tab) after the line feed and its last letter seven bytes on.
    private static Gen<string> ContinuationLines =>
        from whitespace in Gen.Elements(" ", "\t", "  ", "\t ")
        from text in Gen.OneOf(
            Words,
            Gen.Constant(""),
            Gen.Elements("abcded", "Via: SIP/2.0/UDP fake", "Call-ID: fake", "i: fake", "l: 9", "x-otel-traceparent: fake", ":"))
        select whitespace + text;

    private sealed record FoldedField(string Name, string Value, string[] Continuations, string[] LineEnds);

    private static Gen<FoldedField> FoldedFields =>
        from name in Gen.Elements(NamePool)
        from value in Words
        from count in Gen.Frequency((2, Gen.Constant(0)), (3, Gen.Choose(1, 4)), (1, Gen.Choose(20, 60)))
        from continuations in Gen.ArrayOf(ContinuationLines, count)
        from lineEnds in Gen.ArrayOf(Gen.Elements("\r\n", "\n"), count + 1)
        select new FoldedField(name, value, continuations, lineEnds);

    /// <summary>
    /// Messages whose fields are folded over any number of continuation lines, some whitespace only,
    /// each line ended by CRLF or a bare LF independently: the reader accepts all of them.
    /// </summary>
    private static Gen<byte[]> FoldedMessages =>
        from startLine in Gen.Elements("INVITE sip:bob@example.com SIP/2.0", "SIP/2.0 200 OK")
        from startLineEnd in Gen.Elements("\r\n", "\n")
        from fieldCount in Gen.Choose(1, 12)
        from fields in Gen.ArrayOf(FoldedFields, fieldCount)
        from emptyLine in Gen.Elements("\r\n", "\n")
        select Encoding.UTF8.GetBytes(
            startLine + startLineEnd
            + string.Concat(fields.Select(f =>
                f.Name + ": " + f.Value + f.LineEnds[0] + string.Concat(f.Continuations.Select((c, i) => c + f.LineEnds[i + 1]))))
            + "Content-Length: 0" + emptyLine + emptyLine);

    [Property(MaxTest = 300)]
    public Property Every_vector_width_of_the_fast_lookup_finds_what_the_reader_finds_across_folded_lines() =>
        Prop.ForAll(FoldedMessages.ToArbitrary(), bytes =>
            new SipMessageReader(bytes).Status == SipParseStatus.Complete
            && new Finder[]
            {
#if LIBRARY_NETSTANDARD2_0
                // The netstandard2.0 build has one scalar finder and no vector widths.
                Internal.HeaderFieldFinder.TryFind,
#else
                Internal.HeaderFieldFinder.TryFind<Internal.HeaderFieldFinder.Block512>,
                Internal.HeaderFieldFinder.TryFind<Internal.HeaderFieldFinder.Block256>,
                Internal.HeaderFieldFinder.TryFind<Internal.HeaderFieldFinder.Block128>,
#endif
            }.All(find => NamePool.Append("l").Append("Content-Length").Append("Absent-Header").SelectMany(Spellings).All(spelling => FinderAgreesWithReader(find, bytes, spelling))));

    [Property(MaxTest = 100)]
    public Property The_fast_lookup_on_a_prefix_of_folded_lines_finds_nothing_or_what_the_whole_message_holds() =>
        Prop.ForAll(FoldedMessages.ToArbitrary(), bytes =>
        {
            foreach (string name in new[] { "Subject", "i", "X-OTel-traceparent" })
            {
                byte[] utf8 = Encoding.ASCII.GetBytes(name);
                bool inWhole = SipMessageReader.TryFindHeader(bytes, utf8, out SipHeaderField whole);
                for (int length = 0; length < bytes.Length; length++)
                {
                    bool inPrefix = SipMessageReader.TryFindHeader(bytes.AsSpan(0, length), utf8, out SipHeaderField partial);
                    bool arrived = inWhole && length > whole.Offset + whole.Length;
                    if (inPrefix != arrived || (inPrefix && !SameField(partial, whole)))
                    {
                        return false;
                    }
                }
            }

            return true;
        });

    private static Gen<byte[]> HostileInputs =>
        Gen.OneOf(
            ArbMap.Default.GeneratorFor<byte[]>().Where(b => b is not null),
            from chars in Gen.ArrayOf(Gen.Elements("\r\n\t :\0Via-lLcontent0123456789SIP/2. \u0080\u00ff".ToCharArray()))
            select Encoding.Latin1.GetBytes(chars),
            from rendered in RenderedMessages
            from position in Gen.Choose(0, rendered.Bytes.Length - 1)
            from action in Gen.Choose(0, 2)
            from b in Gen.Elements((byte)'\r', (byte)'\n', (byte)0, (byte)' ', (byte)'\t', (byte)':', (byte)'l', (byte)'9', (byte)0xFF)
            select Mutate(rendered.Bytes, position, action, b));

    private static byte[] Mutate(byte[] bytes, int position, int action, byte b) => action switch
    {
        0 => [.. bytes[..position], b, .. bytes[(position + 1)..]],
        1 => [.. bytes[..position], b, .. bytes[position..]],
        _ => [.. bytes[..position], .. bytes[(position + 1)..]],
    };

    [Property(MaxTest = 1000)]
    public Property Reading_in_place_gives_the_constructed_reader() =>
        Prop.ForAll(HostileInputs.ToArbitrary(), bytes =>
        {
            var constructed = new SipMessageReader(bytes);
            SipMessageReader.ReadInPlace(bytes, out SipMessageReader inPlace);
            SipMessageLayout expected = constructed.Layout;
            SipMessageLayout actual = inPlace.Layout;
            return inPlace.Message == constructed.Message
                && MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref expected, 1))
                    .SequenceEqual(MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref actual, 1)));
        });

    [Property(MaxTest = 1000)]
    public Property Arbitrary_bytes_never_throw_and_results_stay_inside_the_input() =>
        Prop.ForAll(HostileInputs.ToArbitrary(), bytes =>
        {
            foreach (SipReaderLimits limits in new[] { SipReaderLimits.Default, new SipReaderLimits { MaxLineLength = 16, MaxHeaderCount = 3, MaxHeaderSectionBytes = 64, MaxBodyBytes = 8 } })
            {
                var reader = new SipMessageReader(bytes, limits);
                int count = 0;
                int end = 0;
                foreach (SipHeaderField field in reader.Headers)
                {
                    count++;
                    end = field.Offset + field.Length;
                    if (field.Offset < reader.HeadersOffset || end > reader.HeadersEnd)
                    {
                        return false;
                    }

                    Span<byte> unfolded = new byte[field.UnfoldedValueLength];
                    field.TryCopyUnfoldedValue(unfolded, out _);
                }

                reader.TryGetHeader("Via"u8, out ReadOnlySpan<byte> _);
                reader.TryGetHeader("l"u8, out ReadOnlySpan<byte> _);
                if (count != reader.HeaderCount
                    || reader.MessageLength > bytes.Length
                    || (reader.IsComplete && reader.BodyOffset + reader.Body.Length != reader.MessageLength)
                    || (reader.Status == SipParseStatus.Complete) != (reader.Error == SipParseError.None))
                {
                    return false;
                }

                scoped SipHeaderEditList edits = default;
                edits.Set("Via"u8, "x"u8);
                var destination = new byte[SipMessageEditor.GetMaxOutputLength(bytes.Length, edits)];
                bool edited = SipMessageEditor.TryApply(reader, edits, destination, out _, out SipEditError error);
                if (edited != reader.HeadersComplete || (!edited && error != SipEditError.InvalidMessage))
                {
                    return false;
                }
            }

            return true;
        });

    private sealed record Edit(string Name, string Value, SipHeaderEditKind Kind);

    private static Gen<Edit> Edits =>
        from name in Gen.Elements(NamePool)
        from spelling in Gen.Elements(0, 1, 2)
        from value in Words
        from kind in Gen.Elements(SipHeaderEditKind.Set, SipHeaderEditKind.Remove, SipHeaderEditKind.Add)
        select new Edit(
            spelling switch
            {
                1 => name.ToLowerInvariant(),
                2 when SipHeaderNames.GetCompactForm(SipHeaderNames.GetKnownHeader(name.AsSpan())) is byte c and not 0 => ((char)c).ToString(),
                _ => name,
            },
            value,
            kind);

    [Property(MaxTest = 300)]
    public Property An_edit_preserves_every_other_byte_and_a_reread_finds_exactly_the_edit() =>
        Prop.ForAll(RenderedMessages.ToArbitrary(), Edits.ToArbitrary(), (rendered, edit) =>
        {
            byte[] source = rendered.Bytes;
            byte[] name = Encoding.ASCII.GetBytes(edit.Name);
            byte[] value = Encoding.UTF8.GetBytes(edit.Value);
            scoped SipHeaderEditList edits = default;
            edits.Append(edit.Kind switch
            {
                SipHeaderEditKind.Set => SipHeaderEdit.Set(name, value),
                SipHeaderEditKind.Add => SipHeaderEdit.Add(name, value),
                _ => SipHeaderEdit.Remove(name),
            });
            var destination = new byte[SipMessageEditor.GetMaxOutputLength(source.Length, edits)];
            if (!SipMessageEditor.TryApply(source, edits, destination, out int written, out _))
            {
                return false;
            }

            byte[] output = destination[..written];

            // Expected bytes, built from the source: matching lines cut (a Set's line where the first
            // one was), an added line before the empty line, everything else copied.
            var reader = new SipMessageReader(source);
            byte[] line = [.. name, .. ": "u8, .. value, .. "\r\n"u8];
            var expected = new List<byte>();
            int copied = 0;
            bool placed = edit.Kind != SipHeaderEditKind.Set;
            if (edit.Kind != SipHeaderEditKind.Add)
            {
                foreach (SipHeaderField field in reader.Headers)
                {
                    if (!SipHeaderNames.Matches(field.Name, name))
                    {
                        continue;
                    }

                    expected.AddRange(source[copied..field.Offset]);
                    copied = field.Offset + field.Length;
                    if (!placed)
                    {
                        expected.AddRange(line);
                        placed = true;
                    }
                }
            }

            expected.AddRange(source[copied..reader.HeadersEnd]);
            if (!placed || edit.Kind == SipHeaderEditKind.Add)
            {
                expected.AddRange(line);
            }

            expected.AddRange(source[reader.HeadersEnd..]);
            if (!output.AsSpan().SequenceEqual(expected.ToArray()))
            {
                return false;
            }

            // Reading the output back: the edited header holds exactly what the edit says; every other header is as before.
            var after = new SipMessageReader(output);
            if (!after.IsComplete || !after.Body.SequenceEqual(reader.Body))
            {
                return false;
            }

            List<string> before = Lookup(source, edit.Name);
            List<string> now = Lookup(output, edit.Name);
            List<string> wanted = edit.Kind switch
            {
                SipHeaderEditKind.Set => [edit.Value],
                SipHeaderEditKind.Add => [.. before, edit.Value],
                _ => [],
            };
            return now.SequenceEqual(wanted)
                && NamePool.Where(n => !SipHeaderNames.Matches(n.AsSpan(), edit.Name.AsSpan())).All(n => Lookup(source, n).SequenceEqual(Lookup(output, n)));
        });

    private static Gen<string> HostileValues =>
        Gen.OneOf(
            from chars in Gen.ArrayOf(Gen.Elements("ab =;,:\r\n\0\t\u000b\u007f\u0085\u2028V".ToCharArray()))
            select new string(chars),
            from prefix in Words
            from separator in Gen.Elements("\r\n", "\n", "\r", "\0", "\r\n ", "\r\n\r\n")
            select prefix + separator + "Via: SIP/2.0/UDP evil.example.com;branch=z9hG4bKevil",
            ArbMap.Default.GeneratorFor<string>().Where(s => s is not null));

    [Property(MaxTest = 1000)]
    public Property No_generated_value_smuggles_a_header_through_the_editor() =>
        Prop.ForAll(HostileValues.ToArbitrary(), value =>
        {
            byte[] source = SipMessages.Bytes(SipMessages.Invite);
            byte[] valueBytes = Encoding.UTF8.GetBytes(value);
            scoped SipHeaderEditList edits = default;
            edits.Set("X-OTel-tracestate"u8, valueBytes);
            var destination = new byte[SipMessageEditor.GetMaxOutputLength(source.Length, edits)];
            bool ok = SipMessageEditor.TryApply(source, edits, destination, out int written, out SipEditError error);

            bool hasControl = value.Any(c => c < 0x20 && c != '\t') || value.Contains('\u007f', StringComparison.Ordinal);
            if (hasControl)
            {
                return !ok && error == SipEditError.InvalidHeaderValue && written == 0;
            }

            var before = new SipMessageReader(source);
            var after = new SipMessageReader(destination.AsSpan(0, written));
            return ok
                && after.IsComplete
                && after.HeaderCount == before.HeaderCount
                && after.CountHeaders("Via"u8) == 1
                && Lookup(destination[..written], "X-OTel-tracestate").SequenceEqual([value.Trim(' ', '\t')]);
        });

    [Property(MaxTest = 300)]
    public Property No_generated_value_smuggles_a_header_through_a_carrier() =>
        Prop.ForAll(HostileValues.ToArbitrary(), value =>
        {
            var wire = new SipWireMessage(SipMessages.Bytes(SipMessages.Invite));
            var collection = new SipHeaderCollection { { "Via", "SIP/2.0/UDP a" } };
            bool valid = SipMessageEditor.IsValidHeaderValue(value.AsSpan());
            foreach (ISipHeaderCarrier carrier in new ISipHeaderCarrier[] { wire, collection })
            {
                try
                {
                    carrier.Set("X-OTel-tracestate", value);
                    if (!valid)
                    {
                        return false;
                    }
                }
                catch (ArgumentException)
                {
                    if (valid)
                    {
                        return false;
                    }
                }

                if (carrier.GetValues("Via").Count != 1)
                {
                    return false;
                }
            }

            return wire.CreateReader().IsComplete;
        });
}
