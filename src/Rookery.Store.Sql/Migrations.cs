namespace Rookery.Store.Sql;

/// <summary>
/// Every schema change Rookery has made, in order. A migration is frozen once released:
/// change the schema by adding one, never by editing one.
/// </summary>
static class Migrations
{
    public static IReadOnlyList<Migration> All { get; } =
    [
        new(1, "stores, folders, items, change log, blobs, directory", Initial),
        new(2, "per-item trace headers (Return-Path, Delivered-To) kept beside the shared content", TraceHeaders),
        new(3, "mailbox subscriptions", Subscriptions),
        new(4, "IMAP \\Recent bookkeeping per folder; the Date header's own zone per item", RecentAndSentZone),
        new(5, "folder permissions: grants of rights on a folder to a user, a group or anyone", FolderGrants),
        new(6, "message structure (IMAP ENVELOPE and BODYSTRUCTURE) described at ingest, once per content", MessageStructures),
        new(7, "the keywords a folder's messages have carried (IMAP FLAGS), kept after the last message drops one", FolderKeywords),
        new(8, "items of every kind: kind, content type, resource name and per-kind fields; the change log names them, is read per folder and pruned; a Files folder", ItemKinds),
    ];

    static IEnumerable<string> ItemKinds(Ddl t)
    {
        yield return $"ALTER TABLE items ADD kind {t.Int} NOT NULL DEFAULT 1";
        yield return $"ALTER TABLE items ADD content_type {t.Text(255)} NULL";
        // NULL for mail, whose name is generated from its id: every engine lets NULLs repeat in a unique index
        yield return $"ALTER TABLE items ADD resource_name {t.Text(255)} NULL";
        // only named items are indexed on SQLite and PostgreSQL: an append of mail does not touch it
        yield return "CREATE UNIQUE INDEX ux_items_resource ON items (folder_id, resource_name)" +
            (t.Engine == DatabaseEngine.MySql ? "" : " WHERE resource_name IS NOT NULL");
        yield return $"ALTER TABLE changes ADD item_kind {t.Int} NULL";
        yield return $"ALTER TABLE changes ADD resource_name {t.Text(255)} NULL";
        // a folder's reader takes what is there from items (modseq, arrived_modseq) and from the log only what left:
        // tombstones and moves, indexed alone on SQLite and PostgreSQL (a flag change, the common write, skips both)
        var partial = t.Engine != DatabaseEngine.MySql;
        yield return "CREATE INDEX ix_changes_folder ON changes (folder_id, modseq)" + (partial ? $" WHERE kind = {(int)ChangeKind.Deleted}" : "");
        yield return "CREATE INDEX ix_changes_prev_folder ON changes (prev_folder_id, modseq)" + (partial ? $" WHERE kind = {(int)ChangeKind.Moved}" : "");
        // the modseq at which an item came into its folder (created, copied or moved there); 0: before this migration
        yield return $"ALTER TABLE items ADD arrived_modseq {t.BigInt} NOT NULL DEFAULT 0";
        // per kind, the fields queries need (see CalendarFields, ContactFields); uid_key is the UID, or a hash of a long one
        yield return $"""
            CREATE TABLE calendar_items (
                item_id {t.BigInt} NOT NULL PRIMARY KEY,
                folder_id {t.BigInt} NOT NULL,
                uid_key {t.Text(255)} NOT NULL,
                starts_at {t.BigInt} NULL,
                ends_at {t.BigInt} NULL,
                recurs {t.Bool} NOT NULL,
                floating {t.Bool} NOT NULL,
                summary {t.Text(1000)} NULL,
                status {t.Text(32)} NULL,
                class {t.Text(32)} NULL,
                transparency {t.Text(32)} NULL,
                due_at {t.BigInt} NULL,
                completed_at {t.BigInt} NULL){t.TableOptions}
            """;
        yield return "CREATE INDEX ix_calendar_items_uid ON calendar_items (folder_id, uid_key)";
        yield return "CREATE INDEX ix_calendar_items_range ON calendar_items (folder_id, starts_at)";
        yield return $"""
            CREATE TABLE contact_items (
                item_id {t.BigInt} NOT NULL PRIMARY KEY,
                folder_id {t.BigInt} NOT NULL,
                uid_key {t.Text(255)} NULL,
                formatted_name {t.Text(1000)} NOT NULL,
                emails {t.LongText} NOT NULL,
                phones {t.LongText} NOT NULL,
                organization {t.Text(1000)} NOT NULL){t.TableOptions}
            """;
        yield return "CREATE INDEX ix_contact_items_uid ON contact_items (folder_id, uid_key)";
        // every change at or below it may have been pruned: a reader from an older position must start over
        yield return $"ALTER TABLE stores ADD changes_horizon {t.BigInt} NOT NULL DEFAULT 0";
        // the set of default folders a store has (DefaultFolders.Version): older stores get Files when next opened
        yield return $"ALTER TABLE stores ADD defaults_version {t.Int} NOT NULL DEFAULT 1";
    }

