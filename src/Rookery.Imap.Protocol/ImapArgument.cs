using System.Text;

namespace Rookery.Imap.Protocol;

/// <summary>One argument of a command line, before a command gives it a meaning.</summary>
public abstract record ImapArgument;

/// <summary>
/// An atom as sent: a keyword, a number, a flag (<c>\Seen</c>), a sequence set, a mailbox
/// pattern, or a fetch item with its section (<c>BODY.PEEK[HEADER.FIELDS (From)]&lt;0.100&gt;</c>).
/// </summary>
public sealed record ImapAtom(string Value) : ImapArgument
{
    public bool Is(string keyword) => string.Equals(Value, keyword, StringComparison.OrdinalIgnoreCase);
    public override string ToString() => Value;
}

/// <summary>A quoted string or a literal; the octets as sent (UTF-8 text, or a message for APPEND).</summary>
public sealed record ImapString(ILiteralBuffer Content, bool IsLiteral, bool IsBinary = false) : ImapArgument
{
    public static ImapString Quoted(string text) => new(new MemoryLiteral(Encoding.UTF8.GetBytes(text)), IsLiteral: false);

    /// <summary>The octets as UTF-8 text (strings in commands are short; a message is read with <see cref="ILiteralBuffer.OpenRead"/>).</summary>
    public string Text => Encoding.UTF8.GetString(Content.Span);

    public override string ToString() => IsLiteral ? $"{{{Content.Length}}}" : $"\"{Text}\"";
}

/// <summary>A parenthesised list.</summary>
public sealed record ImapList(IReadOnlyList<ImapArgument> Items) : ImapArgument
{
    public override string ToString() => "(" + string.Join(' ', Items) + ")";
}

/// <summary>A complete command line: tag, command name (upper case; <c>UID FETCH</c> for UID commands) and its arguments.</summary>
public sealed record ImapCommandLine(string Tag, string Name, IReadOnlyList<ImapArgument> Arguments) : IDisposable
{
    /// <summary>Releases literal buffers (an APPEND's message may be held in a file).</summary>
    public void Dispose()
    {
        foreach (var argument in Arguments)
            Release(argument);
    }

    static void Release(ImapArgument argument)
    {
        switch (argument)
        {
            case ImapString s:
                s.Content.Dispose();
                break;
            case ImapList list:
                foreach (var item in list.Items)
                    Release(item);
                break;
        }
    }

    public override string ToString() => $"{Tag} {Name} {string.Join(' ', Arguments)}";
}
