using LinqToDB.Mapping;

namespace Rookery.Store.Sql;

// linq2db mappings of the tables created in Migrations. Times are Unix milliseconds.

[Table("stores")]
sealed class StoreRow
{
    [Column("id"), PrimaryKey, Identity] public long Id { get; set; }
    [Column("kind")] public int Kind { get; set; }
    [Column("owner")] public string Owner { get; set; } = "";
    [Column("locale")] public string Locale { get; set; } = "";
    [Column("modseq")] public long ModSeq { get; set; }
    [Column("size")] public long Size { get; set; }
    /// <summary>The last UIDVALIDITY given to a folder of this store; new folders get a larger one, so none is ever reused.</summary>
    [Column("last_uid_validity")] public long LastUidValidity { get; set; }
    [Column("created_at")] public long CreatedAt { get; set; }
    /// <summary>Every change-log row at or below this modseq may have been pruned (changelog_retention).</summary>
    [Column("changes_horizon")] public long ChangesHorizon { get; set; }
    /// <summary>The set of default folders the store has (<see cref="DefaultFolders.Version"/>).</summary>
    [Column("defaults_version")] public int DefaultsVersion { get; set; } = 1;

    public StoreInfo ToInfo() => new(Id, (StoreKind)Kind, Owner, Locale, ModSeq, Size);
}

[Table("folders")]
sealed class FolderRow
{
    [Column("id"), PrimaryKey, Identity] public long Id { get; set; }
    [Column("store_id")] public long StoreId { get; set; }
    [Column("parent_id")] public long ParentId { get; set; }
    [Column("name")] public string Name { get; set; } = "";
    [Column("name_key")] public string NameKey { get; set; } = "";
    [Column("container_class")] public int ContainerClass { get; set; }
    [Column("special_use")] public int SpecialUse { get; set; }
    [Column("uid_validity")] public long UidValidity { get; set; }
    [Column("uid_next")] public long UidNext { get; set; }
    [Column("modseq")] public long ModSeq { get; set; }
    [Column("message_count")] public long MessageCount { get; set; }
    [Column("size")] public long Size { get; set; }
    [Column("created_at")] public long CreatedAt { get; set; }
    [Column("recent_uid")] public long RecentUid { get; set; }
}

[Table("items")]
sealed class ItemRow
{
    [Column("id"), PrimaryKey, Identity] public long Id { get; set; }
    [Column("store_id")] public long StoreId { get; set; }
    [Column("folder_id")] public long FolderId { get; set; }
    [Column("uid")] public long Uid { get; set; }
    [Column("modseq")] public long ModSeq { get; set; }
    [Column("blob_id")] public string BlobId { get; set; } = "";
    [Column("size")] public long Size { get; set; }
    [Column("flags")] public int Flags { get; set; }
    [Column("keywords")] public string Keywords { get; set; } = "";
    [Column("received_at")] public long ReceivedAt { get; set; }
    [Column("sent_at")] public long? SentAt { get; set; }
    [Column("subject")] public string Subject { get; set; } = "";
    [Column("from_addr")] public string From { get; set; } = "";
    [Column("to_addr")] public string To { get; set; } = "";
    [Column("cc_addr")] public string Cc { get; set; } = "";
    [Column("message_id")] public string MessageId { get; set; } = "";
    [Column("trace_headers")] public byte[]? TraceHeaders { get; set; }
    /// <summary>The Date header's zone in minutes east of UTC, so SENTON and friends compare the date as written.</summary>
    [Column("sent_offset")] public int? SentOffset { get; set; }
    [Column("kind")] public int Kind { get; set; } = (int)ItemKind.Mail;
    /// <summary>Null: the kind's default (<see cref="Items.DefaultContentType"/>).</summary>
    [Column("content_type")] public string? ContentType { get; set; }
    /// <summary>Null: generated from the id (<see cref="Items.GeneratedName"/>), as for all mail.</summary>
    [Column("resource_name")] public string? ResourceName { get; set; }
    /// <summary>The modseq at which the item came into its folder: a folder's reader tells new items from changed ones by it.</summary>
    [Column("arrived_modseq")] public long ArrivedModSeq { get; set; }
}

[Table("blobs")]
sealed class BlobRow
{
    [Column("id"), PrimaryKey] public string Id { get; set; } = "";
    [Column("size")] public long Size { get; set; }
    [Column("storage")] public int Storage { get; set; }
    [Column("refcount")] public long RefCount { get; set; }
    [Column("zero_since")] public long? ZeroSince { get; set; }
    [Column("created_at")] public long CreatedAt { get; set; }
}

