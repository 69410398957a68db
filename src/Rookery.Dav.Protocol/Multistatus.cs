using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace Rookery.Dav.Protocol;

/// <summary>One property of a resource in a multistatus answer: its value (element content), or a status for a property it has not.</summary>
public sealed record DavProperty(XName Name, object? Value = null, int Status = 200)
{
    public static DavProperty NotFound(XName name) => new(name, null, 404);
}

/// <summary>One <c>response</c> of a multistatus: a resource's href and its properties, grouped into propstats by status.</summary>
public sealed record DavResponse(string Href, IReadOnlyList<DavProperty> Properties)
{
    /// <summary>A response with a status and no properties (a member that went away, in sync-collection).</summary>
    public int? Status { get; init; }
}

/// <summary>Writes a 207 Multi-Status body (RFC 4918 §13, §14.16).</summary>
public static class Multistatus
{
    /// <param name="syncToken">The sync-token of a sync-collection answer (RFC 6578 §6.4).</param>
    public static byte[] Write(IEnumerable<DavResponse> responses, string? syncToken = null)
    {
        var d = DavNames.Dav;
        var root = new XElement(d + "multistatus", DavNames.Prefixes.Select(p => new XAttribute(XNamespace.Xmlns + p.Prefix, p.Namespace.NamespaceName)));
        foreach (var response in responses)
        {
            var element = new XElement(d + "response", new XElement(d + "href", response.Href));
            if (response.Status is { } status)
                element.Add(new XElement(d + "status", StatusLine(status)));
            foreach (var group in response.Properties.GroupBy(p => p.Status).OrderBy(g => g.Key))
            {
                element.Add(new XElement(d + "propstat",
                    new XElement(d + "prop", group.Select(p => new XElement(p.Name, p.Value))),
                    new XElement(d + "status", StatusLine(group.Key))));
            }
            root.Add(element);
        }
        if (syncToken is not null)
            root.Add(new XElement(d + "sync-token", syncToken));
        return Serialize(new XDocument(new XDeclaration("1.0", "utf-8", null), root));
    }

    /// <summary>The body of an error with a precondition element (RFC 4918 §16): <c>&lt;d:error&gt;&lt;d:…/&gt;&lt;/d:error&gt;</c>.</summary>
    public static byte[] Error(XName precondition) =>
        Serialize(new XDocument(new XDeclaration("1.0", "utf-8", null),
            new XElement(DavNames.Dav + "error", DavNames.Prefixes.Select(p => new XAttribute(XNamespace.Xmlns + p.Prefix, p.Namespace.NamespaceName)),
                new XElement(precondition))));

    public static string StatusLine(int status) => status switch
    {
        200 => "HTTP/1.1 200 OK",
        403 => "HTTP/1.1 403 Forbidden",
        404 => "HTTP/1.1 404 Not Found",
        409 => "HTTP/1.1 409 Conflict",
        424 => "HTTP/1.1 424 Failed Dependency",
        507 => "HTTP/1.1 507 Insufficient Storage",
        _ => $"HTTP/1.1 {status} Status {status}",
    };

    static byte[] Serialize(XDocument document)
    {
        using var buffer = new MemoryStream();
        using (var writer = XmlWriter.Create(buffer, new XmlWriterSettings { Encoding = new UTF8Encoding(false), Indent = false }))
            document.Save(writer);
        return buffer.ToArray();
    }
}
