using Rookery.Common.Configuration;

namespace Rookery.Directory.Ldap;

/// <summary>ldap.cfg read into what <see cref="LdapUserDirectory"/> needs: filters and attribute names.</summary>
public sealed record LdapSettings
{
    public required LdapConnectionSettings Connection { get; init; }
    public required string SearchBase { get; init; }
    public string TypeAttribute { get; init; } = "objectClass";
    public string UserType { get; init; } = "posixAccount";
    public string GroupType { get; init; } = "posixGroup";
    public string ContactType { get; init; } = "kopano-contact";
    public string CompanyType { get; init; } = "organizationalUnit";
    public string AddressListType { get; init; } = "kopano-addresslist";
    public string DynamicGroupType { get; init; } = "kopano-dynamicgroup";
    public string UserFilter { get; init; } = "";
    public string GroupFilter { get; init; } = "";
    public string CompanyFilter { get; init; } = "";
    public string AddressListFilter { get; init; } = "";
    public string DynamicGroupFilter { get; init; } = "";
    public string UserUnique { get; init; } = "uidNumber";
    public bool UserUniqueBinary { get; init; }
    public string FullName { get; init; } = "cn";
    public string LoginName { get; init; } = "uid";
    public string PasswordAttribute { get; init; } = "userPassword";
    public bool AuthenticateByBind { get; init; } = true;
    public string Email { get; init; } = "mail";
    public string Aliases { get; init; } = "kopanoAliases";
    public string IsAdmin { get; init; } = "kopanoAdmin";
    public string NonActive { get; init; } = "kopanoSharedStoreOnly";
    public string ResourceType { get; init; } = "kopanoResourceType";
    public string Hidden { get; init; } = "kopanoHidden";
    public string SendAs { get; init; } = "kopanoSendAsPrivilege";
    public bool SendAsIsDn { get; init; }
    public string SendAsRelation { get; init; } = "";
    public string QuotaOverride { get; init; } = "kopanoQuotaOverride";
    public string QuotaWarn { get; init; } = "kopanoQuotaWarn";
    public string QuotaSoft { get; init; } = "kopanoQuotaSoft";
    public string QuotaHard { get; init; } = "kopanoQuotaHard";
    public string DefaultQuotaOverride { get; init; } = "kopanoUserDefaultQuotaOverride";
    public string DefaultQuotaWarn { get; init; } = "kopanoUserDefaultQuotaWarn";
    public string DefaultQuotaSoft { get; init; } = "kopanoUserDefaultQuotaSoft";
    public string DefaultQuotaHard { get; init; } = "kopanoUserDefaultQuotaHard";
    public long QuotaMultiplier { get; init; } = 1;
    public string GroupUnique { get; init; } = "gidNumber";
    public bool GroupUniqueBinary { get; init; }
    public string GroupName { get; init; } = "cn";
    public string GroupMembers { get; init; } = "memberUid";
    public bool GroupMembersAreDns { get; init; }
    public string GroupMembersRelation { get; init; } = "uid";
    public string GroupSecurity { get; init; } = "kopanoSecurityGroup";
    public bool GroupSecurityIsAds { get; init; }
    public string CompanyName { get; init; } = "ou";
    public string AddressListName { get; init; } = "cn";
    public string AddressListFilterAttribute { get; init; } = "kopanoFilter";
    public string AddressListBaseAttribute { get; init; } = "kopanoBase";
    public string DynamicGroupName { get; init; } = "cn";
    public string DynamicGroupFilterAttribute { get; init; } = "kopanoFilter";
    public string DynamicGroupBaseAttribute { get; init; } = "kopanoBase";
    public int PageSize { get; init; } = 1000;
    public TimeSpan CacheLifetime { get; init; } = TimeSpan.FromMinutes(5);
    public int CacheSize { get; init; } = 10000;
    /// <summary>Multi-tenancy (server.cfg enable_hosted_kopano): users belong to the company entry above them.</summary>
    public bool Hosted { get; init; }
    /// <summary>Property map: name (PR_… or 0x… tag) → attribute, the built-in features map included.</summary>
    public IReadOnlyDictionary<string, string> PropMap { get; init; } = DefaultPropMap;

    public const string EnabledFeaturesProperty = "PR_EC_ENABLED_FEATURES";
    public const string DisabledFeaturesProperty = "PR_EC_DISABLED_FEATURES";

    /// <summary>The map used when none is configured: per-user features, as the original's shipped propmap.</summary>
    public static IReadOnlyDictionary<string, string> DefaultPropMap { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
    {
        [EnabledFeaturesProperty] = "kopanoEnabledFeatures",
        [DisabledFeaturesProperty] = "kopanoDisabledFeatures",
    };

    /// <summary>The original's property tags for the names Rookery gives meaning to.</summary>
    static readonly Dictionary<string, string> TagNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["0x67B3101E"] = EnabledFeaturesProperty,
        ["0x67B4101E"] = DisabledFeaturesProperty,
    };

