using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Rookery.Common.Configuration;
using Rookery.Directory;

namespace Rookery.Hosting;

/// <summary>What the host needs besides its components.</summary>
public sealed record HostSettings
{
    /// <summary>The one login service: HTTP endpoints that require a login use it.</summary>
    public required Authenticator Authenticator { get; init; }

    /// <summary>The certificate of the HTTP listeners that speak TLS; null when none does.</summary>
    public X509Certificate2? Certificate { get; init; }

    /// <summary>Sets up logging (the host clears ASP.NET's providers first).</summary>
    public Action<ILoggingBuilder>? ConfigureLogging { get; init; }
}

/// <summary>
/// Builds the one Kestrel server of a Rookery process from its components: every mail listener on the mail
/// socket transport with its session, every HTTP listener in one pipeline where each component's endpoints
/// answer on its own listeners, the login middleware, and <c>GET /health</c> with every component's checks.
/// </summary>
public static class RookeryHost
{
    public static WebApplication Build(IReadOnlyList<IRookeryComponent> components, HostSettings settings)
    {
        var duplicates = components.GroupBy(c => c.Name, StringComparer.OrdinalIgnoreCase).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        if (duplicates.Count > 0)
            throw new ArgumentException($"components registered twice: {string.Join(", ", duplicates)}", nameof(components));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        settings.ConfigureLogging?.Invoke(builder.Logging);
        builder.Services.AddSingleton<IConnectionListenerFactory, StreamSocketTransportFactory>();
        builder.Services.AddSingleton(settings.Authenticator);
        foreach (var component in components)
            component.ConfigureServices(builder.Services);

        var httpListeners = components.SelectMany(c => c.HttpListeners).Distinct().ToList();
        var tlsWithoutCertificate = httpListeners.FirstOrDefault(l => l.Tls && settings.Certificate is null);
        if (tlsWithoutCertificate is not null)
            throw new ArgumentException($"the HTTPS listener {Listeners.Describe(tlsWithoutCertificate.Address)} has no certificate", nameof(settings));
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            var loggers = kestrel.ApplicationServices.GetRequiredService<ILoggerFactory>();
            foreach (var component in components)
            {
                foreach (var listener in component.MailListeners)
                {
                    var handler = new MailConnectionHandler(listener.Options, listener.Session, loggers.CreateLogger("Rookery." + listener.Options.Protocol));
                    foreach (var endpoint in Listeners.EndPoints(listener.Address))
                        kestrel.Listen(new MailEndPoint(endpoint), options => options.Use(_ => handler.OnConnectedAsync));
                }
            }
            foreach (var listener in httpListeners)
            {
                foreach (var endpoint in Listeners.EndPoints(listener.Address))
                {
                    kestrel.Listen(endpoint, options =>
                    {
                        options.Protocols = HttpProtocols.Http1AndHttp2;
                        if (listener.Tls)
                            options.UseHttps(settings.Certificate!);
                    });
                }
            }
        });

        var app = builder.Build();
        app.UseRouting();
        app.UseMiddleware<ServedOnMiddleware>();
        app.UseMiddleware<HttpLogin.Middleware>();
        app.MapGet("/health", async (CancellationToken cancellationToken) =>
        {
            var (healthy, json) = await HealthAsync(components, cancellationToken);
            return Results.Text(json, "application/json", statusCode: healthy ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
        });
        foreach (var component in components)
        {
            if (component.HttpListeners.Count == 0)
                continue;
            var group = app.MapGroup("").WithMetadata(new ServedOn(component.Name, component.HttpListeners));
            component.MapEndpoints(group);
        }
        app.Lifetime.ApplicationStarted.Register(() =>
        {
            foreach (var component in components)
            {
                foreach (var listener in component.MailListeners.Where(l => l.Address.IsUnix && l.Permissions is not null))
                    listener.Permissions!.ApplyTo(listener.Address.UnixPath!);
                component.Started();
            }
        });
        return app;
    }

    /// <summary>
    /// Every component's checks in one flat JSON object, <c>status</c> first (<c>healthy</c> or <c>unhealthy</c>),
    /// as <c>rookery health --json</c> prints it.
    /// </summary>
    public static async Task<(bool Healthy, string Json)> HealthAsync(IEnumerable<IRookeryComponent> components, CancellationToken cancellationToken)
    {
        var healthy = true;
        var checks = new Dictionary<string, string>();
        foreach (var component in components)
        {
            var health = await component.CheckHealthAsync(cancellationToken);
            healthy &= health.Healthy;
            foreach (var (name, value) in health.Checks)
                checks[name] = value;
        }
        var body = new Dictionary<string, string> { ["status"] = healthy ? "healthy" : "unhealthy" };
        foreach (var (name, value) in checks)
            body[name] = value;
        return (healthy, JsonSerializer.Serialize(body));
    }

    /// <summary>Which listeners a component's endpoints answer on.</summary>
    sealed record ServedOn(string Component, IReadOnlyList<WebListener> Listeners)
    {
        public bool Accepts(ConnectionInfo connection) =>
            connection.LocalIpAddress is null
                ? Listeners.Any(l => l.Address.IsUnix)
                : Listeners.Any(l => !l.Address.IsUnix && l.Address.Port == connection.LocalPort && Matches(l.Address.Host, connection.LocalIpAddress));

        static bool Matches(string host, IPAddress local) =>
            host is "*" or "localhost" || !IPAddress.TryParse(host, out var address) || address.Equals(local)
            || (local.IsIPv4MappedToIPv6 && address.Equals(local.MapToIPv4()));
    }

    /// <summary>A component's endpoint reached on another component's listener is not there (404).</summary>
    sealed class ServedOnMiddleware(RequestDelegate next)
    {
        public Task InvokeAsync(HttpContext context)
        {
            if (context.GetEndpoint()?.Metadata.GetMetadata<ServedOn>() is { } served && !served.Accepts(context.Connection))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }
            return next(context);
        }
    }
}
