using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Rookery.Common.Configuration;

namespace Rookery.Hosting;

/// <summary>
/// One part of Rookery that <c>rookery serve</c> runs (server, dagent, gateway; later ical, spooler, monitor,
/// konnect, kapi, webapp, activesync), under the name an administrator of the original knows. It declares what
/// it needs from the host; the host binds, maps and starts it, and lists it in the banner and in
/// <c>serve --only</c>.
/// </summary>
public interface IRookeryComponent
{
    /// <summary>The component's name (server, dagent, gateway…): <c>serve --only</c> and the banner use it.</summary>
    string Name { get; }

    /// <summary>Its configuration file's parameters (<c>rookery config params</c> lists them).</summary>
    ComponentSchema Schema { get; }

    /// <summary>The mail protocol listeners it serves (IMAP, POP3, LMTP, socketmap), each with its session.</summary>
    IReadOnlyList<MailListener> MailListeners => [];

    /// <summary>The HTTP listeners its endpoints answer on; several components may share one.</summary>
    IReadOnlyList<WebListener> HttpListeners => [];

    /// <summary>Registers its hosted services (background jobs) and anything its endpoints take from the container.</summary>
    void ConfigureServices(IServiceCollection services)
    {
    }

    /// <summary>
    /// Maps its HTTP endpoints, under its own path prefix (<c>/api/gc</c>, <c>/caldav</c>…); they answer only on
    /// its <see cref="HttpListeners"/>. An endpoint that needs a user says so with <see cref="HttpLogin.RequireLogin{T}"/>.
    /// </summary>
    void MapEndpoints(IEndpointRouteBuilder endpoints)
    {
    }

    /// <summary>Whether it can do its work now; the host's <c>/health</c> reports every component's.</summary>
    Task<ComponentHealth> CheckHealthAsync(CancellationToken cancellationToken) => Task.FromResult(ComponentHealth.Ok);

    /// <summary>Runs once every listener is bound (permissions on unix sockets, say).</summary>
    void Started()
    {
    }
}

/// <summary>A component's health: ok, or what is wrong, per thing it checked.</summary>
public sealed record ComponentHealth(bool Healthy, IReadOnlyDictionary<string, string> Checks)
{
    public static ComponentHealth Ok { get; } = new(true, new Dictionary<string, string>());
}

/// <summary>A mail listener: where, how connections are treated before the session, and the session.</summary>
/// <param name="Service">The name the banner gives it (imap, imaps, lmtp…).</param>
public sealed record MailListener(string Service, ListenAddress Address, MailListenerOptions Options, MailSession Session)
{
    /// <summary>The mode and group a unix socket gets once bound; null: as created.</summary>
    public UnixSocketPermissions? Permissions { get; init; }
}

/// <summary>An HTTP listener: where, and whether it speaks TLS (with the host's certificate).</summary>
public sealed record WebListener(ListenAddress Address, bool Tls);
