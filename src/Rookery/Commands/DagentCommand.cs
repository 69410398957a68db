using System.CommandLine;
using Rookery.Common.Configuration;
using Rookery.Dagent;

namespace Rookery.Commands;

/// <summary>
/// <c>rookery dagent [-f FROM] USER...</c>: classic pipe delivery of one message from stdin, with
/// sysexits exit codes so Postfix's pipe(8) and procmail know whether to retry or bounce.
/// </summary>
public static class DagentCommand
{
    public const int Ok = 0;
    public const int NoUser = 67;      // EX_NOUSER: bounce
    public const int CantCreate = 73;  // EX_CANTCREAT: over quota, bounce (as LMTP's 552)
    public const int TempFail = 75;    // EX_TEMPFAIL: the MTA retries
    public const int ConfigError = 78; // EX_CONFIG

    public static Command Create(CommonOptions common)
    {
        var from = new Option<string?>("-f", "--from") { Description = "Envelope sender (Return-Path)" };
        var users = new Argument<string[]>("user") { Description = "Login names or e-mail addresses of the recipients", Arity = ArgumentArity.OneOrMore };
        var command = new Command("dagent", "Deliver one message read from stdin (exit codes follow sysexits.h: 67 no such user, 73 over quota, 75 try again)") { from, users };
        command.SetAction(async (parse, ct) =>
        {
            ComponentConfig server, dagent;
            try
            {
                server = common.LoadServerConfig(parse);
                dagent = ConfigLoader.Load(ConfigSchema.Dagent, common.Paths(parse).ConfigDirectory, ConfigLoader.ProcessEnvironment());
            }
            catch (ConfigException e)
            {
                await Console.Error.WriteLineAsync($"rookery dagent: {e.Message}");
                return ConfigError;
            }
            try
            {
                using var loggers = Logging.CreateFactory(dagent.GetInt("log_level"));
                var runtime = await ServerRuntime.StartAsync(server, common.Paths(parse), loggers, ct);
                var agent = runtime.CreateDeliveryAgent(dagent);

                var addresses = new List<string>();
                var unknown = false;
                foreach (var user in parse.GetValue(users)!)
                {
                    if (user.Contains('@', StringComparison.Ordinal))
                        addresses.Add(user);
                    else if (await runtime.Directory.FindUserAsync(user, ct) is { Email.Length: > 0 } account)
                        addresses.Add(account.Email);
                    else
                    {
                        await Console.Error.WriteLineAsync($"rookery dagent: {user}: no such user");
                        unknown = true;
                    }
                }
                var message = await ReadMessageAsync(Console.OpenStandardInput(), dagent.GetInt("max_message_size") * 1024L * 1024, ct);
                if (message is null)
                {
                    await Console.Error.WriteLineAsync("rookery dagent: message exceeds max_message_size");
                    return CantCreate;
                }
                var results = addresses.Count == 0 ? [] : await agent.DeliverAsync(parse.GetValue(from) ?? "", addresses, message, ct);
                foreach (var result in results.Where(r => r.Status != DeliveryStatus.Delivered))
                    await Console.Error.WriteLineAsync($"rookery dagent: {result.Recipient}: {result.Status} {result.Detail}");
                if (results.Any(r => r.Status == DeliveryStatus.TemporaryFailure))
                    return TempFail;
                if (unknown || results.Any(r => r.Status == DeliveryStatus.UnknownRecipient))
                    return NoUser;
                return results.Any(r => r.Status == DeliveryStatus.OverQuota) ? CantCreate : Ok;
            }
            catch (ConfigException e)
            {
                await Console.Error.WriteLineAsync($"rookery dagent: {e.Message}");
                return ConfigError;
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                await Console.Error.WriteLineAsync($"rookery dagent: {e.Message}; try again later");
                return TempFail;
            }
        });
        return command;
    }

    /// <summary>Reads the message, turning bare LF line ends (usual in pipes) into CRLF; null when it is too large.</summary>
    static async Task<MemoryStream?> ReadMessageAsync(Stream input, long maxSize, CancellationToken ct)
    {
        var raw = new MemoryStream();
        await input.CopyToAsync(raw, ct);
        if (raw.Length > maxSize)
            return null;
        var bytes = raw.GetBuffer().AsSpan(0, (int)raw.Length);
        var normalised = new MemoryStream(bytes.Length + bytes.Length / 40);
        for (var i = 0; i < bytes.Length; i++)
        {
            if (bytes[i] == (byte)'\n' && (i == 0 || bytes[i - 1] != (byte)'\r'))
                normalised.WriteByte((byte)'\r');
            normalised.WriteByte(bytes[i]);
        }
        normalised.Position = 0;
        return normalised;
    }
}
