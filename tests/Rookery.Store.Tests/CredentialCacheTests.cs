using Rookery.Directory;
using Rookery.Store.Sql;

namespace Rookery.Store.Tests;

/// <summary>Recent password checks remembered (auth_cache_*): repeated logins skip the slow hash, and nothing stale is ever let in.</summary>
public sealed class CredentialCacheTests
{
    /// <summary>A clock that moves only when told to.</summary>
    sealed class ManualTime : TimeProvider
    {
        long ticks = 1_000_000;
        public override long TimestampFrequency => TimeSpan.TicksPerSecond;
        public override long GetTimestamp() => ticks;
        public void Advance(TimeSpan by) => ticks += by.Ticks;
    }

    readonly ManualTime time = new();
    int checks;

    bool Check(string password, string stored)
    {
        checks++;
        return password + "-hash" == stored;
    }

    CredentialCache Cache(long size = 1 << 20, int ttl = 60, int negativeTtl = 10) =>
        new(new CredentialCacheSettings { SizeBytes = size, Ttl = TimeSpan.FromSeconds(ttl), NegativeTtl = TimeSpan.FromSeconds(negativeTtl) }, time);

    [Fact]
    public void A_verified_password_is_checked_once_per_ttl()
    {
        var cache = Cache();
        Assert.True(cache.Verify("alice", "pw", "pw-hash", Check));
        Assert.True(cache.Verify("alice", "pw", "pw-hash", Check));
        time.Advance(TimeSpan.FromSeconds(59));
        Assert.True(cache.Verify("alice", "pw", "pw-hash", Check));
        Assert.Equal(1, checks);
        time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(cache.Verify("alice", "pw", "pw-hash", Check));
        Assert.Equal(2, checks);
    }

    [Fact]
    public void Another_password_login_or_stored_hash_is_checked_afresh()
    {
        var cache = Cache();
        Assert.True(cache.Verify("alice", "pw", "pw-hash", Check));
        Assert.False(cache.Verify("alice", "pw2", "pw-hash", Check));
        Assert.False(cache.Verify("alice", "pw", "new-hash", Check)); // the password was changed
        Assert.True(cache.Verify("bob", "pw", "pw-hash", Check));
        // the NUL between the parts keeps "al" + "icepw" apart from "alice" + "pw"
        Assert.False(cache.Verify("al", "icepw", "pw-hash", Check));
        Assert.Equal(5, checks);
    }

    [Fact]
    public void A_refused_password_is_remembered_for_the_negative_ttl_and_never_turns_into_a_good_one()
    {
        var cache = Cache();
        Assert.False(cache.Verify("alice", "guess", "pw-hash", Check));
        Assert.False(cache.Verify("alice", "guess", "pw-hash", Check));
        Assert.Equal(1, checks);
        time.Advance(TimeSpan.FromSeconds(11));
        Assert.False(cache.Verify("alice", "guess", "pw-hash", Check));
        Assert.Equal(2, checks);
        // once the password is set to what was refused, the stored hash is another one: it is checked
        Assert.True(cache.Verify("alice", "guess", "guess-hash", Check));

        var forgetful = Cache(negativeTtl: 0);
        checks = 0;
        Assert.False(forgetful.Verify("alice", "guess", "pw-hash", Check));
        Assert.False(forgetful.Verify("alice", "guess", "pw-hash", Check));
        Assert.Equal(2, checks);
    }

    [Fact]
    public void The_cache_keeps_within_its_size_and_size_zero_remembers_nothing()
    {
        var max = 100;
        var cache = Cache(size: max * CredentialCacheSettings.EntryBytes);
        for (var i = 0; i < 1000; i++)
            Assert.True(cache.Verify($"user{i}", "pw", "pw-hash", Check));
        Assert.InRange(cache.Count, 1, max);
        // the newest are still there
        checks = 0;
        Assert.True(cache.Verify("user999", "pw", "pw-hash", Check));
        Assert.Equal(0, checks);

        var off = Cache(size: 0);
        Assert.True(off.Verify("alice", "pw", "pw-hash", Check));
        Assert.True(off.Verify("alice", "pw", "pw-hash", Check));
        Assert.Equal(2, checks);
        Assert.Equal(0, off.Count);
    }

    /// <summary>Through the db user plugin: a changed password takes effect at once, the old one is refused.</summary>
    [Fact]
    public async Task A_changed_password_is_refused_at_once_through_the_db_plugin()
    {
        await using var test = await TestDatabase.CreateAsync();
        var repository = new SqlDirectoryRepository(test.Database);
        var hasher = new PasswordHasher(10_000);
        await repository.CreateUserAsync("db", "alice", hasher.Hash("old"), new UserUpdate());
        var cache = new CredentialCache(new CredentialCacheSettings(), time);
        var directory = new DbUserDirectory(repository, cache);

        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", "old")).Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("alice", "new")).Outcome);
        Assert.Equal(2, cache.Count);

        await repository.UpdateUserAsync("db", "alice", new UserUpdate(), hasher.Hash("new"));
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("alice", "old")).Outcome);
        Assert.Equal(AuthenticationOutcome.Success, (await directory.AuthenticateAsync("alice", "new")).Outcome);
        // unknown users are checked against a stand-in hash and refused, cached or not
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("nobody", "old")).Outcome);
        Assert.Equal(AuthenticationOutcome.Failed, (await directory.AuthenticateAsync("nobody", "old")).Outcome);
    }
}
