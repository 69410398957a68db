using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Rookery.Common.Configuration;
using Rookery.Directory.Ldap;

namespace Rookery;

/// <summary>What a reload did: applied changes, changes that wait for a restart, or why nothing was applied.</summary>
public sealed record ReloadReport(IReadOnlyList<string> Applied, IReadOnlyList<string> RestartNeeded, string? Error)
{
    public bool Ok => Error is null;

    public string ToJson() => JsonSerializer.Serialize(new Dictionary<string, object?>
    {
        ["status"] = Error is not null ? "failed" : RestartNeeded.Count > 0 ? "restart-needed" : "reloaded",
        ["applied"] = Applied,
        ["restart_needed"] = RestartNeeded,
        ["error"] = Error,
    });

    public static ReloadReport FromJson(string json)
    {
        using var document = JsonDocument.Parse(json);
        var root = document.RootElement;
        return new ReloadReport(
            [.. root.GetProperty("applied").EnumerateArray().Select(e => e.GetString()!)],
            [.. root.GetProperty("restart_needed").EnumerateArray().Select(e => e.GetString()!)],
            root.GetProperty("error").GetString());
    }
}

/// <summary>
/// The reload of a running <c>rookery serve</c> (SIGHUP, <c>systemctl reload</c>, <c>rookery admin
/// reload</c>), as the original's: ldap.cfg — mappings, search base, bind, servers — is read again and
/// used from the next lookup on, with empty caches; log_level changes at once. Any other change,
/// user_plugin first of all, is reported as needing a restart and left alone; a configuration that
/// does not load changes nothing. The outcome is logged and written to <see cref="StatusFile"/>
/// for <c>rookery admin reload</c> to print.
/// </summary>
public sealed class ConfigReloader
{
    /// <summary>Options a reload applies without a restart (ldap.cfg is re-read as a whole besides).</summary>
    static readonly HashSet<string> Reloadable = new(StringComparer.OrdinalIgnoreCase) { "log_level", "user_plugin_config" };

    readonly ServerRuntime runtime;
    readonly Func<(ComponentConfig Server, ComponentConfig Dagent, ComponentConfig Gateway)> load;
    readonly ILogger log;
    readonly Lock oneAtATime = new();
    readonly (ComponentConfig Server, ComponentConfig Dagent, ComponentConfig Gateway) running;
    ComponentConfig? ldap;

    public ConfigReloader(ServerRuntime runtime, (ComponentConfig Server, ComponentConfig Dagent, ComponentConfig Gateway) running,
        Func<(ComponentConfig Server, ComponentConfig Dagent, ComponentConfig Gateway)> load, ILogger log)
    {
        this.runtime = runtime;
        this.running = running;
        this.load = load;
        this.log = log;
        ldap = runtime.Directory is LdapUserDirectory ? ServerRuntime.LoadLdapConfig(running.Server, runtime.Paths) : null;
    }

    /// <summary>Where the last reload's <see cref="ReloadReport"/> is written: next to the pid file.</summary>
    public static string StatusFile(string pidFile) => Path.Combine(Path.GetDirectoryName(pidFile)!, "reload-status.json");

    /// <summary>pid_file, or rookery.pid in the data directory.</summary>
    public static string PidFile(ComponentConfig server, RookeryPaths paths) =>
        server.GetString("pid_file") is { Length: > 0 } file ? Path.GetFullPath(file) : Path.Combine(paths.DataDirectory, "rookery.pid");

    /// <summary>Reloads, logs and writes the status file; one reload at a time.</summary>
    public ReloadReport Reload()
    {
        lock (oneAtATime)
        {
            var report = Apply();
            if (report.Error is not null)
                log.LogError("Reload failed, configuration unchanged: {Error}", report.Error);
            else
                log.LogWarning("Reloaded: {Applied}{Restart}", report.Applied.Count > 0 ? string.Join("; ", report.Applied) : "nothing changed",
                    report.RestartNeeded.Count > 0 ? "; restart needed for: " + string.Join("; ", report.RestartNeeded) : "");
            try
            {
                var status = StatusFile(PidFile(running.Server, runtime.Paths));
                File.WriteAllText(status + ".tmp", report.ToJson());
                File.Move(status + ".tmp", status, overwrite: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                log.LogWarning("Could not write the reload status: {Problem}", e.Message);
            }
            return report;
        }
    }

    ReloadReport Apply()
    {
        (ComponentConfig Server, ComponentConfig Dagent, ComponentConfig Gateway) next;
        ComponentConfig? nextLdap = null;
        LdapSettings? ldapSettings = null;
        try
        {
            next = load();
            if (runtime.Directory is LdapUserDirectory && next.Server.GetString("user_plugin") == LdapUserDirectory.Source)
            {
                nextLdap = ServerRuntime.LoadLdapConfig(next.Server, runtime.Paths);
                ldapSettings = Rookery.Directory.Ldap.LdapSettings.From(nextLdap, next.Server.GetBool("enable_hosted_kopano"));
            }
        }
        catch (Exception e) when (e is ConfigException or IOException or UnauthorizedAccessException or FormatException or ArgumentException)
        {
            return new ReloadReport([], [], e.Message);
        }

        var applied = new List<string>();
        var restart = new List<string>();
        foreach (var (before, after) in new[] { (running.Server, next.Server), (running.Dagent, next.Dagent), (running.Gateway, next.Gateway) })
        {
            foreach (var (name, old, @new) in Changes(before, after))
            {
                if (Reloadable.Contains(name) && before.Schema == ConfigSchema.Server)
                    continue;
                restart.Add(name == "user_plugin"
                    ? $"user_plugin changed from {old} to {@new}: restart rookery to change the user plugin (still using {old})"
                    : $"{after.Schema.FileName}: {name} = {@new} (running with {old})");
            }
        }

        var level = next.Server.GetInt("log_level");
        if (level != Logging.Level)
        {
            applied.Add($"log_level {Logging.Level} -> {level}");
            Logging.Level = level;
        }
        if (runtime.Directory is LdapUserDirectory directory && ldapSettings is not null)
        {
            var changed = Changes(ldap!, nextLdap!).Select(c => c.Name).ToList();
            if (nextLdap!.PropMap.Count != ldap!.PropMap.Count || nextLdap.PropMap.Except(ldap.PropMap).Any())
                changed.Add("!propmap");
            directory.Reconfigure(ldapSettings);
            applied.Add(changed.Count > 0 ? $"ldap.cfg: {string.Join(", ", changed)} changed; LDAP cache cleared" : "ldap.cfg unchanged; LDAP cache cleared");
            ldap = nextLdap;
        }
        // running stays what was started with: what waits for a restart is reported again next time.
        return new ReloadReport(applied, restart, null);
    }

    static IEnumerable<(string Name, string Old, string New)> Changes(ComponentConfig before, ComponentConfig after) =>
        before.All.Zip(after.All).Where(p => p.First.Value != p.Second.Value)
            .Select(p => (p.First.Definition.Name, Shown(p.First), Shown(p.Second)));

    static string Shown(ParameterValue value) => value.Definition.IsSecret && value.Value.Length > 0 ? "(secret)" : value.Value.Length == 0 ? "(empty)" : value.Value;

    /// <summary>Sends SIGHUP to a process (what <c>kill -HUP</c> does).</summary>
    public static bool SendHangup(int pid) => kill(pid, 1) == 0;

    [DllImport("libc", SetLastError = true)]
    static extern int kill(int pid, int signal);
}
