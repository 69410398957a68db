namespace Rookery.Mime;

/// <summary>
/// One address of an ENVELOPE address list (RFC 9051 §7.5.2): display name, source route, mailbox, host.
/// A group starts with (NIL NIL "group-name" NIL) and ends with (NIL NIL NIL NIL).
/// </summary>
public sealed record EnvelopeAddress(byte[]? Name, byte[]? Route, byte[]? Mailbox, byte[]? Host);

/// <summary>
/// Parses an address-list header value (RFC 5322 §3.4, with the obsolete forms of §4.4) into ENVELOPE
/// addresses. Malformed input still yields addresses: what cannot be found is filled in with
/// MISSING_MAILBOX, MISSING_DOMAIN, INVALID_ROUTE or SYNTAX_ERROR, as Dovecot does, so a client shows
/// the same thing whichever server it asks.
/// </summary>
public ref struct AddressListParser
{
    static readonly byte[] MissingMailbox = "MISSING_MAILBOX"u8.ToArray();
    static readonly byte[] MissingDomain = "MISSING_DOMAIN"u8.ToArray();
    static readonly byte[] InvalidRoute = "INVALID_ROUTE"u8.ToArray();
    static readonly byte[] SyntaxError = "SYNTAX_ERROR"u8.ToArray();

    Rfc822Reader reader;
    readonly List<EnvelopeAddress> addresses;
    readonly OctetBuilder text = new();
    readonly OctetBuilder comment = new();

    // The address being built.
    byte[]? name;
    byte[]? route;
    byte[]? mailbox;
    byte[]? host;

    AddressListParser(ReadOnlySpan<byte> value, List<EnvelopeAddress> output)
    {
        reader = new Rfc822Reader(value) { LastComment = comment };
        addresses = output;
    }

    /// <summary>Appends the addresses of <paramref name="value"/> to <paramref name="output"/> (several To fields add up).</summary>
    public static void Parse(ReadOnlySpan<byte> value, List<EnvelopeAddress> output)
    {
        var parser = new AddressListParser(value, output);
        if (parser.reader.SkipCfws() == Scan.More)
            parser.ParseAddressList();
    }

    void ParseAddressList()
    {
        while (ParseAddress() != Scan.End)
        {
            if (reader.AtEnd || reader.Current != (byte)',')
                return;
            reader.Advance();
            var scan = reader.SkipCfws();
            if (scan == Scan.Invalid)
                AddFilledIn(); // ends in an unterminated comment: one address that is all MISSING_*
            if (scan != Scan.More)
                return;
        }
    }

    Scan ParseAddress()
    {
        var start = reader.Position;
        var scan = ParseGroup();
        if (scan != Scan.Invalid)
            return scan;
        reader.Position = start;
        return ParseMailbox();
    }

    /// <summary>group = display-name ":" [mailbox-list / CFWS] ";" [CFWS]; Invalid only when it is not a group at all.</summary>
    Scan ParseGroup()
    {
        text.Clear();
        if (reader.ReadPhrase(text) != Scan.More || reader.Current != (byte)':')
            return Scan.Invalid;
        reader.Advance();
        var scan = reader.SkipCfws();
        mailbox = text.ToArray();
        Add(); // the group's start

        if (scan == Scan.More && reader.Current != (byte)';')
        {
            while (true)
            {
                ParseMailbox(); // a broken mailbox does not end the group
                if (reader.AtEnd || reader.Current != (byte)',')
                    break;
                reader.Advance();
                if (reader.SkipCfws() != Scan.More)
                {
                    scan = Scan.Invalid;
                    break;
                }
            }
        }
        if (scan != Scan.Invalid)
        {
            if (reader.AtEnd || reader.Current != (byte)';')
                scan = Scan.Invalid;
            else
            {
                reader.Advance();
                scan = reader.SkipCfws();
            }
        }
        Add(); // the group's end
        return scan == Scan.End ? Scan.End : Scan.More;
    }

    /// <summary>mailbox = name-addr / addr-spec; always adds one address.</summary>
    Scan ParseMailbox()
    {
        var start = reader.Position;
        var scan = ParseNameAddress();
        if (scan == Scan.Invalid)
        {
            reader.Position = start;
            scan = ParseAddressSpec(out var doubtful);
            if (doubtful && name is null && mailbox is not null && host is null)
            {
                // "user@" and the like: what was read is more likely a name than a mailbox.
                name = mailbox;
                mailbox = null;
            }
        }
        AddFilledIn();
        return scan;
    }

    /// <summary>name-addr = [display-name] angle-addr; Invalid when there is no "&lt;" after the phrase.</summary>
    Scan ParseNameAddress()
    {
        text.Clear();
        if (reader.ReadPhrase(text) != Scan.More || reader.Current != (byte)'<')
            return Scan.Invalid;
        name = text.Length > 0 ? text.ToArray() : null;
        if (ParseAngleAddress() == Scan.Invalid)
            host = SyntaxError;
        return reader.AtEnd ? Scan.End : Scan.More;
    }

    /// <summary>angle-addr = "&lt;" [obs-route] addr-spec "&gt;"; "&lt;&gt;" is read as an empty address.</summary>
    Scan ParseAngleAddress()
    {
        reader.Advance(); // '<'
        if (reader.SkipCfws() != Scan.More)
            return Scan.Invalid;
        if (reader.Current == (byte)'@')
        {
            if (ParseRoute() == Scan.More && reader.Current == (byte)':')
                reader.Advance();
            else
            {
                route = InvalidRoute;
                if (reader.AtEnd)
                    return Scan.Invalid;
            }
            if (reader.SkipCfws() != Scan.More)
                return Scan.Invalid;
        }
        if (reader.Current != (byte)'>')
        {
            if (ParseLocalPart() != Scan.More)
                return Scan.Invalid;
            if (reader.Current == (byte)'@' && ParseDomain() != Scan.More)
                return Scan.Invalid;
        }
        if (reader.Current != (byte)'>')
            return Scan.Invalid;
        reader.Advance();
        return reader.SkipCfws();
    }

    /// <summary>obs-domain-list = "@" domain *(*(CFWS / ",") [CFWS] "@" domain), kept as "@a,@b".</summary>
    Scan ParseRoute()
    {
        text.Clear();
        while (true)
        {
            if (reader.AtEnd)
                return Scan.End;
            if (reader.Current != (byte)'@')
                break;
            if (text.Length > 0)
                text.Append((byte)',');
            text.Append((byte)'@');
            var scan = reader.ReadDomain(text);
            if (scan != Scan.More)
                return scan;
            while (reader.SkipCfws() == Scan.More && reader.Current == (byte)',')
                reader.Advance();
        }
        route = text.ToArray();
        return Scan.More;
    }

    /// <summary>
    /// addr-spec = local-part "@" domain, with a trailing comment as the display name. <paramref name="doubtful"/>
    /// says the local part did not read as one, or no domain followed (a bad domain alone is not doubtful).
    /// </summary>
    Scan ParseAddressSpec(out bool doubtful)
    {
        comment.Clear();
        var quotedLocalPart = reader.Current == (byte)'"';
        var scan = ParseLocalPart();
        doubtful = scan != Scan.More;
        var domainScan = (Scan?)null;
        if (scan != Scan.End && reader.Current == (byte)'@')
        {
            domainScan = ParseDomain();
            if (domainScan != Scan.More)
                scan = domainScan.Value;
        }

        if (comment.Length > 0)
            name = comment.ToArray();
        else if (domainScan is null)
        {
            // No "@domain" and no (comment). A lone word is a mailbox without a domain; more words make the
            // whole a display name without an address.
            text.Append((byte)' ');
            var length = text.Length;
            reader.ReadPhrase(text);
            if (text.Length != length)
            {
                mailbox = null;
                name = text.ToArray();
            }
            else if (!quotedLocalPart)
                host = [];
            doubtful = true;
            scan = Scan.Invalid;
        }
        return scan;
    }

    Scan ParseLocalPart()
    {
        text.Clear();
        var scan = reader.Current == (byte)'"' ? reader.ReadQuotedString(text) : reader.ReadLooseDotAtom(text);
        if (scan == Scan.Invalid)
            return Scan.Invalid;
        mailbox = text.ToArray();
        return scan;
    }

    Scan ParseDomain()
    {
        text.Clear();
        var scan = reader.ReadDomain(text);
        if (scan != Scan.Invalid)
            host = text.ToArray();
        return scan;
    }

    /// <summary>Adds the address with a missing mailbox or domain filled in; an address always has both.</summary>
    void AddFilledIn()
    {
        if (mailbox is null)
            mailbox = MissingMailbox;
        if (host is null || host.Length == 0)
            host = MissingDomain;
        Add();
    }

    void Add()
    {
        addresses.Add(new EnvelopeAddress(name, route, mailbox, host));
        name = route = mailbox = host = null;
    }
}
