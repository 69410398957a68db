using System.Diagnostics;
using Rookery.Store.Tests;

namespace Rookery.Tests;

/// <summary>
/// deploy/postfix's LDAP query files, as shipped (only server_host changed), asked by Postfix's own
/// LDAP client (postmap -q) against a throwaway slapd with TestLdif's entries.
/// </summary>
public sealed class PostfixLdapFilesTests : IAsyncLifetime
{
    const string PostfixLdap = "/usr/lib/postfix/postfix-ldap.so";
    Slapd slapd = null!;
    readonly string directory = Path.Combine(Path.GetTempPath(), "rookery-postfix-ldap-" + Guid.NewGuid().ToString("N")[..12]);

    public async Task InitializeAsync()
    {
        if (!File.Exists(PostfixLdap))
            return;
        slapd = await Slapd.StartAsync(TestLdif.Entries);
        System.IO.Directory.CreateDirectory(directory);
        await File.WriteAllTextAsync(Path.Combine(directory, "main.cf"), "compatibility_level = 3.6\n");
        foreach (var file in System.IO.Directory.GetFiles(Path.Combine(Slapd.RepositoryRoot, "deploy", "postfix"), "ldap-*.cf"))
        {
            var text = (await File.ReadAllTextAsync(file)).Replace("server_host = ldap://localhost:389", "server_host = " + slapd.Uri, StringComparison.Ordinal);
            Assert.Contains(slapd.Uri, text);
            Assert.Contains($"search_base = {Slapd.Suffix}", text);
            await File.WriteAllTextAsync(Path.Combine(directory, Path.GetFileName(file)), text);
        }
    }

    public async Task DisposeAsync()
    {
        if (slapd is not null)
            await slapd.DisposeAsync();
        if (System.IO.Directory.Exists(directory))
            System.IO.Directory.Delete(directory, recursive: true);
    }

    /// <summary>postmap -q KEY ldap:FILE: the value, or null when not found (exit 1).</summary>
    async Task<string?> QueryAsync(string file, string key)
    {
        var start = new ProcessStartInfo("/usr/sbin/postmap") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-c", directory, "-q", key, "ldap:" + Path.Combine(directory, file) })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode is 0 or 1, $"postmap exited {process.ExitCode}: {error}");
        return process.ExitCode == 0 ? (await output).TrimEnd('\n') : null;
    }

    [SkippableLdapFact]
    public async Task The_shipped_query_files_find_users_aliases_and_group_members()
    {
        Assert.Equal("alice@example.com", await QueryAsync("ldap-users.cf", "alice@example.com"));
        Assert.Equal("public@example.com", await QueryAsync("ldap-users.cf", "public@example.com"));
        Assert.Null(await QueryAsync("ldap-users.cf", "nobody@example.com"));
        Assert.Null(await QueryAsync("ldap-users.cf", "a.liddell@example.com"));

        Assert.Equal("alice@example.com", await QueryAsync("ldap-aliases.cf", "a.liddell@example.com"));
        Assert.Null(await QueryAsync("ldap-aliases.cf", "alice@example.com"));

        Assert.Equal("alice,bob", await QueryAsync("ldap-groups.cf", "staff@example.com"));
        Assert.Null(await QueryAsync("ldap-groups.cf", "alice@example.com"));
        Assert.Equal("alice@example.com", await QueryAsync("ldap-groups-expand.cf", "alice"));
        Assert.Equal("bob@example.com", await QueryAsync("ldap-groups-expand.cf", "bob"));
    }

    /// <summary>Skipped with the reason when Postfix's LDAP map type is missing (test.sh installs postfix-ldap).</summary>
    sealed class SkippableLdapFactAttribute : FactAttribute
    {
        public SkippableLdapFactAttribute()
        {
            if (!Postfix.IsInstalled || !File.Exists(PostfixLdap))
                Skip = "Postfix's LDAP map type is not installed (apt-get install postfix-ldap; test.sh installs it)";
        }
    }
}
