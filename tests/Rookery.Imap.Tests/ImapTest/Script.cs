namespace Rookery.Imap.Tests.ImapTest;

/// <summary>How far the runner prepares things before the script's own commands (each state includes the ones before it).</summary>
enum ScriptState
{
    /// <summary>Connected, not logged in.</summary>
    NonAuth,
    /// <summary>Logged in, the test mailboxes deleted.</summary>
    Auth,
    /// <summary>$mailbox created.</summary>
    Created,
    /// <summary>The header's number of messages appended from the mbox.</summary>
    Appended,
    /// <summary>$mailbox selected on every connection.</summary>
    Selected,
}

enum ExpectedStatus
{
    /// <summary>"" in the script: any tagged reply will do.</summary>
    Any,
    Ok,
    No,
    Bad,
}

/// <param name="Capabilities">The test is not applicable unless the server advertises all of these.</param>
/// <param name="Messages">How many mbox messages the setup appends; null for all of them.</param>
/// <param name="Users">"user N: template" lines: the login of connection N.</param>
sealed record ScriptHeader(IReadOnlyList<string> Capabilities, int Connections, ScriptState State, int? Messages, bool IgnoreExtraUntagged, IReadOnlyDictionary<int, string> Users);

/// <summary>The tagged reply a command expects: its status, and a response code and text when the script gives them.</summary>
sealed record ExpectedReply(ExpectedStatus Status, ListPattern? Code, string Text)
{
    public override string ToString() => (Status == ExpectedStatus.Any ? "\"\"" : Status.ToString().ToUpperInvariant()) + (Code is null ? "" : " [...]") + (Text.Length > 0 ? " " + Text : "");
}

enum ExpectationKind
{
    /// <summary>"* ...": must come.</summary>
    Required,
    /// <summary>"! ...": must not come.</summary>
    Banned,
    /// <summary>"? ...": may come; binds variables when it does.</summary>
    Optional,
}

sealed record UntaggedExpectation(int Line, ExpectationKind Kind, ResponsePattern Pattern)
{
    public override string ToString() => (Kind switch { ExpectationKind.Banned => "! ", ExpectationKind.Optional => "? ", _ => "* " }) + Pattern.Source;
}

/// <summary>One command line of a script.</summary>
/// <param name="Tag">The script's own tag (pipelined commands); null lets the runner choose one.</param>
sealed class ScriptCommand(int line, string? tag, IReadOnlyList<Segment> text)
{
    public int Line { get; } = line;
    public string? Tag { get; } = tag;
    public IReadOnlyList<Segment> Text { get; } = text;
    /// <summary>Null until the script says; a command whose reply line never comes accepts any reply.</summary>
    public ExpectedReply? Reply { get; set; }

    public override string ToString() => (Tag is null ? "" : Tag + " ") + Segments.Describe(Text, 60);
}

/// <summary>Commands sent together on one connection (several only when pipelined), and the untagged replies expected while they run.</summary>
sealed class CommandGroup(int connection)
{
    public int Connection { get; } = connection;
    public List<ScriptCommand> Commands { get; } = [];
    public List<UntaggedExpectation> Untagged { get; } = [];
}

sealed record ImapTestScript(string Name, ScriptHeader Header, IReadOnlyList<CommandGroup> Groups);