    static IEnumerable<string> FolderKeywords(Ddl t)
    {
        yield return $"CREATE TABLE folder_keywords (folder_id {t.BigInt} NOT NULL, keyword {t.Text(255)} NOT NULL, PRIMARY KEY (folder_id, keyword)){t.TableOptions}";
    }

    static IEnumerable<string> MessageStructures(Ddl t)
    {
        yield return $"CREATE TABLE message_structures (blob_id {t.Text(64)} NOT NULL PRIMARY KEY, structure {t.Binary} NOT NULL){t.TableOptions}";
    }

    static IEnumerable<string> FolderGrants(Ddl t)
    {
        yield return $"""
            CREATE TABLE folder_grants (
                folder_id {t.BigInt} NOT NULL,
                grantee_kind {t.Int} NOT NULL,
                grantee {t.Text(255)} NOT NULL,
                store_id {t.BigInt} NOT NULL,
                rights {t.Int} NOT NULL,
                PRIMARY KEY (folder_id, grantee_kind, grantee)){t.TableOptions}
            """;
        yield return "CREATE INDEX ix_folder_grants_store ON folder_grants (store_id)";
        yield return "CREATE INDEX ix_folder_grants_grantee ON folder_grants (grantee_kind, grantee)";
    }

    static IEnumerable<string> RecentAndSentZone(Ddl t)
    {
        yield return $"ALTER TABLE folders ADD recent_uid {t.BigInt} NOT NULL DEFAULT 0";
        yield return $"ALTER TABLE items ADD sent_offset {t.Int} NULL";
    }

    static IEnumerable<string> Subscriptions(Ddl t)
    {
        yield return $"CREATE TABLE subscriptions (store_id {t.BigInt} NOT NULL, name {t.Text(700)} NOT NULL, PRIMARY KEY (store_id, name)){t.TableOptions}";
    }

    static IEnumerable<string> TraceHeaders(Ddl t)
    {
        yield return $"ALTER TABLE items ADD trace_headers {t.Binary} NULL";
    }

