namespace Rookery.Blobs;

/// <summary>
/// Where blob objects live: files under attachment_path today (<see cref="FileBlobStore"/>), an S3-compatible object
/// store later. A backend keeps opaque objects by name and knows nothing of what is in them: content addressing
/// (identical content stored once), compression and the choice of names are <see cref="ContentAddressedStore"/>'s,
/// above it; references and collection are the store's, above that. An object is written under a staging name
/// first and placed under its own name, durably, by the transaction that references it.
/// </summary>
public interface IBlobBackend
{
    /// <summary>Where the objects are, for the banner and the log (a directory, a bucket).</summary>
    string Location { get; }

    /// <summary>A new staging object to write into; <paramref name="stagingName"/> names it for the calls below.</summary>
    Stream CreateStaging(out string stagingName);

    /// <summary>Reads back a staging object that is not placed yet.</summary>
    Stream OpenStaging(string stagingName);

    /// <summary>Makes the staging object durable under <paramref name="name"/> (replacing what is there) and forgets the staging name.</summary>
    void Place(string stagingName, string name);

    /// <summary>Removes a staging object that will not be placed.</summary>
    void DiscardStaging(string stagingName);

    bool Exists(string name);

    /// <summary>The object, or null when there is none.</summary>
    Stream? TryOpenRead(string name);

    /// <summary>Removes the object if there is one.</summary>
    void Delete(string name);

    /// <summary>When the object was written; <see cref="DateTimeOffset.MinValue"/> when there is none.</summary>
    DateTimeOffset LastWriteTime(string name);

    /// <summary>The names of every placed object.</summary>
    IEnumerable<string> EnumerateNames();

    /// <summary>Removes staging objects older than <paramref name="age"/> left by interrupted writes.</summary>
    int RemoveStaleStaging(TimeSpan age, DateTimeOffset now);
}
