using Rookery.Store;

namespace Rookery.Imap.Mime;

/// <summary>The description IMAP FETCH answers ENVELOPE, BODY and BODYSTRUCTURE from (see <see cref="MessageStructure.Describe"/>).</summary>
public sealed class ImapStructureDescriber : IStructureDescriber
{
    public byte[]? Describe(ReadOnlyMemory<byte> message) => MessageStructure.Describe(message);
}
