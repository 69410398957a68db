using Rookery.Mime;
using Rookery.Store;

namespace Rookery.Dagent;

/// <summary>Describes a delivered message's structure once, with Rookery.Mime: the description IMAP FETCH answers ENVELOPE and BODYSTRUCTURE from.</summary>
public sealed class MimeStructureDescriber : IStructureDescriber
{
    public byte[]? Describe(ReadOnlyMemory<byte> message) => MessageStructure.Describe(message);
}
