namespace Rookery.Common.Configuration;

public static partial class ConfigSchema
{
    /// <summary>
    /// ldap.cfg (the original's ldap.cfg with ldap.openldap.cfg / ldap.active-directory.cfg):
    /// users, groups, companies and address lists read from an LDAP directory. Defaults are
    /// those of OpenLDAP and of the mlan/kopano container (LDAP_URI, LDAP_SEARCH_BASE, …).
    /// </summary>
    public static ComponentSchema Ldap { get; } = new("ldap",
    [
        // ---- connection ----
        new("ldap_uri", ParameterKind.String, "ldap://localhost:389/",
            "LDAP servers, space-separated (ldap://, ldaps:// or ldapi://); when one does not answer the next is used."),
        new("ldap_starttls", ParameterKind.Bool, "no",
            "Secure ldap:// connections with StartTLS; a connection where it fails is refused."),
        new("ldap_tls_cacert", ParameterKind.String, "",
            "PEM file with the CA certificates that the certificate of an ldaps:// or StartTLS server must be signed by; empty = libldap's TLS_CACERT (/etc/ldap/ldap.conf or the LDAPTLS_CACERT environment variable), usually the system's CAs. Not in the original, which had only ldap.conf."),
        new("ldap_bind_user", ParameterKind.String, "",
            "DN to bind as for searches; empty = anonymous. With ldap_authentication_method = password it must be able to read ldap_password_attribute."),
        new("ldap_bind_passwd", ParameterKind.String, "",
            "Password of ldap_bind_user.")
        { IsSecret = true },
        new("ldap_network_timeout", ParameterKind.Int, "30",
            "Seconds to wait for an LDAP server to connect or answer before trying the next one.")
        { Min = 1, Max = 3600 },
        new("ldap_page_size", ParameterKind.Int, "1000",
            "Entries asked for per page of a search (paged results); 0 = no paging.")
        { Min = 0 },
        new("ldap_server_charset", ParameterKind.String, "utf-8",
            "Character set of the directory's strings; only utf-8 is supported."),
        new("ldap_pool_size", ParameterKind.Int, "10",
            "Most connections to the LDAP server kept open at once.")
        { Min = 1, Max = 1000 },
        new("ldap_cache_timeout", ParameterKind.Int, "300",
            "Seconds a looked-up user, group or listing is remembered before the directory is asked again; 0 = no cache.")
        { Min = 0 },
        new("ldap_cache_size", ParameterKind.Int, "10000",
            "Most lookups remembered at once.")
        { Min = 1 },
        new("ldap_propmap", ParameterKind.String, "",
            "Property map file (as !propmap): extra user properties read from attributes; empty = the built-in map (features from kopanoEnabledFeatures / kopanoDisabledFeatures)."),

        // ---- objects ----
        new("ldap_search_base", ParameterKind.String, "dc=kopano,dc=com",
            "DN under which every user, group, company and address list is searched."),
        new("ldap_object_type_attribute", ParameterKind.String, "objectClass",
            "Attribute whose value tells what kind of object an entry is."),
        new("ldap_user_type_attribute_value", ParameterKind.String, "posixAccount",
            "Value of ldap_object_type_attribute that makes an entry a user (Active Directory: user)."),
        new("ldap_group_type_attribute_value", ParameterKind.String, "posixGroup",
            "Value of ldap_object_type_attribute that makes an entry a group (Active Directory: group)."),
        new("ldap_contact_type_attribute_value", ParameterKind.String, "kopano-contact",
            "Value of ldap_object_type_attribute that makes an entry a contact: in the address book, no store, no login."),
        new("ldap_company_type_attribute_value", ParameterKind.String, "organizationalUnit",
            "Value of ldap_object_type_attribute that makes an entry a company (multi-tenancy)."),
        new("ldap_addresslist_type_attribute_value", ParameterKind.String, "kopano-addresslist",
            "Value of ldap_object_type_attribute that makes an entry an address list."),
        new("ldap_dynamicgroup_type_attribute_value", ParameterKind.String, "kopano-dynamicgroup",
            "Value of ldap_object_type_attribute that makes an entry a dynamic group."),
        new("ldap_server_type_attribute_value", ParameterKind.String, "ipHost",
            "Value of ldap_object_type_attribute of a server entry (multi-server setups; not used yet)."),
        new("ldap_last_modification_attribute", ParameterKind.String, "modifyTimestamp",
            "Attribute that changes whenever an entry changes (Active Directory: uSNChanged)."),

        // ---- users ----
        new("ldap_user_search_filter", ParameterKind.String, "",
            "Extra LDAP filter a user must match, e.g. (kopanoAccount=1); empty = every entry of the user type."),
        new("ldap_user_unique_attribute", ParameterKind.String, "uidNumber",
            "Attribute that identifies a user for good and ties the user to a store; changing it orphans the store (Active Directory: objectGUID)."),
        new("ldap_user_unique_attribute_type", ParameterKind.Enum, "text",
            "How ldap_user_unique_attribute is compared: text, or binary (Active Directory GUIDs).")
        { Allowed = ["text", "binary"] },
        new("ldap_fullname_attribute", ParameterKind.String, "cn",
            "Attribute with the user's full name."),
        new("ldap_loginname_attribute", ParameterKind.String, "uid",
            "Attribute with the login name (Active Directory: sAMAccountName)."),
        new("ldap_password_attribute", ParameterKind.String, "userPassword",
            "Attribute with the password hash, checked when ldap_authentication_method = password."),
        new("ldap_authentication_method", ParameterKind.Enum, "bind",
            "How passwords are checked: bind (as the user's DN) or password (compare with ldap_password_attribute).")
        { Allowed = ["bind", "password"] },
        new("ldap_emailaddress_attribute", ParameterKind.String, "mail",
            "Attribute with the primary e-mail address."),
        new("ldap_emailaliases_attribute", ParameterKind.String, "kopanoAliases",
            "Attribute with further e-mail addresses (Active Directory: otherMailbox)."),
        new("ldap_isadmin_attribute", ParameterKind.String, "kopanoAdmin",
            "Attribute that makes a user an administrator when it is not 0 or false."),
        new("ldap_nonactive_attribute", ParameterKind.String, "kopanoSharedStoreOnly",
            "Attribute that makes a user non-active (shared store, no login) when it is not 0 or false."),
        new("ldap_resource_type_attribute", ParameterKind.String, "kopanoResourceType",
            "Attribute with the kind of a non-active store: room, equipment, or publicFolder:PATH."),
        new("ldap_resource_capacity_attribute", ParameterKind.String, "kopanoResourceCapacity",
            "Attribute with the capacity of a room or equipment."),
        new("ldap_sendas_attribute", ParameterKind.String, "kopanoSendAsPrivilege",
            "Attribute listing the users allowed to send as this user."),
        new("ldap_sendas_attribute_type", ParameterKind.Enum, "text",
            "What ldap_sendas_attribute holds: text (values of ldap_sendas_relation_attribute) or dn.")
        { Allowed = ["text", "dn"] },
        new("ldap_sendas_relation_attribute", ParameterKind.String, "",
            "Attribute of a user matched by text send-as values; empty = ldap_user_unique_attribute."),
        new("ldap_user_certificate_attribute", ParameterKind.String, "userCertificate;binary",
            "Attribute with the user's S/MIME certificate (not used yet)."),
        new("ldap_addressbook_hide_attribute", ParameterKind.String, "kopanoHidden",
            "Attribute that hides a user, group or contact from the address book and listings when it is not 0 or false."),
        new("ldap_object_search_filter", ParameterKind.String, "",
            "Filter for address book searches, %s replaced by the search text (not used yet)."),
        new("ldap_filter_cutoff_elements", ParameterKind.Int, "1000",
            "Above this many objects in one request the whole tree is read instead (accepted for compatibility).")
        { Min = 0 },

        // ---- quota ----
        new("ldap_quotaoverride_attribute", ParameterKind.String, "kopanoQuotaOverride",
            "Attribute that, when 1, gives a user the quota levels of the three attributes below instead of the server's."),
        new("ldap_warnquota_attribute", ParameterKind.String, "kopanoQuotaWarn",
            "Attribute with the user's warning level."),
        new("ldap_softquota_attribute", ParameterKind.String, "kopanoQuotaSoft",
            "Attribute with the user's soft level."),
        new("ldap_hardquota_attribute", ParameterKind.String, "kopanoQuotaHard",
            "Attribute with the user's hard level."),
        new("ldap_userdefault_quotaoverride_attribute", ParameterKind.String, "kopanoUserDefaultQuotaOverride",
            "Attribute of a company that, when 1, gives its users the company's default levels."),
        new("ldap_userdefault_warnquota_attribute", ParameterKind.String, "kopanoUserDefaultQuotaWarn",
            "Attribute of a company with its users' default warning level."),
        new("ldap_userdefault_softquota_attribute", ParameterKind.String, "kopanoUserDefaultQuotaSoft",
            "Attribute of a company with its users' default soft level."),
        new("ldap_userdefault_hardquota_attribute", ParameterKind.String, "kopanoUserDefaultQuotaHard",
            "Attribute of a company with its users' default hard level."),
        new("ldap_quota_multiplier", ParameterKind.Int, "1",
            "Bytes per unit of the quota attributes: 1 when they hold bytes (OpenLDAP), 1048576 when they hold MiB (Active Directory).")
        { Min = 1 },
        new("ldap_quota_userwarning_recipients_attribute", ParameterKind.String, "kopanoQuotaUserWarningRecipients",
            "Attribute of a company listing who else is told when one of its users passes a quota level (not used yet)."),
        new("ldap_quota_userwarning_recipients_attribute_type", ParameterKind.Enum, "text",
            "text or dn.")
        { Allowed = ["text", "dn"] },
        new("ldap_quota_userwarning_recipients_relation_attribute", ParameterKind.String, "",
            "Attribute matched by text values; empty = ldap_user_unique_attribute."),
        new("ldap_quota_companywarning_recipients_attribute", ParameterKind.String, "kopanoQuotaCompanyWarningRecipients",
            "Attribute of a company listing who is told when the company passes its quota (not used yet)."),
        new("ldap_quota_companywarning_recipients_attribute_type", ParameterKind.Enum, "text",
            "text or dn.")
        { Allowed = ["text", "dn"] },
        new("ldap_quota_companywarning_recipients_relation_attribute", ParameterKind.String, "",
            "Attribute matched by text values; empty = ldap_user_unique_attribute."),

        // ---- groups ----
        new("ldap_group_search_filter", ParameterKind.String, "",
            "Extra LDAP filter a group must match; empty = every entry of the group type."),
        new("ldap_group_unique_attribute", ParameterKind.String, "gidNumber",
            "Attribute that identifies a group for good (Active Directory: objectSid)."),
        new("ldap_group_unique_attribute_type", ParameterKind.Enum, "text",
            "text or binary.")
        { Allowed = ["text", "binary"] },
        new("ldap_groupname_attribute", ParameterKind.String, "cn",
            "Attribute with the group's name."),
        new("ldap_groupmembers_attribute", ParameterKind.String, "memberUid",
            "Attribute of a group listing its members (Active Directory: member)."),
        new("ldap_groupmembers_attribute_type", ParameterKind.Enum, "text",
            "What ldap_groupmembers_attribute holds: text (values of ldap_groupmembers_relation_attribute) or dn (the members' DNs).")
        { Allowed = ["text", "dn"] },
        new("ldap_groupmembers_relation_attribute", ParameterKind.String, "uid",
            "Attribute of a user that text member values are matched with; empty = ldap_user_unique_attribute."),
        new("ldap_group_security_attribute", ParameterKind.String, "kopanoSecurityGroup",
            "Attribute that tells a security group (usable in permissions) from a distribution group (Active Directory: groupType)."),
        new("ldap_group_security_attribute_type", ParameterKind.Enum, "boolean",
            "boolean: the group is a security group unless the attribute is 0 or false; ads: the security bit of groupType.")
        { Allowed = ["boolean", "ads"] },

        // ---- companies ----
        new("ldap_company_search_filter", ParameterKind.String, "",
            "Extra LDAP filter a company must match; empty = every entry of the company type."),
        new("ldap_company_unique_attribute", ParameterKind.String, "ou",
            "Attribute that identifies a company for good."),
        new("ldap_company_unique_attribute_type", ParameterKind.Enum, "text",
            "text or binary.")
        { Allowed = ["text", "binary"] },
        new("ldap_companyname_attribute", ParameterKind.String, "ou",
            "Attribute with the company's name."),
        new("ldap_company_view_attribute", ParameterKind.String, "kopanoViewPrivilege",
            "Attribute listing the companies that may see this one (not used yet)."),
        new("ldap_company_view_attribute_type", ParameterKind.Enum, "text",
            "text or dn.")
        { Allowed = ["text", "dn"] },
        new("ldap_company_view_relation_attribute", ParameterKind.String, "",
            "Attribute matched by text values; empty = ldap_company_unique_attribute."),
        new("ldap_company_admin_attribute", ParameterKind.String, "kopanoAdminPrivilege",
            "Attribute listing users of other companies who administer this one (not used yet)."),
        new("ldap_company_admin_attribute_type", ParameterKind.Enum, "text",
            "text or dn.")
        { Allowed = ["text", "dn"] },
        new("ldap_company_admin_relation_attribute", ParameterKind.String, "",
            "Attribute matched by text values; empty = ldap_user_unique_attribute."),
        new("ldap_company_system_admin_attribute", ParameterKind.String, "kopanoSystemAdmin",
            "Attribute naming the system administrator of the company (not used yet)."),
        new("ldap_company_system_admin_attribute_type", ParameterKind.Enum, "text",
            "text or dn.")
        { Allowed = ["text", "dn"] },
        new("ldap_company_system_admin_relation_attribute", ParameterKind.String, "",
            "Attribute matched by text values; empty = ldap_user_unique_attribute."),

        // ---- address lists and dynamic groups ----
        new("ldap_addresslist_search_filter", ParameterKind.String, "",
            "Extra LDAP filter an address list must match."),
        new("ldap_addresslist_unique_attribute", ParameterKind.String, "cn",
            "Attribute that identifies an address list for good."),
        new("ldap_addresslist_unique_attribute_type", ParameterKind.Enum, "text",
            "text or binary.")
        { Allowed = ["text", "binary"] },
        new("ldap_addresslist_filter_attribute", ParameterKind.String, "kopanoFilter",
            "Attribute with the LDAP filter selecting the address list's users (who must also be users)."),
        new("ldap_addresslist_search_base_attribute", ParameterKind.String, "kopanoBase",
            "Attribute with the search base of the address list; empty = ldap_search_base."),
        new("ldap_addresslist_name_attribute", ParameterKind.String, "cn",
            "Attribute with the address list's name."),
        new("ldap_dynamicgroup_search_filter", ParameterKind.String, "",
            "Extra LDAP filter a dynamic group must match."),
        new("ldap_dynamicgroup_unique_attribute", ParameterKind.String, "cn",
            "Attribute that identifies a dynamic group for good."),
        new("ldap_dynamicgroup_unique_attribute_type", ParameterKind.Enum, "text",
            "text or binary.")
        { Allowed = ["text", "binary"] },
        new("ldap_dynamicgroup_filter_attribute", ParameterKind.String, "kopanoFilter",
            "Attribute with the LDAP filter selecting the dynamic group's members (who must also be users)."),
        new("ldap_dynamicgroup_search_base_attribute", ParameterKind.String, "kopanoBase",
            "Attribute with the search base of the dynamic group; empty = ldap_search_base."),
        new("ldap_dynamicgroup_name_attribute", ParameterKind.String, "cn",
            "Attribute with the dynamic group's name."),

        // ---- multi-server (accepted so the original's files load; not used yet) ----
        new("ldap_user_server_attribute", ParameterKind.String, "kopanoUserServer", "Home server of a user (multi-server; not used yet)."),
        new("ldap_company_server_attribute", ParameterKind.String, "kopanoCompanyServer", "Server of a company's public store (multi-server; not used yet)."),
        new("ldap_server_address_attribute", ParameterKind.String, "ipHostNumber", "Address of a server entry (multi-server; not used yet)."),
        new("ldap_server_http_port_attribute", ParameterKind.String, "kopanoHttpPort", "HTTP port of a server entry (multi-server; not used yet)."),
        new("ldap_server_ssl_port_attribute", ParameterKind.String, "kopanoSslPort", "HTTPS port of a server entry (multi-server; not used yet)."),
        new("ldap_server_file_path_attribute", ParameterKind.String, "kopanoFilePath", "Socket path of a server entry (multi-server; not used yet)."),
        new("ldap_server_contains_public_attribute", ParameterKind.String, "kopanoContainsPublic", "Whether a server holds the public store (multi-server; not used yet)."),
        new("ldap_server_proxy_path_attribute", ParameterKind.String, "kopanoProxyURL", "Proxy URL of a server entry (multi-server; not used yet)."),
        new("ldap_server_search_filter", ParameterKind.String, "", "Extra LDAP filter a server entry must match (multi-server; not used yet)."),
        new("ldap_server_unique_attribute", ParameterKind.String, "cn", "Attribute that identifies a server entry (multi-server; not used yet)."),
    ]);
}
