using System.Xml;
using System.Xml.Linq;

namespace Rookery.Dav.Protocol;

/// <summary>The XML namespaces of WebDAV and its extensions, with the prefixes Rookery writes them under.</summary>
public static class DavNames
{
    public static readonly XNamespace Dav = "DAV:";
    public static readonly XNamespace CalDav = "urn:ietf:params:xml:ns:caldav";
    public static readonly XNamespace CardDav = "urn:ietf:params:xml:ns:carddav";
    public static readonly XNamespace CalendarServer = "http://calendarserver.org/ns/";
    public static readonly XNamespace Apple = "http://apple.com/ns/ical/";

    /// <summary>Prefixes for the namespaces above, in the order they are declared on a response's root.</summary>
    public static readonly IReadOnlyList<(string Prefix, XNamespace Namespace)> Prefixes =
    [
        ("d", Dav), ("cal", CalDav), ("card", CardDav), ("cs", CalendarServer), ("ical", Apple),
    ];
}

/// <summary>A request the server refuses before acting on it: the HTTP status and, for WebDAV's preconditions, the DAV:error element's child.</summary>
public sealed class DavRequestException(int status, string message, XName? precondition = null) : Exception(message)
{
    public int Status { get; } = status;

    /// <summary>The precondition or postcondition element (RFC 4918 §16) the error body names, if any.</summary>
    public XName? Precondition { get; } = precondition;
}

/// <summary>How much XML a request body may hold.</summary>
public sealed record DavXmlLimits
{
    /// <summary>Characters in the whole document (a PROPPATCH or a calendar-multiget of thousands of hrefs stays far below).</summary>
    public long MaxCharacters { get; init; } = 10_000_000;

    /// <summary>Element nesting; WebDAV bodies are a few levels deep, a calendar-query filter a dozen.</summary>
    public int MaxDepth { get; init; } = 64;
}

/// <summary>
/// Reads a request body's XML defensively: no DTD (so no entity, internal or external, is ever expanded), no
/// external resource, bounded size and depth. Anything else is 400 Bad Request, as RFC 4918 §8.2 asks of a body
/// that is not well-formed; nothing is acted on before the whole body has been read this way.
/// </summary>
public static class DavXml
{
    public static XDocument Parse(ReadOnlyMemory<byte> body, DavXmlLimits? limits = null)
    {
        limits ??= new DavXmlLimits();
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersInDocument = limits.MaxCharacters,
            MaxCharactersFromEntities = 1024,
            IgnoreComments = true,
            IgnoreProcessingInstructions = true,
            CloseInput = true,
        };
        try
        {
            using var stream = new MemoryStream(body.ToArray(), writable: false);
            using var reader = XmlReader.Create(stream, settings);
            using var bounded = new DepthLimitedReader(reader, limits.MaxDepth);
            return XDocument.Load(bounded, LoadOptions.None);
        }
        catch (XmlException e)
        {
            throw new DavRequestException(400, "The request body is not well-formed XML: " + e.Message);
        }
    }

    /// <summary>The root element of a body, which must be <paramref name="expected"/>.</summary>
    public static XElement Root(XDocument document, XName expected) =>
        document.Root is { } root && root.Name == expected
            ? root
            : throw new DavRequestException(400, $"The request body's root element must be {expected.LocalName} in {expected.NamespaceName}");

    /// <summary>Passes an <see cref="XmlReader"/> through, refusing elements nested deeper than the limit.</summary>
    sealed class DepthLimitedReader(XmlReader inner, int maxDepth) : XmlReader
    {
        public override bool Read()
        {
            var read = inner.Read();
            if (read && inner.NodeType == XmlNodeType.Element && inner.Depth >= maxDepth)
                throw new XmlException($"elements are nested more than {maxDepth} deep");
            return read;
        }

        public override int AttributeCount => inner.AttributeCount;
        public override string BaseURI => inner.BaseURI;
        public override int Depth => inner.Depth;
        public override bool EOF => inner.EOF;
        public override bool IsEmptyElement => inner.IsEmptyElement;
        public override string LocalName => inner.LocalName;
        public override string NamespaceURI => inner.NamespaceURI;
        public override XmlNameTable NameTable => inner.NameTable;
        public override XmlNodeType NodeType => inner.NodeType;
        public override string Prefix => inner.Prefix;
        public override ReadState ReadState => inner.ReadState;
        public override string Value => inner.Value;
        public override string GetAttribute(int i) => inner.GetAttribute(i);
        public override string? GetAttribute(string name) => inner.GetAttribute(name);
        public override string? GetAttribute(string name, string? namespaceURI) => inner.GetAttribute(name, namespaceURI);
        public override string? LookupNamespace(string prefix) => inner.LookupNamespace(prefix);
        public override bool MoveToAttribute(string name) => inner.MoveToAttribute(name);
        public override bool MoveToAttribute(string name, string? ns) => inner.MoveToAttribute(name, ns);
        public override bool MoveToElement() => inner.MoveToElement();
        public override bool MoveToFirstAttribute() => inner.MoveToFirstAttribute();
        public override bool MoveToNextAttribute() => inner.MoveToNextAttribute();
        public override bool ReadAttributeValue() => inner.ReadAttributeValue();
        public override void ResolveEntity() => inner.ResolveEntity();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
                inner.Dispose();
            base.Dispose(disposing);
        }
    }
}
