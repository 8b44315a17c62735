using System.Text;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using SipTraceContext.Sip.Ims;
using SipTraceContext.Sip.Syntax;

namespace SipTraceContext.Sip.Tests.Ims;

/// <summary>
/// FsCheck properties of the IMS header parsers: quoting a token value or reordering parameters does
/// not change what is found; identity lists yield the model's first URI of each scheme; no input
/// throws or yields a span outside itself.
/// </summary>
public sealed class ImsHeaderProperties
{
    private const string TokenAlphabet = "abcXYZ019-.!%*_+`'~";

    private static string Text(ReadOnlySpan<byte> bytes) => Encoding.UTF8.GetString(bytes);

    private static Gen<string> Tokens =>
        from length in Gen.Choose(1, 24)
        from chars in Gen.ArrayOf(Gen.Elements(TokenAlphabet.ToCharArray()), length)
        select new string(chars);

    private sealed record Vector(string Icid, string? OrigIoi, string? TermIoi, string? GeneratedAt, string[] Others);

    private static Gen<Vector> Vectors =>
        from icid in Tokens
        from orig in Gen.OneOf(Gen.Constant<string?>(null), Tokens.Select(t => (string?)t))
        from term in Gen.OneOf(Gen.Constant<string?>(null), Tokens.Select(t => (string?)t))
        from at in Gen.OneOf(Gen.Constant<string?>(null), Gen.Elements<string?>("192.0.2.8", "[2001:db8::1]", "pcscf1.home1.net"))
        from others in Gen.SubListOf(new[] { "transit-ioi=op-a", "related-icid=\"x y\"", "loopback", "fe-addr=pcscf.home1.net" })
        select new Vector(icid, orig, term, at, [.. others]);

    private static string Render(Vector v, bool quoteIcid, bool quoteIoi, int[] order, string space)
    {
        var parameters = new List<string>
        {
            "icid-value" + space + "=" + space + (quoteIcid ? $"\"{v.Icid}\"" : v.Icid),
        };
        if (v.OrigIoi is not null)
        {
            parameters.Add("orig-ioi=" + (quoteIoi ? $"\"{v.OrigIoi}\"" : v.OrigIoi));
        }

        if (v.TermIoi is not null)
        {
            parameters.Add("Term-IOI=" + (quoteIoi ? $"\"{v.TermIoi}\"" : v.TermIoi));
        }

        if (v.GeneratedAt is not null)
        {
            parameters.Add("icid-generated-at=" + v.GeneratedAt);
        }

        parameters.AddRange(v.Others);
        return string.Join(space + ";" + space, parameters.Select((p, i) => (p, k: order[i % order.Length] * 100 + i)).OrderBy(x => x.k).Select(x => x.p));
    }

    [Property(MaxTest = 300)]
    public Property Quoting_and_parameter_order_do_not_change_the_charging_vector() =>
        Prop.ForAll(
            Vectors.ToArbitrary(),
            Gen.ArrayOf(Gen.Choose(0, 9), 8).ToArbitrary(),
            Gen.Elements("", " ", "\t").ToArbitrary(),
            (v, order, space) =>
            {
                string token = Render(v, quoteIcid: false, quoteIoi: false, [0], "");
                string quoted = Render(v, quoteIcid: true, quoteIoi: true, order, space);
                if (!PChargingVector.TryParse(Encoding.ASCII.GetBytes(token), out PChargingVector a) ||
                    !PChargingVector.TryParse(Encoding.ASCII.GetBytes(quoted), out PChargingVector b))
                {
                    return false;
                }

                return Text(a.IcidValue) == v.Icid && Text(b.IcidValue) == v.Icid &&
                    Text(a.OrigIoi) == (v.OrigIoi ?? "") && Text(b.OrigIoi) == (v.OrigIoi ?? "") &&
                    Text(a.TermIoi) == (v.TermIoi ?? "") && Text(b.TermIoi) == (v.TermIoi ?? "") &&
                    Text(a.IcidGeneratedAt) == (v.GeneratedAt ?? "") && Text(b.IcidGeneratedAt) == (v.GeneratedAt ?? "");
            });

    [Property(MaxTest = 300)]
    public Property The_lenient_icid_is_the_strict_one_wherever_the_strict_mode_accepts() =>
        Prop.ForAll(
            Vectors.ToArbitrary(),
            Gen.ArrayOf(Gen.Choose(0, 9), 8).ToArbitrary(),
            Gen.Elements(("", false), (" ", true), ("\t", false), ("", true)).ToArbitrary(),
            (v, order, layout) =>
            {
                (string space, bool quote) = layout;
                byte[] value = Encoding.ASCII.GetBytes(Render(v, quoteIcid: quote, quoteIoi: !quote, order, space));
                return PChargingVector.TryParse(value, out PChargingVector strict)
                    && Text(SipValueScanner.FindChargingId(value)) == Text(strict.IcidValue);
            });

    private sealed record Identity(string Uri, string? Display, bool Angle, string Parameters);

    private static Gen<Identity> Identities =>
        from kind in Gen.Choose(0, 4)
        from user in Tokens
        from digits in Gen.Choose(1000000, 9999999)
        from uri in Gen.Constant(kind switch
        {
            0 => $"sip:{user}@ims.example.net",
            1 => $"sip:+1555{digits}@ims.example.net;user=phone",
            2 => $"sips:{user}@example.com",
            3 => $"tel:+1555{digits}",
            _ => "urn:service:sos",
        })
        from display in Gen.Elements<string?>(null, "Alice", "\"Alice, Smith\"", "\"<quoted>\"")
        from angle in Gen.Elements(true, false)
        from parameters in Gen.Elements("", ";tag=1", ";x=\"a,b\"")
        select new Identity(uri, display, angle || display is not null || uri.Contains(';', StringComparison.Ordinal), parameters);

