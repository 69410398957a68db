using System.Xml.Linq;

namespace Rookery.Dav.Protocol;

/// <summary>One instruction of a PROPPATCH (RFC 4918 §9.2): set a property to an element's content, or remove it.</summary>
/// <param name="Value">The property element as sent (its children and attributes are the value); null for a removal.</param>
public sealed record PropertyUpdate(XName Name, XElement? Value)
{
    public bool IsRemoval => Value is null;
}

public static class ProppatchRequest
{
    /// <summary>
    /// The updates of a <c>propertyupdate</c> body in document order, which is the order they apply in (RFC 4918 §9.2);
    /// a body with none, or with anything but <c>set</c> and <c>remove</c> of <c>prop</c>, is 400.
    /// </summary>
    public static IReadOnlyList<PropertyUpdate> Parse(ReadOnlyMemory<byte> body, DavXmlLimits? limits = null)
    {
        var root = DavXml.Root(DavXml.Parse(body, limits), DavNames.Dav + "propertyupdate");
        var updates = new List<PropertyUpdate>();
        foreach (var instruction in root.Elements())
        {
            var remove = instruction.Name == DavNames.Dav + "remove";
            if (!remove && instruction.Name != DavNames.Dav + "set")
                throw new DavRequestException(400, $"A propertyupdate holds set and remove, not {instruction.Name.LocalName}");
            var props = instruction.Elements(DavNames.Dav + "prop").ToList();
            if (props.Count != 1)
                throw new DavRequestException(400, $"A {instruction.Name.LocalName} holds one prop");
            foreach (var property in props[0].Elements())
                updates.Add(new PropertyUpdate(property.Name, remove ? null : property));
        }
        return updates.Count > 0 ? updates : throw new DavRequestException(400, "A propertyupdate changes at least one property");
    }
}

/// <summary>What a REPORT asks (RFC 3253 §3.6), for the reports Rookery answers.</summary>
public abstract record ReportRequest(IReadOnlyList<XName> Properties)
{
    /// <summary>
    /// The report in a REPORT body: sync-collection (RFC 6578), calendar-multiget (RFC 4791 §7.9), addressbook-multiget
    /// (RFC 6352 §8.7), or the query reports, whose filters their own parsers read from <see cref="QueryReport.Body"/>.
    /// Another report is 403 with <c>supported-report</c> (RFC 3253 §3.6); a malformed one 400.
    /// </summary>
    public static ReportRequest Parse(ReadOnlyMemory<byte> body, DavXmlLimits? limits = null)
    {
        var root = DavXml.Parse(body, limits).Root ?? throw new DavRequestException(400, "A REPORT needs a body");
        var properties = NamedProperties(root);
        if (root.Name == DavNames.Dav + "sync-collection")
            return SyncCollectionReport.From(root, properties);
        if (root.Name == DavNames.CalDav + "calendar-multiget" || root.Name == DavNames.CardDav + "addressbook-multiget")
        {
            var hrefs = root.Elements(DavNames.Dav + "href").Select(h => h.Value.Trim()).Where(h => h.Length > 0).ToList();
            return hrefs.Count > 0 ? new MultigetReport(root.Name, properties, hrefs) : throw new DavRequestException(400, $"A {root.Name.LocalName} names at least one href");
        }
        if (root.Name == DavNames.CalDav + "calendar-query" || root.Name == DavNames.CardDav + "addressbook-query" || root.Name == DavNames.CalDav + "free-busy-query")
            return new QueryReport(root.Name, properties, root);
        throw new DavRequestException(403, $"The report {root.Name.LocalName} is not supported here", DavNames.Dav + "supported-report");
    }

    /// <summary>The properties a report's <c>prop</c> names; <c>allprop</c> or none means the resources' ETags only, which a client always wants.</summary>
    static List<XName> NamedProperties(XElement root) =>
        root.Element(DavNames.Dav + "prop") is { } prop ? [.. prop.Elements().Select(e => e.Name).Distinct()] : [DavNames.Dav + "getetag"];
}

/// <param name="Token">The client's sync-token; empty for the first sync.</param>
/// <param name="Infinite">sync-level infinity (which collections of calendars and address books, having no children, answer as 1).</param>
/// <param name="Limit">The nresults the client asked for, if any (RFC 6578 §3.7).</param>
public sealed record SyncCollectionReport(IReadOnlyList<XName> Properties, string Token, bool Infinite, int? Limit) : ReportRequest(Properties)
{
    internal static SyncCollectionReport From(XElement root, IReadOnlyList<XName> properties)
    {
        var token = root.Element(DavNames.Dav + "sync-token") is { } t ? t.Value.Trim() : throw new DavRequestException(400, "A sync-collection holds a sync-token, empty for the first sync");
        var level = root.Element(DavNames.Dav + "sync-level")?.Value.Trim();
        var infinite = level switch
        {
            "1" => false,
            "infinite" or "infinity" => true,
            _ => throw new DavRequestException(400, "A sync-collection's sync-level is 1 or infinite"),
        };
        int? limit = null;
        if (root.Element(DavNames.Dav + "limit")?.Element(DavNames.Dav + "nresults") is { } nresults)
            limit = int.TryParse(nresults.Value.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) && n > 0
                ? n : throw new DavRequestException(400, "nresults is a positive number");
        return new SyncCollectionReport(properties, token, infinite, limit);
    }
}

/// <param name="Report">calendar-multiget or addressbook-multiget.</param>
public sealed record MultigetReport(XName Report, IReadOnlyList<XName> Properties, IReadOnlyList<string> Hrefs) : ReportRequest(Properties);

/// <param name="Body">The whole report element: its filter is read by the calendar or address book query's own parser.</param>
public sealed record QueryReport(XName Report, IReadOnlyList<XName> Properties, XElement Body) : ReportRequest(Properties);