[Table("blob_data")]
sealed class BlobDataRow
{
    [Column("id"), PrimaryKey] public string Id { get; set; } = "";
    [Column("data")] public byte[] Data { get; set; } = [];
}

[Table("companies")]
sealed class CompanyRow
{
    [Column("id"), PrimaryKey, Identity] public long Id { get; set; }
    [Column("name")] public string Name { get; set; } = "";
    [Column("name_key")] public string NameKey { get; set; } = "";
    [Column("created_at")] public long CreatedAt { get; set; }
}

[Table("users")]
sealed class UserRow
{
    [Column("id"), PrimaryKey, Identity] public long Id { get; set; }
    [Column("login")] public string Login { get; set; } = "";
    [Column("login_key")] public string LoginKey { get; set; } = "";
    [Column("source")] public string Source { get; set; } = "";
    [Column("company_id")] public long CompanyId { get; set; }
    [Column("email")] public string Email { get; set; } = "";
    /// <summary>The address folded to lower case in .NET, so lookups use the index and agree on every engine.</summary>
    [Column("email_key")] public string EmailKey { get; set; } = "";
    [Column("fullname")] public string FullName { get; set; } = "";
    [Column("password_hash")] public string PasswordHash { get; set; } = "";
    [Column("is_admin")] public bool IsAdmin { get; set; }
    [Column("active")] public bool Active { get; set; }
    [Column("hidden")] public bool Hidden { get; set; }
    [Column("quota_override")] public bool QuotaOverride { get; set; }
    [Column("quota_warn")] public long QuotaWarn { get; set; }
    [Column("quota_soft")] public long QuotaSoft { get; set; }
    [Column("quota_hard")] public long QuotaHard { get; set; }
    [Column("enabled_features")] public string EnabledFeatures { get; set; } = "";
    [Column("disabled_features")] public string DisabledFeatures { get; set; } = "";
    [Column("created_at")] public long CreatedAt { get; set; }
}

[Table("user_aliases")]
sealed class AliasRow
{
    [Column("address_key"), PrimaryKey] public string AddressKey { get; set; } = "";
    [Column("address")] public string Address { get; set; } = "";
    [Column("user_id")] public long UserId { get; set; }
}

[Table("send_as")]
sealed class SendAsRow
{
    [Column("user_id"), PrimaryKey(0)] public long UserId { get; set; }
    [Column("delegate_id"), PrimaryKey(1)] public long DelegateId { get; set; }
}

[Table("usergroups")]
sealed class GroupRow
{
    [Column("id"), PrimaryKey, Identity] public long Id { get; set; }
    [Column("name")] public string Name { get; set; } = "";
    [Column("name_key")] public string NameKey { get; set; } = "";
    [Column("company_id")] public long CompanyId { get; set; }
    [Column("email")] public string Email { get; set; } = "";
    [Column("created_at")] public long CreatedAt { get; set; }
}

[Table("group_members")]
sealed class GroupMemberRow
{
    [Column("group_id"), PrimaryKey(0)] public long GroupId { get; set; }
    [Column("user_id"), PrimaryKey(1)] public long UserId { get; set; }
}

[Table("subscriptions")]
sealed class SubscriptionRow
{
    [Column("store_id"), PrimaryKey(0)] public long StoreId { get; set; }
    [Column("name"), PrimaryKey(1)] public string Name { get; set; } = "";
}

[Table("folder_grants")]
sealed class FolderGrantRow
{
    [Column("folder_id"), PrimaryKey(0)] public long FolderId { get; set; }
    [Column("grantee_kind"), PrimaryKey(1)] public int GranteeKind { get; set; }
    /// <summary>A user's store-owner key, a group name in lower case, or empty for anyone.</summary>
    [Column("grantee"), PrimaryKey(2)] public string Grantee { get; set; } = "";
    [Column("store_id")] public long StoreId { get; set; }
    [Column("rights")] public int Rights { get; set; }
}

/// <summary>A content's structure as a protocol described it at ingest (IMAP ENVELOPE and BODYSTRUCTURE); one row per blob.</summary>
[Table("message_structures")]
sealed class StructureRow
{
    [Column("blob_id"), PrimaryKey] public string BlobId { get; set; } = "";
    [Column("structure")] public byte[] Structure { get; set; } = [];
}