    private static Gen<Identity[]> IdentityLists =>
        from count in Gen.Choose(1, 4)
        from ids in Gen.ArrayOf(Identities, count)
        select ids;

    private static string Render(Identity id) =>
        id.Angle ? $"{(id.Display is null ? "" : id.Display + " ")}<{id.Uri}>{id.Parameters}" : id.Uri + id.Parameters;

    [Property(MaxTest = 300)]
    public Property Identity_lists_yield_the_model_s_first_uri_of_each_scheme() =>
        Prop.ForAll(IdentityLists.ToArbitrary(), Gen.Elements(",", ", ", " ,\t").ToArbitrary(), (ids, comma) =>
        {
            byte[] value = Encoding.ASCII.GetBytes(string.Join(comma, ids.Select(Render)));
            string? firstAny = ids.FirstOrDefault(i => !i.Uri.StartsWith("urn:", StringComparison.Ordinal))?.Uri;
            string? firstSip = ids.FirstOrDefault(i => i.Uri.StartsWith("sip", StringComparison.Ordinal))?.Uri;
            string? firstTel = ids.FirstOrDefault(i => i.Uri.StartsWith("tel:", StringComparison.Ordinal))?.Uri;
            string? any = SipIdentityList.TryGetFirstUri(value, out ReadOnlySpan<byte> u1) ? Text(u1) : null;
            string? sip = SipIdentityList.TryGetSipUri(value, out ReadOnlySpan<byte> u2) ? Text(u2) : null;
            string? tel = SipIdentityList.TryGetTelUri(value, out ReadOnlySpan<byte> u3) ? Text(u3) : null;
            return any == firstAny && sip == firstSip && tel == firstTel;
        });

    [Property(MaxTest = 300)]
    public Property User_part_of_a_sip_uri_is_what_precedes_the_at_sign() =>
        Prop.ForAll(Tokens.ToArbitrary(), Gen.Elements("sip", "SIPS", "Sip").ToArbitrary(), Gen.Elements("", ";user=phone", ":5060;transport=tcp").ToArbitrary(), (user, scheme, tail) =>
        {
            byte[] uri = Encoding.ASCII.GetBytes($"{scheme}:{user}@host.example{tail}");
            return SipUri.TryGetUserPart(uri, out int offset, out int length) && offset == scheme.Length + 1 && length == user.Length;
        });

    private static Gen<byte[]> HostileValues =>
        Gen.OneOf(
            ArbMap.Default.GeneratorFor<byte[]>().Where(b => b is not null),
            from chars in Gen.ArrayOf(Gen.Elements("\"\\<>;,=:@ \t\r\nabsip:tel+019\u0000\u00ff".ToCharArray()))
            select Encoding.Latin1.GetBytes(chars),
            from ids in Gen.ArrayOf(Identities, 3)
            from cut in Gen.Choose(0, 200)
            let text = Encoding.ASCII.GetBytes(string.Join(",", ids.Select(Render)))
            select text[..Math.Min(cut, text.Length)],
            from v in Vectors
            from cut in Gen.Choose(0, 200)
            let text = Encoding.ASCII.GetBytes(Render(v, true, false, [1, 0, 2], " "))
            select text[..Math.Min(cut, text.Length)]);

    private static bool Inside(ReadOnlySpan<byte> input, ReadOnlySpan<byte> span) =>
        span.IsEmpty || (input.Overlaps(span, out int offset) && offset >= 0 && offset + span.Length <= input.Length);

    [Property(MaxTest = 1000)]
    public Property Arbitrary_values_never_throw_and_spans_stay_inside_the_input() =>
        Prop.ForAll(HostileValues.ToArbitrary(), bytes =>
        {
            ReadOnlySpan<byte> input = bytes;
            bool ok = true;
            if (PChargingVector.TryParse(input, out PChargingVector v))
            {
                ok &= Inside(input, v.IcidValue) && Inside(input, v.OrigIoi) && Inside(input, v.TermIoi) && Inside(input, v.IcidGeneratedAt) && !v.IcidValue.IsEmpty;
            }

            if (PAccessNetworkInfo.TryParse(input, out PAccessNetworkInfo a))
            {
                ok &= Inside(input, a.AccessType) && Inside(input, a.Parameters) && (!a.TryGetCellId(out ReadOnlySpan<byte> cell) || Inside(input, cell));
            }

            if (PAccessNetworkInfo.TryParseNetworkProvided(input, out PAccessNetworkInfo n))
            {
                ok &= n.IsNetworkProvided && Inside(input, n.AccessType);
            }

            foreach (ReadOnlySpan<byte> element in new SipValueList(input))
            {
                ok &= Inside(input, element);
                if (SipNameAddress.TryParse(element, out SipNameAddress address))
                {
                    ok &= Inside(input, address.Uri) && Inside(input, address.DisplayName) && Inside(input, address.Parameters) && !address.Uri.IsEmpty;
                    if (SipUri.TryGetUserPart(address.Uri, out ReadOnlySpan<byte> user))
                    {
                        ok &= Inside(address.Uri, user) && !user.IsEmpty;
                    }
                }
            }

            ok &= !SipIdentityList.TryGetFirstUri(input, out ReadOnlySpan<byte> uri) || (Inside(input, uri) && SipUri.GetScheme(uri) != SipUriScheme.Unknown);
            if (SipSessionId.TryParse(input, out SipSessionId id))
            {
                ok &= Inside(input, id.LocalUuid) && id.LocalUuid.Length == 32 && Inside(input, id.RemoteUuid);
            }

            return ok;
        });
}
