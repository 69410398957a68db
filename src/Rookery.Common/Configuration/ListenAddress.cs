using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Rookery.Common.Configuration;

/// <summary>
/// One entry of a Listen parameter: a TCP host and port (<c>host:port</c>, <c>*:port</c>,
/// <c>[v6]:port</c>) or a unix socket (<c>unix:/path</c>).
/// </summary>
public sealed record ListenAddress
{
    private ListenAddress(string? host, int port, string? unixPath)
    {
        Host = host;
        Port = port;
        UnixPath = unixPath;
    }

    /// <summary>Host name or address ("*" for every address, IPv6 without brackets); null for a unix socket.</summary>
    public string? Host { get; }

    /// <summary>TCP port, 0 meaning "any free port"; 0 for a unix socket.</summary>
    public int Port { get; }

    /// <summary>Absolute socket path, or null for TCP.</summary>
    public string? UnixPath { get; }

    [MemberNotNullWhen(true, nameof(UnixPath))]
    [MemberNotNullWhen(false, nameof(Host))]
    public bool IsUnix => UnixPath is not null;

    public static bool TryParse(string text, [NotNullWhen(true)] out ListenAddress? address)
    {
        address = null;
        if (text.StartsWith("unix:", StringComparison.Ordinal))
        {
            var path = text["unix:".Length..];
            if (path.Length < 2 || path[0] != '/')
                return false;
            address = new ListenAddress(null, 0, path);
            return true;
        }

        string host;
        string portText;
        if (text.StartsWith('['))
        {
            var close = text.IndexOf("]:", StringComparison.Ordinal);
            if (close < 0)
                return false;
            host = text[1..close];
            portText = text[(close + 2)..];
            if (!IPAddress.TryParse(host, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
                return false;
        }
        else
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            // More than one colon is an unbracketed IPv6 address, which is ambiguous with the port.
            if (colon < 0 || colon != text.LastIndexOf(':'))
                return false;
            host = text[..colon];
            portText = text[(colon + 1)..];
            if (host != "*" && !IsHostNameOrIPv4(host))
                return false;
        }

        if (portText.Length == 0 || !portText.All(char.IsAsciiDigit)
            || !int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port > 65535)
            return false;

        address = new ListenAddress(host, port, null);
        return true;
    }

    public override string ToString() =>
        IsUnix ? "unix:" + UnixPath
        : Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}"
        : $"{Host}:{Port}";

    private static bool IsHostNameOrIPv4(string host)
    {
        if (host.Length == 0 || host.Length > 253)
            return false;
        var labels = host.Split('.');
        if (host.All(c => char.IsAsciiDigit(c) || c == '.'))
        {
            return labels.Length == 4 && labels.All(label =>
                label.Length is > 0 and <= 3 && int.Parse(label, CultureInfo.InvariantCulture) <= 255);
        }
        return labels.All(label =>
            label.Length is > 0 and <= 63
            && label[0] != '-' && label[^1] != '-'
            && label.All(c => char.IsAsciiLetterOrDigit(c) || c == '-'));
    }
}
