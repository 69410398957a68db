namespace Rookery.Common.Configuration;

/// <summary>
/// Where one gateway service listens. The container's <c>imap_listen</c> (and friends) wins when it
/// is set anywhere; otherwise the manual's <c>server_bind</c>, <c>imap_enable</c> and <c>imap_port</c>
/// are used when any of them is set; otherwise the default of <c>imap_listen</c>.
/// </summary>
public static class GatewayListeners
{
    /// <param name="service">imap, imaps, pop3 or pop3s.</param>
    public static IReadOnlyList<ListenAddress> Resolve(ComponentConfig gateway, string service)
    {
        var listen = gateway.Get(service + "_listen");
        if (listen.Source is not ValueSource.Default)
            return gateway.GetListen(listen.Definition.Name);
        var manual = new[] { "server_bind", service + "_enable", service + "_port" }.Select(gateway.Get).ToList();
        if (manual.All(v => v.Source is ValueSource.Default))
            return gateway.GetListen(listen.Definition.Name);
        if (!gateway.GetBool(service + "_enable"))
            return [];
        var bind = gateway.GetString("server_bind") is { Length: > 0 } b && b != "0.0.0.0" ? b : "*";
        var spec = bind.Contains(':', StringComparison.Ordinal) && !bind.StartsWith('[') ? $"[{bind}]:{gateway.GetInt(service + "_port")}" : $"{bind}:{gateway.GetInt(service + "_port")}";
        return ListenAddress.TryParse(spec, out var address) ? [address] : throw new ConfigException($"server_bind = {bind} is not an address to listen on");
    }
}