    /// <param name="ldap">ldap.cfg as loaded (its !propmap lines included).</param>
    /// <param name="hosted">server.cfg's enable_hosted_kopano.</param>
    public static LdapSettings From(ComponentConfig ldap, bool hosted)
    {
        string S(string name) => ldap.GetString(name);
        var uris = S("ldap_uri").Split([' ', '\t', ','], StringSplitOptions.RemoveEmptyEntries);
        if (uris.Length == 0)
            throw new ConfigException("ldap_uri is empty: name at least one LDAP server (ldap://host:389)");
        List<LdapServerUri> servers;
        try
        {
            servers = uris.Select(LdapServerUri.Parse).ToList();
        }
        catch (FormatException e)
        {
            throw new ConfigException("ldap_uri: " + e.Message);
        }
        if (S("ldap_tls_cacert") is { Length: > 0 } caFile && !File.Exists(caFile))
            throw new ConfigException($"ldap_tls_cacert: '{caFile}' does not exist");
        if (!string.Equals(S("ldap_server_charset"), "utf-8", StringComparison.OrdinalIgnoreCase) && !string.Equals(S("ldap_server_charset"), "utf8", StringComparison.OrdinalIgnoreCase))
            throw new ConfigException($"ldap_server_charset = {S("ldap_server_charset")} is not supported; LDAPv3 strings are UTF-8");

        var propMap = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        void AddMap(IEnumerable<KeyValuePair<string, string>> pairs)
        {
            foreach (var (name, attribute) in pairs)
            {
                var key = TagNames.GetValueOrDefault(name, name);
                if (attribute.Length == 0)
                    propMap.Remove(key);
                else
                    propMap[key] = attribute;
            }
        }
        if (S("ldap_propmap") is { Length: > 0 } file)
        {
            if (!File.Exists(file))
                throw new ConfigException($"ldap_propmap: '{file}' does not exist");
            AddMap(ConfigLoader.ReadPropMap(file));
        }
        else
        {
            AddMap(DefaultPropMap);
        }
        AddMap(ldap.PropMap);

        return new LdapSettings
        {
            Connection = new LdapConnectionSettings
            {
                Servers = servers,
                StartTls = ldap.GetBool("ldap_starttls"),
                CaFile = S("ldap_tls_cacert"),
                BindDn = S("ldap_bind_user"),
                BindPassword = S("ldap_bind_passwd"),
                Timeout = TimeSpan.FromSeconds(ldap.GetInt("ldap_network_timeout")),
                PoolSize = ldap.GetInt("ldap_pool_size"),
            },
            SearchBase = S("ldap_search_base"),
            TypeAttribute = S("ldap_object_type_attribute"),
            UserType = S("ldap_user_type_attribute_value"),
            GroupType = S("ldap_group_type_attribute_value"),
            ContactType = S("ldap_contact_type_attribute_value"),
            CompanyType = S("ldap_company_type_attribute_value"),
            AddressListType = S("ldap_addresslist_type_attribute_value"),
            DynamicGroupType = S("ldap_dynamicgroup_type_attribute_value"),
            UserFilter = S("ldap_user_search_filter"),
            GroupFilter = S("ldap_group_search_filter"),
            CompanyFilter = S("ldap_company_search_filter"),
            AddressListFilter = S("ldap_addresslist_search_filter"),
            DynamicGroupFilter = S("ldap_dynamicgroup_search_filter"),
            UserUnique = S("ldap_user_unique_attribute"),
            UserUniqueBinary = S("ldap_user_unique_attribute_type") == "binary",
            FullName = S("ldap_fullname_attribute"),
            LoginName = S("ldap_loginname_attribute"),
            PasswordAttribute = S("ldap_password_attribute"),
            AuthenticateByBind = S("ldap_authentication_method") == "bind",
            Email = S("ldap_emailaddress_attribute"),
            Aliases = S("ldap_emailaliases_attribute"),
            IsAdmin = S("ldap_isadmin_attribute"),
            NonActive = S("ldap_nonactive_attribute"),
            ResourceType = S("ldap_resource_type_attribute"),
            Hidden = S("ldap_addressbook_hide_attribute"),
            SendAs = S("ldap_sendas_attribute"),
            SendAsIsDn = S("ldap_sendas_attribute_type") == "dn",
            SendAsRelation = S("ldap_sendas_relation_attribute"),
            QuotaOverride = S("ldap_quotaoverride_attribute"),
            QuotaWarn = S("ldap_warnquota_attribute"),
            QuotaSoft = S("ldap_softquota_attribute"),
            QuotaHard = S("ldap_hardquota_attribute"),
            DefaultQuotaOverride = S("ldap_userdefault_quotaoverride_attribute"),
            DefaultQuotaWarn = S("ldap_userdefault_warnquota_attribute"),
            DefaultQuotaSoft = S("ldap_userdefault_softquota_attribute"),
            DefaultQuotaHard = S("ldap_userdefault_hardquota_attribute"),
            QuotaMultiplier = ldap.GetInt("ldap_quota_multiplier"),
            GroupUnique = S("ldap_group_unique_attribute"),
            GroupUniqueBinary = S("ldap_group_unique_attribute_type") == "binary",
            GroupName = S("ldap_groupname_attribute"),
            GroupMembers = S("ldap_groupmembers_attribute"),
            GroupMembersAreDns = S("ldap_groupmembers_attribute_type") == "dn",
            GroupMembersRelation = S("ldap_groupmembers_relation_attribute"),
            GroupSecurity = S("ldap_group_security_attribute"),
            GroupSecurityIsAds = S("ldap_group_security_attribute_type") == "ads",
            CompanyName = S("ldap_companyname_attribute"),
            AddressListName = S("ldap_addresslist_name_attribute"),
            AddressListFilterAttribute = S("ldap_addresslist_filter_attribute"),
            AddressListBaseAttribute = S("ldap_addresslist_search_base_attribute"),
            DynamicGroupName = S("ldap_dynamicgroup_name_attribute"),
            DynamicGroupFilterAttribute = S("ldap_dynamicgroup_filter_attribute"),
            DynamicGroupBaseAttribute = S("ldap_dynamicgroup_search_base_attribute"),
            PageSize = ldap.GetInt("ldap_page_size"),
            CacheLifetime = TimeSpan.FromSeconds(ldap.GetInt("ldap_cache_timeout")),
            CacheSize = ldap.GetInt("ldap_cache_size"),
            Hosted = hosted,
            PropMap = propMap,
        };
    }
}
