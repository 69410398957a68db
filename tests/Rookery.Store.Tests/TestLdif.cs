using Rookery.Common.Configuration;
using Rookery.Directory.Ldap;

namespace Rookery.Store.Tests;

/// <summary>The test directory: users, aliases, groups of both member kinds, hidden, non-active, public-folder and contact entries, a second company.</summary>
public static class TestLdif
{
    public const string AlicePassword = "wonderland";
    public const string BobPassword = "builder";

    public static string Entries { get; } = $"""
        dn: ou=people,{Slapd.Suffix}
        objectClass: organizationalUnit
        ou: people

        dn: ou=groups,{Slapd.Suffix}
        objectClass: organizationalUnit
        ou: groups

        dn: uid=alice,ou=people,{Slapd.Suffix}
        objectClass: inetOrgPerson
        objectClass: posixAccount
        objectClass: kopano-user
        uid: alice
        cn: Alice Liddell
        sn: Liddell
        givenName: Alice
        uidNumber: 1001
        gidNumber: 100
        homeDirectory: /home/alice
        mail: alice@example.com
        kopanoAliases: a.liddell@example.com
        kopanoAliases: rabbit-hole@example.com
        userPassword: {Slapd.Ssha(AlicePassword)}
        kopanoAccount: 1
        kopanoAdmin: 1
        kopanoEnabledFeatures: imap
        kopanoQuotaOverride: 1
        kopanoQuotaWarn: 104857600
        kopanoQuotaSoft: 209715200
        kopanoQuotaHard: 314572800
        kopanoSendAsPrivilege: 1002

        dn: uid=bob,ou=people,{Slapd.Suffix}
        objectClass: inetOrgPerson
        objectClass: posixAccount
        objectClass: kopano-user
        uid: bob
        cn: Bob Builder
        sn: Builder
        uidNumber: 1002
        gidNumber: 100
        homeDirectory: /home/bob
        mail: bob@example.com
        userPassword: {BobPassword}
        kopanoAccount: 1
        kopanoDisabledFeatures: pop3

        dn: uid=hidden,ou=people,{Slapd.Suffix}
        objectClass: inetOrgPerson
        objectClass: posixAccount
        objectClass: kopano-user
        uid: hidden
        cn: Hidden Person
        sn: Person
        uidNumber: 1003
        gidNumber: 100
        homeDirectory: /home/hidden
        mail: hidden@example.com
        userPassword: hidden
        kopanoHidden: 1

        dn: uid=shared,ou=people,{Slapd.Suffix}
        objectClass: inetOrgPerson
        objectClass: posixAccount
        objectClass: kopano-user
        uid: shared
        cn: Shared Mailbox
        sn: Mailbox
        uidNumber: 1004
        gidNumber: 100
        homeDirectory: /nonexistent
        mail: shared@example.com
        userPassword: shared
        kopanoSharedStoreOnly: 1

        dn: uid=public,ou=people,{Slapd.Suffix}
        objectClass: inetOrgPerson
        objectClass: posixAccount
        objectClass: kopano-user
        uid: public
        cn: public
        sn: public
        uidNumber: 1005
        gidNumber: 100
        homeDirectory: /nonexistent
        mail: public@example.com
        kopanoAccount: 1
        kopanoHidden: 1
        kopanoSharedStoreOnly: 1
        kopanoResourceType: publicFolder:Public Stores/public

        dn: cn=Carol External,ou=people,{Slapd.Suffix}
        objectClass: inetOrgPerson
        objectClass: kopano-contact
        cn: Carol External
        sn: External
        mail: carol@elsewhere.example

        dn: cn=staff,ou=groups,{Slapd.Suffix}
        objectClass: posixGroup
        objectClass: kopano-group
        cn: staff
        gidNumber: 5001
        memberUid: alice
        memberUid: bob
        mail: staff@example.com

        dn: cn=announce,ou=groups,{Slapd.Suffix}
        objectClass: posixGroup
        objectClass: kopano-group
        cn: announce
        gidNumber: 5002
        memberUid: alice
        mail: announce@example.com
        kopanoSecurityGroup: 0

        dn: cn=secret-club,ou=groups,{Slapd.Suffix}
        objectClass: posixGroup
        objectClass: kopano-group
        cn: secret-club
        gidNumber: 5003
        memberUid: hidden
        kopanoHidden: 1

        dn: cn=engineers,ou=groups,{Slapd.Suffix}
        objectClass: groupOfNames
        objectClass: kopano-group
        cn: engineers
        member: uid=bob,ou=people,{Slapd.Suffix}
        member: uid=shared,ou=people,{Slapd.Suffix}
        mail: engineers@example.com

        dn: cn=admins,ou=groups,{Slapd.Suffix}
        objectClass: kopano-addresslist
        cn: admins
        kopanoFilter: (kopanoAdmin=1)

        dn: cn=everyone,ou=groups,{Slapd.Suffix}
        objectClass: kopano-dynamicgroup
        cn: everyone
        mail: everyone@example.com
        kopanoFilter: (kopanoAccount=1)

        dn: ou=globex,{Slapd.Suffix}
        objectClass: organizationalUnit
        objectClass: kopano-company
        ou: globex
        kopanoUserDefaultQuotaOverride: 1
        kopanoUserDefaultQuotaHard: 52428800

        dn: uid=gina,ou=globex,{Slapd.Suffix}
        objectClass: inetOrgPerson
        objectClass: posixAccount
        objectClass: kopano-user
        uid: gina
        cn: Gina Globex
        sn: Globex
        uidNumber: 3001
        gidNumber: 300
        homeDirectory: /home/gina
        mail: gina@globex.example
        userPassword: globex

        """;

    /// <summary>ldap.cfg for the test directory: the OpenLDAP defaults, a reader bind and <paramref name="overrides"/>.</summary>
    public static LdapSettings Settings(string uri, bool hosted = false, IReadOnlyDictionary<string, string>? overrides = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var values = new Dictionary<string, string>
        {
            ["ldap_uri"] = uri,
            ["ldap_search_base"] = Slapd.Suffix,
            ["ldap_bind_user"] = Slapd.ReaderDn,
            ["ldap_bind_passwd"] = Slapd.ReaderPassword,
            ["ldap_network_timeout"] = "5",
            ["ldap_cache_timeout"] = "0",
        };
        foreach (var (name, value) in overrides ?? new Dictionary<string, string>())
            values[name] = value;
        var config = ConfigLoader.LoadFile(ConfigSchema.Ldap, Path.Combine(Path.GetTempPath(), "no-such-ldap.cfg"), environment ?? new Dictionary<string, string>(), values);
        return LdapSettings.From(config, hosted);
    }
}

/// <summary>One slapd with <see cref="TestLdif"/> for the read-only tests of a class.</summary>
public sealed class SlapdFixture : IAsyncLifetime
{
    public Slapd Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await Slapd.StartAsync(TestLdif.Entries);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}

/// <summary>One slapd with TLS, StartTLS and an ldapi socket, holding <see cref="TestLdif"/>.</summary>
public sealed class SlapdTlsFixture : IAsyncLifetime
{
    public Slapd Server { get; private set; } = null!;

    public async Task InitializeAsync() => Server = await Slapd.StartAsync(TestLdif.Entries, tls: true);

    public async Task DisposeAsync() => await Server.DisposeAsync();
}
