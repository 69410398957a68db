namespace Rookery.Mime;

/// <summary>What the MIME parser made of a part: it decides how the part's body was split.</summary>
public enum PartKind
{
    /// <summary>A leaf that is not text: its body is opaque.</summary>
    Basic,

    /// <summary>A text/* leaf (or a part without Content-Type): BODYSTRUCTURE gives its line count.</summary>
    Text,

    /// <summary>multipart/*: the body holds child parts between boundaries.</summary>
    Multipart,

    /// <summary>message/rfc822 (and message/global for IMAP4rev2): the body is one whole message, the only child.</summary>
    Message,
}

/// <summary>One part of a message: where its header and body lie in the raw octets, and its parsed fields.</summary>
public sealed class BodyPart(int offset)
{
    /// <summary>Offset of the part's header in the raw message (for the root, 0).</summary>
    public int Offset { get; } = offset;

    /// <summary>Octets of the header, the blank line that ends it included.</summary>
    public int HeaderLength { get; set; }

    /// <summary>Octets of the body; a body before a boundary excludes the line break that precedes the boundary.</summary>
    public int BodyLength { get; set; }

    public int BodyOffset => Offset + HeaderLength;

    public int End => BodyOffset + BodyLength;

    public PartKind Kind { get; set; } = PartKind.Text;

    /// <summary>
    /// Set when the parser's nesting or part-count limits stopped it from looking inside a multipart or a
    /// message/rfc822 part, or a message/global part was transfer-encoded (IMAP4rev2); BODYSTRUCTURE then
    /// calls the part application/octet-stream rather than lie.
    /// </summary>
    public bool Truncated { get; set; }

    public ContentFields Content { get; set; } = ContentFields.None;

    /// <summary>Parts of a multipart, or the one message of a message/rfc822 part.</summary>
    public List<BodyPart> Children { get; } = [];

    /// <summary>The envelope of a message (the root, or the child of a message/rfc822 part), read when first asked for.</summary>
    public Envelope? Envelope { get; set; }

    /// <summary>Lines of the body, when the part comes from a stored description rather than from the octets.</summary>
    public long? Lines { get; set; }
}
