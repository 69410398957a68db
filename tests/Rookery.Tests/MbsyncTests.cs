using System.Diagnostics;
using System.Text;

namespace Rookery.Tests;

/// <summary>mbsync (isync) against the IMAP gateway: both directions, flags, deletions, and nothing left to do on a second run.</summary>
public sealed class MbsyncTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public async Task Mbsync_syncs_messages_flags_and_deletions_both_ways_and_a_second_run_transfers_nothing()
    {
        var imap = Cli.FreePort();
        cli.WriteConfig("server.cfg", $"server_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.WriteConfig("dagent.cfg", $"lmtp_listen = 127.0.0.1:{Cli.FreePort()}\n");
        cli.Environment["IMAP_LISTEN"] = $"127.0.0.1:{imap}";
        Assert.Equal(0, (await cli.RunAsync("admin", "user", "add", "alice", "--password", "secret", "--email", "alice@example.com", "--enable-feature", "imap")).ExitCode);
        foreach (var subject in new[] { "one", "two", "three" })
            Assert.Equal(0, (await cli.RunWithInputAsync(Encoding.ASCII.GetBytes($"Subject: {subject}\nMessage-ID: <{subject}@example.net>\n\nbody of {subject}\n"), "dagent", "alice")).ExitCode);

        var local = Path.Combine(cli.Root, "maildir");
        System.IO.Directory.CreateDirectory(local);
        var rc = Path.Combine(cli.Root, "mbsyncrc");
        await File.WriteAllTextAsync(rc, $"""
            IMAPAccount rookery
            Host 127.0.0.1
            Port {imap}
            User alice
            Pass secret
            SSLType None
            AuthMechs PLAIN

            IMAPStore remote
            Account rookery

            MaildirStore local
            Path {local}/
            Inbox {local}/INBOX
            SubFolders Verbatim

            Channel sync
            Far :remote:
            Near :local:
            Patterns *
            Create Both
            Expunge Both
            SyncState *

            """);

        using var server = Process.Start(cli.StartInfo("serve"))!;
        try
        {
            await Cli.WaitForBannerAsync(server);
            var first = await Mbsync(rc);
            var inbox = Path.Combine(local, "INBOX");
            var files = System.IO.Directory.GetFiles(inbox, "*", SearchOption.AllDirectories).Where(f => f.Contains("/cur/") || f.Contains("/new/")).ToList();
            Assert.Equal(3, files.Count);
            Assert.True(System.IO.Directory.Exists(Path.Combine(local, "Sent Items")), first);

            // locally: read "one", delete "two", write a new message
            var one = files.Single(f => File.ReadAllText(f).Contains("Subject: one"));
            var two = files.Single(f => File.ReadAllText(f).Contains("Subject: two"));
            File.Move(one, Path.Combine(inbox, "cur", Path.GetFileName(one).Split(":2,")[0] + ":2,S"));
            File.Delete(two);
            File.WriteAllText(Path.Combine(inbox, "new", "1700000000.local.host"), "Subject: written locally\r\nMessage-ID: <local@example.net>\r\n\r\nhello server\r\n");
            await Mbsync(rc);

            var flags = await Tools.RunAsync("curl", ["-s", "-S", "--url", $"imap://127.0.0.1:{imap}/INBOX", "-u", "alice:secret", "-X", "FETCH 1:* (FLAGS)"]);
            Assert.True(flags.ExitCode == 0, flags.Error);
            Assert.Equal(["* 1 FETCH (FLAGS (\\Seen))", "* 2 FETCH (FLAGS ())", "* 3 FETCH (FLAGS ())"], flags.Out.Split("\r\n", StringSplitOptions.RemoveEmptyEntries));
            var subjects = new List<string>();
            for (var index = 1; index <= 3; index++)
            {
                var message = await Tools.RunAsync("curl", ["-s", "-S", "--url", $"imap://127.0.0.1:{imap}/INBOX;MAILINDEX={index}", "-u", "alice:secret"]);
                subjects.Add(message.Out.Split("\r\n").Single(l => l.StartsWith("Subject: ", StringComparison.Ordinal)));
            }
            Assert.Equal(["Subject: one", "Subject: three", "Subject: written locally"], subjects);

            // curl's FETCH BODY[] marked the messages read. On the server, "three" is flagged, "one" is
            // deleted and expunged and a new message arrives; the next run brings all of it home
            await Curl(imap, "INBOX", "STORE 2 +FLAGS (\\Flagged)");
            await Curl(imap, "INBOX", "STORE 1 +FLAGS (\\Deleted)");
            await Curl(imap, "INBOX", "EXPUNGE");
            var upload = Path.Combine(cli.Root, "four.eml");
            await File.WriteAllTextAsync(upload, "Subject: four\r\nMessage-ID: <four@example.net>\r\n\r\nbody of four\r\n");
            var appended = await Tools.RunAsync("curl", ["-s", "-S", "--url", $"imap://127.0.0.1:{imap}/INBOX", "-u", "alice:secret", "-T", upload]);
            Assert.True(appended.ExitCode == 0, appended.Error);
            await Mbsync(rc);
            Assert.Equal(["four S", "three FS", "written locally S"], LocalMessages(inbox)); // curl appends with \Seen

            // a run after it has nothing to do: neither side changes
            var localBefore = LocalFiles(local);
            var serverBefore = await Status(imap);
            Assert.StartsWith("* STATUS INBOX (MESSAGES 3 UIDNEXT 6 HIGHESTMODSEQ ", serverBefore);
            await Mbsync(rc);
            var localAfter = LocalFiles(local);
            Assert.True(localBefore.SequenceEqual(localAfter), string.Join("\n", localBefore) + "\n----\n" + string.Join("\n", localAfter));
            Assert.Equal(serverBefore, await Status(imap));
        }
        finally
        {
            server.Kill(entireProcessTree: true);
            await server.WaitForExitAsync();
        }
    }

    /// <summary>The messages in the local maildir, by content and flags: mbsync may move files from new/ to cur/, which transfers nothing.</summary>
    static List<string> LocalFiles(string root) =>
        System.IO.Directory.GetFiles(root, "*", SearchOption.AllDirectories)
            .Where(f => f.Contains("/cur/", StringComparison.Ordinal) || f.Contains("/new/", StringComparison.Ordinal))
            .Select(f => Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(f))) + " " + (f.Contains(":2,", StringComparison.Ordinal) ? f[(f.LastIndexOf(":2,", StringComparison.Ordinal) + 3)..] : ""))
            .Order(StringComparer.Ordinal).ToList();

    /// <summary>Each message in a local maildir folder as its subject and its maildir flags, in order.</summary>
    static List<string> LocalMessages(string folder) =>
        System.IO.Directory.GetFiles(folder, "*", SearchOption.AllDirectories)
            .Where(f => f.Contains("/cur/", StringComparison.Ordinal) || f.Contains("/new/", StringComparison.Ordinal))
            .Select(f => File.ReadAllLines(f).First(l => l.StartsWith("Subject: ", StringComparison.Ordinal))["Subject: ".Length..] + " " +
                (f.Contains(":2,", StringComparison.Ordinal) ? f[(f.LastIndexOf(":2,", StringComparison.Ordinal) + 3)..] : ""))
            .Order(StringComparer.Ordinal).ToList();

    static async Task Curl(int port, string mailbox, string command)
    {
        var result = await Tools.RunAsync("curl", ["-s", "-S", "--url", $"imap://127.0.0.1:{port}/{mailbox}", "-u", "alice:secret", "-X", command]);
        Assert.True(result.ExitCode == 0, result.Error);
    }

    /// <summary>The INBOX's message count, UIDNEXT and HIGHESTMODSEQ: any change on the server moves one of them.</summary>
    static async Task<string> Status(int port)
    {
        var status = await Tools.RunAsync("curl", ["-s", "-S", "--url", $"imap://127.0.0.1:{port}/", "-u", "alice:secret", "-X", "STATUS INBOX (MESSAGES UIDNEXT HIGHESTMODSEQ)"]);
        Assert.True(status.ExitCode == 0, status.Error);
        return status.Out;
    }

    static async Task<string> Mbsync(string rc, params string[] options)
    {
        var result = await Tools.RunAsync("mbsync", ["-c", rc, "-a", .. options]);
        Assert.True(result.ExitCode == 0, result.Out + result.Error);
        return result.Out + result.Error;
    }
}
