using System.Globalization;

namespace ImapLoad;

/// <summary>Command-line options shared by the three modes; every value has a default the driver scripts override.</summary>
sealed class Options
{
    public string Host { get; private set; } = "127.0.0.1";
    public int Port { get; private set; } = 143;
    public string UserPrefix { get; private set; } = "bench";
    public string Password { get; private set; } = "pw";
    public int Users { get; private set; } = 10;
    public int Clients { get; private set; } = 10;
    public int Connections { get; private set; } = 10000;
    public double Seconds { get; private set; } = 30;
    public double WarmupSeconds { get; private set; } = 5;
    public int Messages { get; private set; } = 100;
    public string Mbox { get; private set; } = "";
    public int IdleMilliseconds { get; private set; } = 20;
    public int FetchRange { get; private set; } = 20;
    public int LoginParallelism { get; private set; } = 32;
    public int SourceAddresses { get; private set; } = 1;
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
                case "--port": o.Port = Int(value); break;
                case "--user-prefix": o.UserPrefix = value; break;
                case "--password": o.Password = value; break;
                case "--users": o.Users = Int(value); break;
                case "--clients": o.Clients = Int(value); break;
                case "--connections": o.Connections = Int(value); break;
                case "--seconds": o.Seconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--warmup": o.WarmupSeconds = double.Parse(value, CultureInfo.InvariantCulture); break;
                case "--messages": o.Messages = Int(value); break;
                case "--mbox": o.Mbox = value; break;
                case "--idle-ms": o.IdleMilliseconds = Int(value); break;
                case "--fetch-range": o.FetchRange = Int(value); break;
                case "--login-parallelism": o.LoginParallelism = Int(value); break;
                case "--sources": o.SourceAddresses = Int(value); break;
                case "--label": o.Label = value; break;
                case "--output": o.Output = value; break;
                default: throw new ArgumentException($"unknown option {name}");
            }
        }
        return o;
    }

    public string UserName(int index) => $"{UserPrefix}{index}";

    static int Int(string value) => int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
}
