using System.Diagnostics;
using Rookery.Directory;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

public sealed class UnixDirectoryTests : IAsyncLifetime
{
    TestDatabase test = null!;
    SqlDirectoryRepository repository = null!;
    UnixUserDirectory directory = null!;

    public async Task InitializeAsync()
    {
        test = await TestDatabase.CreateAsync();
        repository = new SqlDirectoryRepository(test.Database);
        var etc = Path.Combine(test.Directory, "etc");
        System.IO.Directory.CreateDirectory(etc);
        File.WriteAllText(Path.Combine(etc, "passwd"), string.Join('\n',
            "root:x:0:0:root:/root:/bin/bash",
            "alice:x:1001:1001:Alice Liddell,Room 1,,:/home/alice:/bin/bash",
            "bob:x:1002:100:Bob:/home/bob:/bin/sh",
            "shared:x:1003:1003:Shared Mailbox:/nonexistent:/bin/false",
            "skipped:x:1004:1004:Excepted:/home/skipped:/bin/bash",
            "system:x:999:999:System:/:/usr/sbin/nologin",
            ""));
        File.WriteAllText(Path.Combine(etc, "group"), string.Join('\n',
            "root:x:0:",
            "users:x:100:",
            "alice:x:1001:",
            "staff:x:1500:alice,shared,root",
            ""));
        File.WriteAllText(Path.Combine(etc, "shadow"), string.Join('\n',
            "root:*:19000:0:99999:7:::",
            $"alice:{OpenSslPasswd("-6", "wonderland")}:19000:0:99999:7:::",
            $"bob:{OpenSslPasswd("-5", "builder")}:19000:0:99999:7:::",
            $"shared:{OpenSslPasswd("-6", "x")}:19000:0:99999:7:::",
            "skipped:!:19000:0:99999:7:::",
            ""));
        directory = new UnixUserDirectory(new UnixDirectoryOptions
        {
            ExceptUserUids = [1004],
            ExceptGroupGids = [1001],
            DefaultDomain = "example.org",
            PasswdFile = Path.Combine(etc, "passwd"),
            GroupFile = Path.Combine(etc, "group"),
            ShadowFile = Path.Combine(etc, "shadow"),
        }, repository);
    }

    public async Task DisposeAsync() => await test.DisposeAsync();

    static string OpenSslPasswd(string method, string password)
    {
        var start = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in new[] { "passwd", method, password })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var hash = process.StandardOutput.ReadToEnd().Trim();
        process.WaitForExit();
        return hash;
    }

    [Fact]
    public async Task Users_come_from_passwd_within_the_uid_range()
    {
        var users = await directory.ListUsersAsync();
        Assert.Equal(["alice", "bob", "shared"], users.Select(u => u.Login));
        var alice = users[0];
        Assert.Equal("Alice Liddell", alice.FullName);
        Assert.Equal("alice@example.org", alice.Email);
        Assert.True(alice.Active);
        Assert.False(users[2].Active); // non_login_shell
    }

    [Fact]
    public async Task Passwords_are_checked_against_shadow_hashes()
    {
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", "wonderland")).Outcome);
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("bob", "builder")).Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("alice", "Wonderland")).Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("shared", "x")).Outcome); // non-active
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("skipped", "")).Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("root", "")).Outcome);
    }

    [Fact]
    public async Task Groups_come_from_group_with_listed_and_primary_members()
    {
        var groups = await directory.ListGroupsAsync();
        Assert.Equal(["staff"], groups.Select(g => g.Name)); // users (100) and alice (1001, excepted) are out of range
        Assert.Equal(["alice", "shared"], groups[0].Members);
        Assert.Equal(["staff"], (await directory.FindUserAsync("alice"))!.Groups);
    }

    [Fact]
    public async Task Extra_properties_are_kept_in_the_database()
    {
        await repository.CreateUserAsync(UnixUserDirectory.Source, "bob", "", new UserUpdate
        {
            Email = "bob@builders.example",
            IsAdmin = true,
            QuotaOverride = true,
            QuotaHard = 10,
            EnableFeatures = ["imap"],
        });

        var bob = (await directory.FindUserAsync("bob"))!;
        Assert.Equal("bob@builders.example", bob.Email);
        Assert.True(bob.IsAdmin);
        Assert.Equal(10, bob.QuotaHard);
        Assert.Equal(["imap"], bob.EnabledFeatures);
        Assert.Equal("bob", (await directory.FindByAddressAsync("BOB@builders.example"))?.Login);
        // the database row carries no password: logins still check /etc/shadow
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("bob", "builder")).Outcome);
        Assert.Equal("unix:bob", bob.StoreOwner);
        Assert.Equal("bob", (await directory.FindByStoreOwnerAsync("unix:bob"))?.Login);
    }
}
