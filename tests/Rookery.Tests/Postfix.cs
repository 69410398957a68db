using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Rookery.Tests;

/// <summary>
/// A private instance of the machine's Postfix: its own main.cf, master.cf, queue and log in a
/// directory of the test, SMTP on a loopback port, every example.com recipient handed to
/// <c>virtual_transport</c>. The machine's /etc/postfix and its postfix service are never touched.
/// </summary>
public sealed class Postfix : IDisposable
{
    const string Command = "/usr/sbin/postfix";
    static readonly TimeSpan LogTimeout = TimeSpan.FromSeconds(30);

    readonly string configDirectory;
    readonly string queueDirectory;
    readonly string logFile;
    bool stopped;

    Postfix(string directory, int smtpPort)
    {
        configDirectory = Path.Combine(directory, "etc");
        queueDirectory = Path.Combine(directory, "queue");
        logFile = Path.Combine(directory, "maillog");
        SmtpPort = smtpPort;
    }

    public static bool IsInstalled => File.Exists(Command);

    public int SmtpPort { get; }

    /// <summary>Everything Postfix logged so far (postlogd writes it, there is no syslog here).</summary>
    public string Log => File.Exists(logFile) ? File.ReadAllText(logFile) : "";

    /// <summary>Writes the configuration into <paramref name="directory"/> and starts the master daemon (as root, as Postfix requires).</summary>
    /// <param name="mainCf">Lines appended to main.cf; a parameter set there overrides the default above it (the last definition wins).</param>
    public static async Task<Postfix> StartAsync(string directory, string virtualTransport, string mainCf = "")
    {
        var postfix = new Postfix(directory, Cli.FreePort());
        // The daemons run as user postfix and must reach their queue (its parents too: the caller's part).
        LetPostfixThrough(directory);
        System.IO.Directory.CreateDirectory(postfix.configDirectory);
        System.IO.Directory.CreateDirectory(postfix.queueDirectory); // its subdirectories and owners: postfix creates them at start
        await File.WriteAllTextAsync(Path.Combine(postfix.configDirectory, "main.cf"), postfix.MainCf(directory, virtualTransport) + mainCf + "\n");
        await File.WriteAllTextAsync(Path.Combine(postfix.configDirectory, "master.cf"), postfix.MasterCf());
        var (exitCode, output) = await postfix.RunAsync("start");
        if (exitCode == 0)
            return postfix;
        var log = postfix.Log;
        postfix.Dispose(); // in case a master got as far as starting
        throw new InvalidOperationException($"postfix start exited {exitCode}: {output}\n{log}");
    }

    string MainCf(string directory, string virtualTransport) => $"""
        compatibility_level = 3.6
        queue_directory = {queueDirectory}
        data_directory = {Path.Combine(directory, "data")}
        maillog_file = {logFile}
        maillog_file_prefixes = {directory}
        myhostname = mx.postfix.test
        mydestination =
        inet_interfaces = 127.0.0.1
        inet_protocols = ipv4
        mynetworks = 127.0.0.0/8
        smtpd_peername_lookup = no
        alias_maps =
        alias_database =
        # 127.0.0.1 would count as a local client whose headers cleanup rewrites and completes;
        # the test wants the message exactly as submitted.
        local_header_rewrite_clients =
        # Every example.com address is accepted here, so that Rookery, not Postfix, decides which
        # recipients exist: an unknown one must get Rookery's 550 5.1.1 over LMTP.
        virtual_mailbox_domains = example.com
        virtual_mailbox_maps = static:rookery
        virtual_transport = {virtualTransport}
        # One delivery at a time over a connection kept open, so that transactions follow each other
        # on one LMTP session (RSET in between), as they do on a busy Postfix.
        lmtp_destination_concurrency_limit = 1
        lmtp_connection_cache_destinations = static:all
        # Nothing leaves the machine.
        default_transport = error:this test sends no mail outside example.com
        relay_transport = error:this test sends no mail outside example.com
        """ + "\n";

