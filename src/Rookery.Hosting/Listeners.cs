using System.Net;
using System.Net.Sockets;
using Rookery.Common.Configuration;

namespace Rookery.Hosting;

/// <summary>The sockets a configured listen address (<c>host:port</c>, <c>*:port</c>, <c>unix:/path</c>) stands for.</summary>
public static class Listeners
{
    /// <summary>The endpoints to bind, as Kestrel's own Listen methods read such an address; a unix socket's old file is removed first.</summary>
    public static IEnumerable<EndPoint> EndPoints(ListenAddress listen)
    {
        if (listen.IsUnix)
        {
            System.IO.Directory.CreateDirectory(Path.GetDirectoryName(listen.UnixPath)!);
            File.Delete(listen.UnixPath);
            yield return new UnixDomainSocketEndPoint(listen.UnixPath);
        }
        else if (listen.Host == "*")
            yield return new IPEndPoint(Socket.OSSupportsIPv6 ? IPAddress.IPv6Any : IPAddress.Any, listen.Port); // dual-stack
        else if (listen.Host is "localhost")
        {
            yield return new IPEndPoint(IPAddress.Loopback, listen.Port);
            if (CanBind(new IPEndPoint(IPAddress.IPv6Loopback, 0)))
                yield return new IPEndPoint(IPAddress.IPv6Loopback, listen.Port); // like Kestrel's localhost, skipped where IPv6 is off
        }
        else if (IPAddress.TryParse(listen.Host, out var address))
            yield return new IPEndPoint(address, listen.Port);
        else
            yield return new IPEndPoint(Dns.GetHostAddresses(listen.Host).First(), listen.Port);
    }

    /// <summary>How the banner and the log name an address.</summary>
    public static string Describe(ListenAddress listen) => listen.IsUnix ? "unix:" + listen.UnixPath : $"{listen.Host}:{listen.Port}";

    static bool CanBind(IPEndPoint endpoint)
    {
        if (!Socket.OSSupportsIPv6 && endpoint.AddressFamily == AddressFamily.InterNetworkV6)
            return false;
        try
        {
            using var probe = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
            probe.Bind(endpoint);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
