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

    sealed class Tokens(string token, string login) : IBearerTokenValidator
    {
        public Task<string?> LoginOfAsync(string presented, CancellationToken cancellationToken = default) =>
            Task.FromResult(presented == token ? login : null);
    }

    sealed class Lines : Microsoft.Extensions.Logging.ILogger
    {
        public List<string> Written { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception,
            Func<TState, Exception?, string> formatter)
        {
            lock (Written)
                Written.Add($"{logLevel}: {formatter(state, exception)}");
        }
    }

    [Fact]
    public async Task Sasl_credentials_log_in_once_for_every_protocol_and_every_outcome_is_logged()
    {
        var lines = new Lines();
        var service = new Authenticator(new DbUserDirectory(new SqlDirectoryRepository(test.Database)), ["pop3"], Limits, time)
        {
            Logger = lines,
            Tokens = new Tokens("good-token", "bob"),
        };
        Assert.True(service.AcceptsTokens);

        Assert.Equal(LoginOutcome.Success, (await service.LoginAsync(new Common.Sasl.SaslCredentials("", "alice", "alice-pw"), Features.Imap, "IMAP", "192.0.2.7")).Outcome);
        Assert.Equal(LoginOutcome.FeatureDisabled, (await service.LoginAsync(new Common.Sasl.SaslCredentials("", "alice", "alice-pw"), Features.Pop3, "POP3", "192.0.2.7")).Outcome);
        Assert.Equal(LoginOutcome.AuthorizationFailed, (await service.LoginAsync(new Common.Sasl.SaslCredentials("bob", "alice", "alice-pw"), Features.Imap, "IMAP", "192.0.2.7")).Outcome);
        Assert.Equal(LoginOutcome.Failed, (await service.LoginAsync(new Common.Sasl.SaslCredentials("", "alice", "wrong"), Features.Imap, "IMAP", "192.0.2.8")).Outcome);

        var byToken = await service.LoginAsync(new Common.Sasl.SaslCredentials("", "", "good-token", Common.Sasl.CredentialKind.BearerToken), Features.Imap, "IMAP", "192.0.2.9");
        Assert.Equal((LoginOutcome.Success, "bob"), (byToken.Outcome, byToken.User!.Login));
        // a token for bob does not log in alice, and a forged one nobody
        Assert.Equal(LoginOutcome.Failed, (await service.LoginAsync(new Common.Sasl.SaslCredentials("", "alice", "good-token", Common.Sasl.CredentialKind.BearerToken), Features.Imap, "IMAP", "192.0.2.9")).Outcome);
        Assert.Equal(LoginOutcome.Failed, (await service.LoginAsync(new Common.Sasl.SaslCredentials("", "bob", "forged", Common.Sasl.CredentialKind.BearerToken), Features.Imap, "IMAP", "192.0.2.9")).Outcome);
        // without a validator no token is taken
        Assert.False(authenticator.AcceptsTokens);
        Assert.Equal(LoginOutcome.Failed, (await authenticator.LoginAsync(new Common.Sasl.SaslCredentials("", "bob", "good-token", Common.Sasl.CredentialKind.BearerToken), Features.Imap, "IMAP", "192.0.2.10")).Outcome);

        Assert.Equal(
        [
            "Information: IMAP login alice from 192.0.2.7",
            "Warning: POP3 login failed for alice from 192.0.2.7: FeatureDisabled",
            "Warning: IMAP login failed for alice from 192.0.2.7: AuthorizationFailed",
            "Warning: IMAP login failed for alice from 192.0.2.8: Failed",
            "Information: IMAP login bob from 192.0.2.9",
            "Warning: IMAP login failed for alice from 192.0.2.9: Failed",
            "Warning: IMAP login failed for bob from 192.0.2.9: Failed",
        ], lines.Written);
        Assert.DoesNotContain(lines.Written, l => l.Contains("pw", StringComparison.Ordinal) || l.Contains("token", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_protocol_says_the_same_words_for_an_outcome()
    {
        Assert.Equal("IMAP is not enabled for this account", LoginOutcome.FeatureDisabled.Describe("IMAP"));
        Assert.Equal("Invalid credentials", LoginOutcome.Failed.Describe("POP3"));
        Assert.Equal("Invalid credentials", LoginOutcome.Throttled.Describe("POP3")); // no hint that guessing was noticed
        Assert.Equal("Logging in as another user is not supported", LoginOutcome.AuthorizationFailed.Describe("SMTP"));
    }
}