    // chroot "n" everywhere: the daemons see the same paths as the test. The unprivileged column
    // stays "-", so lmtp connects as user postfix, which is what lmtp_socket_group is for.
    string MasterCf() => $"""
        127.0.0.1:{SmtpPort} inet n - n - - smtpd
        cleanup   unix n - n - 0 cleanup
        qmgr      unix n - n 300 1 qmgr
        rewrite   unix - - n - - trivial-rewrite
        bounce    unix - - n - 0 bounce
        defer     unix - - n - 0 bounce
        trace     unix - - n - 0 bounce
        verify    unix - - n - 1 verify
        flush     unix n - n 1000? 0 flush
        proxymap  unix - - n - - proxymap
        showq     unix n - n - - showq
        error     unix - - n - - error
        retry     unix - - n - - error
        discard   unix - - n - - discard
        lmtp      unix - - n - - lmtp
        anvil     unix - - n - 1 anvil
        scache    unix - - n - 1 scache
        postlog   unix-dgram n - n - 1 postlogd
        """ + "\n";

    /// <summary>Creates <paramref name="directory"/> if needed and makes it readable and traversable by everybody, user postfix included.</summary>
    public static void LetPostfixThrough(string directory)
    {
        if (OperatingSystem.IsWindows())
            throw new PlatformNotSupportedException("Postfix needs a unix");
        System.IO.Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute |
            UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
    }