    static IEnumerable<string> Initial(Ddl t)
    {
        var o = t.TableOptions;
        yield return $"""
            CREATE TABLE stores (
                id {t.Identity},
                kind {t.Int} NOT NULL,
                owner {t.Text(255)} NOT NULL,
                locale {t.Text(64)} NOT NULL,
                modseq {t.BigInt} NOT NULL,
                size {t.BigInt} NOT NULL,
                last_uid_validity {t.BigInt} NOT NULL,
                created_at {t.BigInt} NOT NULL){o}
            """;
        yield return "CREATE UNIQUE INDEX ux_stores_owner ON stores (kind, owner)";

        yield return $"""
            CREATE TABLE folders (
                id {t.Identity},
                store_id {t.BigInt} NOT NULL,
                parent_id {t.BigInt} NOT NULL,
                name {t.Text(255)} NOT NULL,
                name_key {t.Text(255)} NOT NULL,
                container_class {t.Int} NOT NULL,
                special_use {t.Int} NOT NULL,
                uid_validity {t.BigInt} NOT NULL,
                uid_next {t.BigInt} NOT NULL,
                modseq {t.BigInt} NOT NULL,
                message_count {t.BigInt} NOT NULL,
                size {t.BigInt} NOT NULL,
                created_at {t.BigInt} NOT NULL){o}
            """;
        yield return "CREATE UNIQUE INDEX ux_folders_name ON folders (store_id, parent_id, name_key)";

        yield return $"""
            CREATE TABLE items (
                id {t.Identity},
                store_id {t.BigInt} NOT NULL,
                folder_id {t.BigInt} NOT NULL,
                uid {t.BigInt} NOT NULL,
                modseq {t.BigInt} NOT NULL,
                blob_id {t.Text(64)} NOT NULL,
                size {t.BigInt} NOT NULL,
                flags {t.Int} NOT NULL,
                keywords {t.LongText} NOT NULL,
                received_at {t.BigInt} NOT NULL,
                sent_at {t.BigInt} NULL,
                subject {t.LongText} NOT NULL,
                from_addr {t.LongText} NOT NULL,
                to_addr {t.LongText} NOT NULL,
                cc_addr {t.LongText} NOT NULL,
                message_id {t.Text(998)} NOT NULL){o}
            """;
        yield return "CREATE UNIQUE INDEX ux_items_uid ON items (folder_id, uid)";
        yield return "CREATE INDEX ix_items_modseq ON items (folder_id, modseq)";
        yield return "CREATE INDEX ix_items_blob ON items (blob_id)";
        yield return $"CREATE INDEX ix_items_message_id ON items ({(t.Engine == DatabaseEngine.MySql ? "message_id(191)" : "message_id")})";

        yield return $"""
            CREATE TABLE changes (
                id {t.Identity},
                store_id {t.BigInt} NOT NULL,
                modseq {t.BigInt} NOT NULL,
                entity {t.Int} NOT NULL,
                kind {t.Int} NOT NULL,
                object_id {t.BigInt} NOT NULL,
                folder_id {t.BigInt} NOT NULL,
                uid {t.BigInt} NULL,
                prev_folder_id {t.BigInt} NULL,
                prev_uid {t.BigInt} NULL,
                at {t.BigInt} NOT NULL){o}
            """;
        yield return "CREATE INDEX ix_changes_modseq ON changes (store_id, modseq)";

        yield return $"""
            CREATE TABLE blobs (
                id {t.Text(64)} NOT NULL PRIMARY KEY,
                size {t.BigInt} NOT NULL,
                storage {t.Int} NOT NULL,
                refcount {t.BigInt} NOT NULL,
                zero_since {t.BigInt} NULL,
                created_at {t.BigInt} NOT NULL){o}
            """;
        yield return "CREATE INDEX ix_blobs_zero ON blobs (zero_since)";
        yield return "CREATE INDEX ix_blobs_storage ON blobs (storage)";
        yield return $"CREATE TABLE blob_data (id {t.Text(64)} NOT NULL PRIMARY KEY, data {t.Binary} NOT NULL){o}";

        yield return $"""
            CREATE TABLE companies (
                id {t.Identity},
                name {t.Text(255)} NOT NULL,
                name_key {t.Text(255)} NOT NULL,
                created_at {t.BigInt} NOT NULL){o}
            """;
        yield return "CREATE UNIQUE INDEX ux_companies_name ON companies (name_key)";

        yield return $"""
            CREATE TABLE users (
                id {t.Identity},
                login {t.Text(255)} NOT NULL,
                login_key {t.Text(255)} NOT NULL,
                source {t.Text(16)} NOT NULL,
                company_id {t.BigInt} NOT NULL,
                email {t.Text(320)} NOT NULL,
                email_key {t.Text(320)} NOT NULL,
                fullname {t.Text(255)} NOT NULL,
                password_hash {t.Text(255)} NOT NULL,
                is_admin {t.Bool} NOT NULL,
                active {t.Bool} NOT NULL,
                hidden {t.Bool} NOT NULL,
                quota_override {t.Bool} NOT NULL,
                quota_warn {t.BigInt} NOT NULL,
                quota_soft {t.BigInt} NOT NULL,
                quota_hard {t.BigInt} NOT NULL,
                enabled_features {t.Text(255)} NOT NULL,
                disabled_features {t.Text(255)} NOT NULL,
                created_at {t.BigInt} NOT NULL){o}
            """;
        yield return "CREATE UNIQUE INDEX ux_users_login ON users (source, login_key)";
        yield return "CREATE INDEX ix_users_email ON users (email_key)";

        yield return $"""
            CREATE TABLE user_aliases (
                address_key {t.Text(320)} NOT NULL PRIMARY KEY,
                address {t.Text(320)} NOT NULL,
                user_id {t.BigInt} NOT NULL){o}
            """;
        yield return "CREATE INDEX ix_user_aliases_user ON user_aliases (user_id)";
        yield return $"CREATE TABLE send_as (user_id {t.BigInt} NOT NULL, delegate_id {t.BigInt} NOT NULL, PRIMARY KEY (user_id, delegate_id)){o}";

        yield return $"""
            CREATE TABLE usergroups (
                id {t.Identity},
                name {t.Text(255)} NOT NULL,
                name_key {t.Text(255)} NOT NULL,
                company_id {t.BigInt} NOT NULL,
                email {t.Text(320)} NOT NULL,
                created_at {t.BigInt} NOT NULL){o}
            """;
        yield return "CREATE UNIQUE INDEX ux_usergroups_name ON usergroups (company_id, name_key)";
        yield return $"CREATE TABLE group_members (group_id {t.BigInt} NOT NULL, user_id {t.BigInt} NOT NULL, PRIMARY KEY (group_id, user_id)){o}";
    }
}
