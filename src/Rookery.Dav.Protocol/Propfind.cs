using System.Xml.Linq;

namespace Rookery.Dav.Protocol;

/// <summary>What a PROPFIND asks for (RFC 4918 §9.1, §14.20).</summary>
public enum PropfindKind
{
    /// <summary>The named properties (<c>prop</c>).</summary>
    Prop,

    /// <summary>Every live property the server defines for the resource and every dead one (<c>allprop</c>, or no body).</summary>
    AllProp,

    /// <summary>The names of every property, without values (<c>propname</c>).</summary>
    PropName,
}

/// <param name="Properties">With <see cref="PropfindKind.Prop"/>, the properties named; with allprop, those <c>include</c> adds.</param>
public sealed record PropfindRequest(PropfindKind Kind, IReadOnlyList<XName> Properties)
{
    /// <summary>
    /// The request in a PROPFIND body; an empty body is allprop (RFC 4918 §9.1). A body that is not a
    /// <c>propfind</c> with exactly one of <c>prop</c>, <c>allprop</c> or <c>propname</c> is 400.
    /// </summary>
    public static PropfindRequest Parse(ReadOnlyMemory<byte> body, DavXmlLimits? limits = null)
    {
        if (IsEmpty(body.Span))
            return new PropfindRequest(PropfindKind.AllProp, []);
        var root = DavXml.Root(DavXml.Parse(body, limits), DavNames.Dav + "propfind");
        var choices = root.Elements().Where(e => e.Name == DavNames.Dav + "prop" || e.Name == DavNames.Dav + "allprop" || e.Name == DavNames.Dav + "propname").ToList();
        if (choices.Count != 1)
            throw new DavRequestException(400, "A propfind holds exactly one of prop, allprop and propname");
        var choice = choices[0];
        if (choice.Name == DavNames.Dav + "prop")
            return new PropfindRequest(PropfindKind.Prop, Names(choice));
        if (choice.Name == DavNames.Dav + "propname")
            return new PropfindRequest(PropfindKind.PropName, []);
        var include = root.Element(DavNames.Dav + "include");
        return new PropfindRequest(PropfindKind.AllProp, include is null ? [] : Names(include));
    }

    static List<XName> Names(XElement parent) => [.. parent.Elements().Select(e => e.Name).Distinct()];

    static bool IsEmpty(ReadOnlySpan<byte> body)
    {
        foreach (var b in body)
        {
            if (b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'))
                return false;
        }
        return true;
    }
}

/// <summary>The Depth header (RFC 4918 §10.2).</summary>
public enum DavDepth
{
    Zero,
    One,
    Infinity,
}

public static class DepthHeader
{
    /// <summary>
    /// The Depth of a request: absent means <paramref name="absent"/> (infinity for PROPFIND, RFC 4918 §9.1);
    /// anything but 0, 1 or infinity is 400.
    /// </summary>
    public static DavDepth Parse(string? value, DavDepth absent = DavDepth.Infinity) => value?.Trim() switch
    {
        null or "" => absent,
        "0" => DavDepth.Zero,
        "1" => DavDepth.One,
        var v when string.Equals(v, "infinity", StringComparison.OrdinalIgnoreCase) => DavDepth.Infinity,
        _ => throw new DavRequestException(400, "Depth must be 0, 1 or infinity"),
    };

    /// <summary>
    /// PROPFIND with Depth infinity is refused with 403 and the <c>propfind-finite-depth</c> precondition (RFC 4918
    /// §9.1), as most servers do: walking a whole store in one answer is a denial of service waiting to happen.
    /// </summary>
    public static DavDepth ForPropfind(string? value) => Parse(value) is DavDepth.Infinity
        ? throw new DavRequestException(403, "PROPFIND with Depth: infinity is not served", DavNames.Dav + "propfind-finite-depth")
        : Parse(value);
}
