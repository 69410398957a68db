using System.Globalization;

namespace LdapLoad;

/// <summary>What to expect of a lookup: found, not found, or either (not checked).</summary>
enum Expect { Any, Ok, NotFound }

/// <summary>Command-line options of the three modes; the driver script sets every one it needs.</summary>
sealed class Options
{
    public string Host { get; private set; } = "127.0.0.1";
    public int Port { get; private set; }
    public string Keys { get; private set; } = "";
    public string WarmupKeys { get; private set; } = "";
    public int Clients { get; private set; } = 1;
    public string Password { get; private set; } = "pw";
    public string Map { get; private set; } = "mailbox";
    public string SearchBase { get; private set; } = "dc=example,dc=com";
    public string Filter { get; private set; } = "(&(objectClass=posixAccount)(mail=%s))";
    public string Attribute { get; private set; } = "mail";
    public string BindDn { get; private set; } = "";
    public string BindPassword { get; private set; } = "";
    public Expect Expect { get; private set; } = Expect.Any;
    public string Label { get; private set; } = "server";
    public string Output { get; private set; } = "";

    public static Options Parse(string[] args, int first)
    {
        var o = new Options();
        for (var i = first; i < args.Length; i++)
        {
            var name = args[i];
            if (i + 1 >= args.Length)
                throw new ArgumentException($"{name} needs a value");
            var value = args[++i];
            switch (name)
            {
                case "--host": o.Host = value; break;
                case "--port": o.Port = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture); break;
                case "--keys": o.Keys = value; break;
                case "--warmup-keys": o.WarmupKeys = value; break;
                case "--clients": o.Clients = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture); break;
                case "--password": o.Password = value; break;
                case "--map": o.Map = value; break;
                case "--base": o.SearchBase = value; break;
                case "--filter": o.Filter = value; break;
                case "--attribute": o.Attribute = value; break;
                case "--bind-dn": o.BindDn = value; break;
                case "--bind-password": o.BindPassword = value; break;
                case "--expect":
                    o.Expect = value switch
                    {
                        "ok" => Expect.Ok,
                        "notfound" => Expect.NotFound,
                        "any" => Expect.Any,
                        _ => throw new ArgumentException("--expect ok|notfound|any"),
                    };
                    break;
                case "--label": o.Label = value; break;
                case "--output": o.Output = value; break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }
        if (o.Keys.Length == 0 || o.Port <= 0 || o.Clients <= 0)
            throw new ArgumentException("--keys, --port and --clients are required");
        return o;
    }
}