    /// <summary>Submits a message over SMTP and returns the queue id Postfix gave it.</summary>
    public async Task<string> SubmitAsync(string sender, IReadOnlyList<string> recipients, byte[] message, CancellationToken cancellationToken)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", SmtpPort, cancellationToken);
        var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        async Task<string> Send(string command, string expected)
        {
            if (command.Length > 0)
                await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), cancellationToken);
            return await ReplyAsync(reader, command, expected, cancellationToken);
        }

        await Send("", "220");
        await Send("EHLO client.test", "250");
        await Send($"MAIL FROM:<{sender}> BODY=8BITMIME", "250");
        foreach (var recipient in recipients)
            await Send($"RCPT TO:<{recipient}>", "250");
        await Send("DATA", "354");
        await stream.WriteAsync(DotStuff(message), cancellationToken);
        var queued = await Send(".", "250");
        await Send("QUIT", "221");
        return queued.Split(' ')[^1]; // "250 2.0.0 Ok: queued as 4C1F3B1E0D1"
    }

    /// <summary>Gives each recipient in RCPT TO and returns Postfix's replies, then ends the transaction without sending anything.</summary>
    public async Task<IReadOnlyList<string>> RecipientRepliesAsync(string sender, IReadOnlyList<string> recipients, CancellationToken cancellationToken)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", SmtpPort, cancellationToken);
        var stream = tcp.GetStream();
        using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
        async Task<string> Send(string command)
        {
            if (command.Length > 0)
                await stream.WriteAsync(Encoding.ASCII.GetBytes(command + "\r\n"), cancellationToken);
            string line;
            do
                line = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException($"Postfix closed the connection after {command}");
            while (line.Length > 3 && line[3] == '-');
            return line;
        }

        await Send("");
        await Send("EHLO client.test");
        await Send($"MAIL FROM:<{sender}>");
        var replies = new List<string>();
        foreach (var recipient in recipients)
            replies.Add(await Send($"RCPT TO:<{recipient}>"));
        await Send("QUIT");
        return replies;
    }

    static async Task<string> ReplyAsync(StreamReader reader, string command, string expected, CancellationToken cancellationToken)
    {
        string line;
        do
            line = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException($"Postfix closed the connection after {command}");
        while (line.Length > 3 && line[3] == '-');
        if (!line.StartsWith(expected + " ", StringComparison.Ordinal))
            throw new InvalidOperationException($"Postfix answered {command} with {line}");
        return line;
    }

    /// <summary>SMTP transparency (RFC 5321 4.5.2): a line starting with a dot gets one more.</summary>
    static byte[] DotStuff(byte[] message)
    {
        var stuffed = new List<byte>(message.Length + 64);
        for (var i = 0; i < message.Length; i++)
        {
            if (message[i] == '.' && (i == 0 || message[i - 1] == '\n'))
                stuffed.Add((byte)'.');
            stuffed.Add(message[i]);
        }
        return [.. stuffed];
    }

    /// <summary>Waits until the log has a line matching <paramref name="pattern"/> (a regular expression) and returns that match.</summary>
    public async Task<Match> WaitForLogAsync(string pattern)
    {
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var log = Log;
            if (Regex.Match(log, pattern, RegexOptions.Multiline) is { Success: true } match)
                return match;
            if (deadline.Elapsed > LogTimeout)
                throw new TimeoutException($"Postfix did not log /{pattern}/ within {LogTimeout.TotalSeconds} s; its log:\n{log}");
            await Task.Delay(100);
        }
    }

    async Task<(int ExitCode, string Output)> RunAsync(string command)
    {
        var start = new ProcessStartInfo(Command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "-c", configDirectory, command })
            start.ArgumentList.Add(arg);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output + await error);
    }

    /// <summary>
    /// This instance's running master process, found by its working directory (the queue directory):
    /// master.pid cannot be opened while the master runs, as it holds a lock that .NET's FileShare emulation respects.
    /// </summary>
    int? RunningMaster()
    {
        foreach (var entry in System.IO.Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(entry), out var pid))
                continue;
            try
            {
                if (File.ReadAllText(Path.Combine(entry, "comm")).Trim() == "master" && new FileInfo(Path.Combine(entry, "cwd")).LinkTarget == queueDirectory)
                    return pid;
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // gone meanwhile
            }
        }
        return null;
    }

    /// <summary>The pid in the master's pid file, once the master has stopped and released it.</summary>
    int? MasterPid()
    {
        var pidFile = Path.Combine(queueDirectory, "pid", "master.pid");
        if (!File.Exists(pidFile))
            return null;
        using var stream = new FileStream(pidFile, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return int.TryParse(reader.ReadToEnd().Trim(), out var pid) ? pid : null;
    }

    /// <summary>
    /// Stops this instance. <c>postfix stop</c> itself waits for the master and kills it by force
    /// after 5 s; only when that command fails or hangs is the master killed here, found by its
    /// working directory (this queue), so that a reused pid is left alone. A hung stop must not throw
    /// from here: that would hide the test's own failure.
    /// </summary>
    public void Dispose()
    {
        if (stopped)
            return;
        stopped = true;
        var running = RunningMaster();
        bool stoppedCleanly;
        try
        {
            stoppedCleanly = RunAsync("stop").GetAwaiter().GetResult().ExitCode == 0;
        }
        catch (OperationCanceledException)
        {
            stoppedCleanly = false;
        }
        if (!stoppedCleanly && running is { } pid)
        {
            try
            {
                using var master = Process.GetProcessById(pid);
                master.Kill();
            }
            catch (ArgumentException)
            {
                // gone meanwhile
            }
        }
        // wait until the master has gone, so that the caller can remove the queue directory without
        // racing its last writes (the test directories were left behind)
        var deadline = Environment.TickCount64 + 10_000;
        while (running is { } p && System.IO.Directory.Exists($"/proc/{p}") && new FileInfo($"/proc/{p}/cwd").LinkTarget == queueDirectory && Environment.TickCount64 < deadline)
            Thread.Sleep(50);
    }
}

/// <summary>A theory that needs the postfix binaries (test.sh installs them), skipped with the reason when they are missing.</summary>
public sealed class PostfixTheoryAttribute : TheoryAttribute
{
    public PostfixTheoryAttribute()
    {
        if (!Postfix.IsInstalled)
            Skip = "Postfix is not installed (apt-get install postfix; test.sh installs it)";
    }
}
