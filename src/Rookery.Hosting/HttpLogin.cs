using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Rookery.Common.Sasl;
using Rookery.Directory;

namespace Rookery.Hosting;

/// <summary>
/// Logging users in over HTTP with the one login service every protocol uses: HTTP Basic (RFC 7617) over TLS or
/// from this machine, and Bearer tokens (RFC 6750) where a token validator is configured. Failures are throttled
/// and logged by the <see cref="Authenticator"/>, as IMAP's are.
/// </summary>
public static class HttpLogin
{
    public const string Realm = "Rookery";

    /// <summary>The endpoint answers only a logged-in user who may use <paramref name="feature"/> (imap, pop3, … as disabled_features names them).</summary>
    public static TBuilder RequireLogin<TBuilder>(this TBuilder builder, string feature) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new LoginRequirement(feature));

    /// <summary>The user the request is from, on an endpoint that requires a login.</summary>
    public static UserAccount LoggedInUser(this HttpContext context) =>
        context.Features.Get<LoggedIn>()?.User ?? throw new InvalidOperationException("the endpoint does not require a login (RequireLogin)");

    sealed record LoginRequirement(string Feature);

    sealed record LoggedIn(UserAccount User);

    /// <summary>Checks the credentials of requests for endpoints that require a login; the rest pass untouched.</summary>
    internal sealed class Middleware(RequestDelegate next, Authenticator authenticator)
    {
        public async Task InvokeAsync(HttpContext context)
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<LoginRequirement>() is not { } requirement)
            {
                await next(context);
                return;
            }
            var remote = context.Connection.RemoteIpAddress;
            var client = remote?.ToString() ?? "local";
            // like the mail protocols: a password travels only inside TLS, or stays on this machine
            var mayTakePassword = context.Request.IsHttps || remote is null || IPAddress.IsLoopback(remote);
            var header = context.Request.Headers.Authorization.ToString();
            SaslCredentials? credentials = null;
            if (header.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase))
            {
                if (!mayTakePassword)
                {
                    await RefuseAsync(context, StatusCodes.Status403Forbidden, "Passwords are not taken over plain HTTP: use HTTPS");
                    return;
                }
                credentials = Basic(header[6..].Trim());
            }
            else if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) && authenticator.AcceptsTokens)
            {
                credentials = new SaslCredentials("", "", header[7..].Trim(), CredentialKind.BearerToken);
            }
            if (credentials is null)
            {
                await ChallengeAsync(context, mayTakePassword, "Log in to use this");
                return;
            }
            var result = await authenticator.LoginAsync(credentials, requirement.Feature, "HTTP", client, context.RequestAborted);
            switch (result.Outcome)
            {
                case LoginOutcome.Success:
                    context.Features.Set(new LoggedIn(result.User!));
                    await next(context);
                    return;
                case LoginOutcome.FeatureDisabled or LoginOutcome.NotActive:
                    await RefuseAsync(context, StatusCodes.Status403Forbidden, result.Outcome.Describe(requirement.Feature));
                    return;
                case LoginOutcome.Unavailable:
                    context.Response.Headers.RetryAfter = "30";
                    await RefuseAsync(context, StatusCodes.Status503ServiceUnavailable, result.Outcome.Describe(requirement.Feature));
                    return;
                default:
                    await ChallengeAsync(context, mayTakePassword, result.Outcome.Describe(requirement.Feature));
                    return;
            }
        }

        /// <summary>RFC 7617: base64 of <c>user-id ":" password</c> in UTF-8; null when it is not that.</summary>
        static SaslCredentials? Basic(string encoded)
        {
            if (!SaslPlain.TryBase64(encoded, out var text))
                return null;
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            return colon <= 0 ? null : new SaslCredentials("", text[..colon], text[(colon + 1)..]);
        }

        Task ChallengeAsync(HttpContext context, bool offerBasic, string message)
        {
            var schemes = new List<string>();
            if (offerBasic)
                schemes.Add($"Basic realm=\"{Realm}\", charset=\"UTF-8\"");
            if (authenticator.AcceptsTokens)
                schemes.Add($"Bearer realm=\"{Realm}\"");
            if (schemes.Count == 0)
                return RefuseAsync(context, StatusCodes.Status403Forbidden, "Passwords are not taken over plain HTTP: use HTTPS");
            context.Response.Headers.WWWAuthenticate = schemes.ToArray();
            return RefuseAsync(context, StatusCodes.Status401Unauthorized, message);
        }

        static Task RefuseAsync(HttpContext context, int status, string message)
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = "text/plain; charset=utf-8";
            return context.Response.WriteAsync(message + "\n", context.RequestAborted);
        }
    }
}
