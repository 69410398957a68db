namespace Rookery.Store;

/// <summary>
/// Describes a message's structure once, at ingest, in a protocol's own compact form (IMAP's ENVELOPE and
/// BODYSTRUCTURE), so the store keeps it with the content and reads never parse the message for it.
/// </summary>
public interface IStructureDescriber
{
    /// <summary>The description of the shared content (without trace headers); null when there is none to give.</summary>
    byte[]? Describe(ReadOnlyMemory<byte> message);
}
