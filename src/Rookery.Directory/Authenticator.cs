using System.Collections.Concurrent;

namespace Rookery.Directory;

public enum LoginOutcome
{
    Success,
    /// <summary>Wrong login or password; the caller says so without telling which.</summary>
    Failed,
    /// <summary>The account may not use this protocol (disabled_features, or the user's own setting).</summary>
    FeatureDisabled,
    /// <summary>A non-active account: its store receives mail but nobody logs in as it.</summary>
    NotActive,
    /// <summary>Too many recent failures for this login or from this address.</summary>
    Throttled,
    /// <summary>The directory cannot be asked now (LDAP down): try again later.</summary>
    Unavailable,
}

public sealed record LoginResult(LoginOutcome Outcome, UserAccount? User = null);

/// <summary>Limits on password guessing, the same for every protocol.</summary>
public sealed record AuthenticationLimits
{
    /// <summary>How long a failed attempt waits before it is answered; doubles with each recent failure, up to <see cref="MaxFailureDelay"/>.</summary>
    public TimeSpan FailureDelay { get; init; } = TimeSpan.FromSeconds(2);
    public TimeSpan MaxFailureDelay { get; init; } = TimeSpan.FromSeconds(15);
    /// <summary>Failures within <see cref="Window"/> after which a login, or a client address, is refused without a password check.</summary>
    public int MaxFailures { get; init; } = 10;
    public TimeSpan Window { get; init; } = TimeSpan.FromMinutes(5);
}

/// <summary>
/// The one way any protocol logs a user in (DESIGN.md §5): the password check of the user
/// plugin, the feature check, and throttling of failures per login and per client address.
/// </summary>
public sealed class Authenticator(IUserDirectory directory, IReadOnlyCollection<string> disabledFeatures, AuthenticationLimits limits, TimeProvider time)
{
    readonly ConcurrentDictionary<string, FailureRecord> failures = new(StringComparer.OrdinalIgnoreCase);

    sealed class FailureRecord
    {
        public int Count;
        public DateTimeOffset First;
    }

    public AuthenticationLimits Limits => limits;

    /// <param name="feature">The protocol's feature name (imap, pop3…), checked against disabled_features and the user's settings.</param>
    /// <param name="client">The client's address, for throttling.</param>
    public async Task<LoginResult> LoginAsync(string login, string password, string feature, string client, CancellationToken cancellationToken = default)
    {
        var userKey = "user:" + login;
        var clientKey = "addr:" + client;
        if (RecentFailures(userKey) >= limits.MaxFailures || RecentFailures(clientKey) >= limits.MaxFailures)
        {
            await Task.Delay(limits.FailureDelay, time, cancellationToken);
            return new LoginResult(LoginOutcome.Throttled);
        }
        AuthenticationResult result;
        try
        {
            result = await directory.AuthenticateAsync(login, password, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new LoginResult(LoginOutcome.Unavailable);
        }
        switch (result.Outcome)
        {
            case AuthenticationOutcome.Unavailable:
                return new LoginResult(LoginOutcome.Unavailable);
            case AuthenticationOutcome.Failed:
            case AuthenticationOutcome.Success when result.User is null:
                var count = Math.Max(Fail(userKey), Fail(clientKey));
                var delay = limits.FailureDelay * Math.Pow(2, Math.Min(count - 1, 10));
                await Task.Delay(delay < limits.MaxFailureDelay ? delay : limits.MaxFailureDelay, time, cancellationToken);
                return new LoginResult(LoginOutcome.Failed);
        }
        var user = result.User!;
        failures.TryRemove(userKey, out _);
        if (!user.Active)
            return new LoginResult(LoginOutcome.NotActive, user);
        if (!Features.IsEnabled(user, feature, disabledFeatures))
            return new LoginResult(LoginOutcome.FeatureDisabled, user);
        return new LoginResult(LoginOutcome.Success, user);
    }

    int RecentFailures(string key)
    {
        if (!failures.TryGetValue(key, out var record))
            return 0;
        lock (record)
        {
            if (time.GetUtcNow() - record.First <= limits.Window)
                return record.Count;
        }
        failures.TryRemove(key, out _);
        return 0;
    }

    int Fail(string key)
    {
        var record = failures.GetOrAdd(key, _ => new FailureRecord { First = time.GetUtcNow() });
        lock (record)
        {
            if (time.GetUtcNow() - record.First > limits.Window)
            {
                record.First = time.GetUtcNow();
                record.Count = 0;
            }
            return ++record.Count;
        }
    }
}
