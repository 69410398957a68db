using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Rookery.Common.Sasl;

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
    /// <summary>The client asked to act as another user (a SASL authorization identity), which is not supported.</summary>
    AuthorizationFailed,
}

public static class LoginOutcomes
{
    /// <summary>What a protocol tells the client, the same words in every protocol; each adds its own code (IMAP's [CONTACTADMIN], POP3's [AUTH]…).</summary>
    public static string Describe(this LoginOutcome outcome, string protocol) => outcome switch
    {
        LoginOutcome.Success => "Logged in",
        LoginOutcome.FeatureDisabled => $"{protocol} is not enabled for this account",
        LoginOutcome.NotActive => "This account cannot log in (it is a shared store)",
        LoginOutcome.Unavailable => "The user directory is unavailable; try again later",
        LoginOutcome.AuthorizationFailed => "Logging in as another user is not supported",
        _ => "Invalid credentials", // a throttled client learns no more than a wrong password tells
    };
}

/// <summary>Checks a bearer token (OAUTHBEARER, XOAUTH2, HTTP Authorization: Bearer): an OpenID Connect issuer's.</summary>
public interface IBearerTokenValidator
{
    /// <summary>The login the token was issued to, when it is valid now for this server; null otherwise.</summary>
    Task<string?> LoginOfAsync(string token, CancellationToken cancellationToken = default);
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

    /// <summary>Where every login is logged, once, whatever the protocol: successes at Information, failures at Warning with the client's address (fail2ban reads them).</summary>
    public ILogger? Logger { get; init; }

    /// <summary>Checks bearer tokens; null: no token is accepted, and the token mechanisms are not offered.</summary>
    public IBearerTokenValidator? Tokens { get; init; }

    /// <summary>Whether bearer tokens can log in (OAUTHBEARER and XOAUTH2 are offered).</summary>
    public bool AcceptsTokens => Tokens is not null;

    /// <summary>
    /// Logs in with what a SASL exchange (or HTTP Basic, or a Bearer header) produced: a password or a token, for the
    /// user it names, and logs the outcome.
    /// </summary>
    /// <param name="protocol">The protocol's name in the log (IMAP, POP3, HTTP…).</param>
    public async Task<LoginResult> LoginAsync(SaslCredentials credentials, string feature, string protocol, string client, CancellationToken cancellationToken = default)
    {
        LoginResult result;
        if (credentials.AuthorizationId.Length > 0 && credentials.AuthorizationId != credentials.Login
            && !(credentials.Kind == CredentialKind.BearerToken && credentials.Login.Length == 0))
            result = new LoginResult(LoginOutcome.AuthorizationFailed);
        else if (credentials.Kind == CredentialKind.BearerToken)
            result = await TokenLoginAsync(credentials, feature, client, cancellationToken);
        else
            result = await LoginAsync(credentials.Login, credentials.Secret, feature, client, cancellationToken);
        var login = result.User?.Login ?? credentials.Login;
        if (result.Outcome == LoginOutcome.Success)
            Logger?.LogInformation("{Protocol} login {Login} from {Client}", protocol, login, client);
        else
            Logger?.LogWarning("{Protocol} login failed for {Login} from {Client}: {Outcome}", protocol, login, client, result.Outcome);
        return result;
    }

    async Task<LoginResult> TokenLoginAsync(SaslCredentials credentials, string feature, string client, CancellationToken cancellationToken)
    {
        var clientKey = "addr:" + client;
        if (Tokens is null || RecentFailures(clientKey) >= limits.MaxFailures)
            return await FailAsync(cancellationToken, clientKey);
        string? login;
        UserAccount? user;
        try
        {
            login = await Tokens.LoginOfAsync(credentials.Secret, cancellationToken);
            user = login is null || (credentials.Login.Length > 0 && !credentials.Login.Equals(login, StringComparison.OrdinalIgnoreCase))
                ? null
                : await directory.FindUserAsync(login, cancellationToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return new LoginResult(LoginOutcome.Unavailable);
        }
        if (user is null)
            return await FailAsync(cancellationToken, clientKey);
        return Admit(user, feature);
    }

    /// <summary>Counts a failure against each key and answers it after a delay that doubles with the recent failures.</summary>
    async Task<LoginResult> FailAsync(CancellationToken cancellationToken, params string[] keys)
    {
        var count = keys.Max(Fail);
        var delay = limits.FailureDelay * Math.Pow(2, Math.Min(count - 1, 10));
        await Task.Delay(delay < limits.MaxFailureDelay ? delay : limits.MaxFailureDelay, time, cancellationToken);
        return new LoginResult(LoginOutcome.Failed);
    }

    LoginResult Admit(UserAccount user, string feature)
    {
        if (!user.Active)
            return new LoginResult(LoginOutcome.NotActive, user);
        if (!Features.IsEnabled(user, feature, disabledFeatures))
            return new LoginResult(LoginOutcome.FeatureDisabled, user);
        return new LoginResult(LoginOutcome.Success, user);
    }

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
                return await FailAsync(cancellationToken, userKey, clientKey);
        }
        var user = result.User!;
        failures.TryRemove(userKey, out _);
        return Admit(user, feature);
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
