using System.Diagnostics;
using Rookery.Directory;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

/// <summary>The one login service of every protocol: failed logins are delayed, then refused per login and per client address.</summary>
public sealed class AuthenticatorTests : IAsyncLifetime
{
    TestDatabase test = null!;
    Authenticator authenticator = null!;
    readonly ShiftedTime time = new();

    static readonly AuthenticationLimits Limits = new()
    {
        FailureDelay = TimeSpan.FromMilliseconds(100),
        MaxFailureDelay = TimeSpan.FromMilliseconds(250),
        MaxFailures = 3,
        Window = TimeSpan.FromMinutes(5),
    };

    /// <summary>The system clock, moved ahead on demand (timers stay real).</summary>
    sealed class ShiftedTime : TimeProvider
    {
        public TimeSpan Offset { get; set; }

        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
    }

    public async Task InitializeAsync()
    {
        test = await TestDatabase.CreateAsync();
        var repository = new SqlDirectoryRepository(test.Database);
        var hasher = new PasswordHasher(20_000);
        foreach (var login in new[] { "alice", "bob", "carol" })
            await repository.CreateUserAsync("db", login, hasher.Hash(login + "-pw"), new UserUpdate());
        authenticator = new Authenticator(new DbUserDirectory(repository), [], Limits, time);
    }

    public async Task DisposeAsync() => await test.DisposeAsync();

    async Task<(LoginOutcome Outcome, TimeSpan Took)> LoginAsync(string login, string password, string client)
    {
        var watch = Stopwatch.StartNew();
        var result = await authenticator.LoginAsync(login, password, Features.Imap, client);
        return (result.Outcome, watch.Elapsed);
    }

    [Fact]
    public async Task Failures_are_answered_later_each_time_and_then_refused_without_a_password_check()
    {
        // each failure waits longer: 100, 200, then 250 ms (the cap)
        var first = await LoginAsync("alice", "guess", "192.0.2.1");
        var second = await LoginAsync("alice", "guess", "192.0.2.1");
        var third = await LoginAsync("alice", "guess", "192.0.2.1");
        Assert.Equal([LoginOutcome.Failed, LoginOutcome.Failed, LoginOutcome.Failed], new[] { first.Outcome, second.Outcome, third.Outcome });
        Assert.True(first.Took >= TimeSpan.FromMilliseconds(95), $"first failure answered after {first.Took}");
        Assert.True(second.Took >= TimeSpan.FromMilliseconds(195), $"second failure answered after {second.Took}");
        Assert.True(third.Took >= TimeSpan.FromMilliseconds(245), $"third failure answered after {third.Took}");

        // the right password no longer helps alice, from anywhere, nor anyone from that address
        Assert.Equal(LoginOutcome.Throttled, (await LoginAsync("alice", "alice-pw", "192.0.2.1")).Outcome);
        Assert.Equal(LoginOutcome.Throttled, (await LoginAsync("alice", "alice-pw", "198.51.100.7")).Outcome);
        var neighbour = await LoginAsync("bob", "bob-pw", "192.0.2.1");
        Assert.Equal(LoginOutcome.Throttled, neighbour.Outcome);
        Assert.True(neighbour.Took >= TimeSpan.FromMilliseconds(95), $"a refusal is answered after {neighbour.Took}");
        // others elsewhere are not affected
        Assert.Equal(LoginOutcome.Success, (await LoginAsync("bob", "bob-pw", "198.51.100.7")).Outcome);

        // after the window, alice logs in again, and a success clears her count
        time.Offset = Limits.Window + TimeSpan.FromSeconds(1);
        Assert.Equal(LoginOutcome.Success, (await LoginAsync("alice", "alice-pw", "192.0.2.1")).Outcome);
        Assert.Equal(LoginOutcome.Failed, (await LoginAsync("alice", "guess", "198.51.100.7")).Outcome);
        Assert.Equal(LoginOutcome.Success, (await LoginAsync("alice", "alice-pw", "198.51.100.7")).Outcome);
    }

    [Fact]
    public async Task Guessing_many_logins_from_one_address_is_refused_per_address()
    {
        Assert.Equal(LoginOutcome.Failed, (await LoginAsync("alice", "guess", "203.0.113.9")).Outcome);
        Assert.Equal(LoginOutcome.Failed, (await LoginAsync("bob", "guess", "203.0.113.9")).Outcome);
        Assert.Equal(LoginOutcome.Failed, (await LoginAsync("nobody", "guess", "203.0.113.9")).Outcome);
        // three different logins, one address: the address is refused, for a valid password too
        Assert.Equal(LoginOutcome.Throttled, (await LoginAsync("carol", "carol-pw", "203.0.113.9")).Outcome);
        // the logins themselves failed once each only
        Assert.Equal(LoginOutcome.Success, (await LoginAsync("alice", "alice-pw", "192.0.2.50")).Outcome);
        Assert.Equal(LoginOutcome.Success, (await LoginAsync("carol", "carol-pw", "192.0.2.50")).Outcome);
    }
}
