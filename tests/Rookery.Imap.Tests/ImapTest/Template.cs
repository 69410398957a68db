using System.Text;

namespace Rookery.Imap.Tests.ImapTest;

abstract record TemplatePart;

/// <param name="CaseSensitive">From ${case:...}; everything else matches case-insensitively.</param>
sealed record FixedPart(string Text, bool CaseSensitive) : TemplatePart;

sealed record VariablePart(string Name) : TemplatePart;

/// <summary>
/// Text with $variables: $name, ${name}, $$ for a dollar sign and ${case:text} for text that must
/// match case-sensitively. Commands expand it; expectations match it, binding what is unbound.
/// </summary>
sealed class Template
{
    Template(IReadOnlyList<TemplatePart> parts) => Parts = parts;

    public IReadOnlyList<TemplatePart> Parts { get; }

    public static Template Literal(string text) => new([new FixedPart(text, false)]);

    public static Template Parse(string text)
    {
        var parts = new List<TemplatePart>();
        var fixedText = new StringBuilder();
        void Flush()
        {
            if (fixedText.Length > 0)
                parts.Add(new FixedPart(fixedText.ToString(), false));
            fixedText.Clear();
        }
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] != '$' || i + 1 == text.Length)
            {
                fixedText.Append(text[i]);
                continue;
            }
            var next = text[i + 1];
            if (next == '$')
            {
                fixedText.Append('$');
                i++;
            }
            else if (next == '{')
            {
                var close = text.IndexOf('}', i + 2);
                if (close < 0)
                    throw new FormatException($"unterminated ${{ in {text}");
                var name = text[(i + 2)..close];
                Flush();
                parts.Add(name.StartsWith("case:", StringComparison.OrdinalIgnoreCase)
                    ? new FixedPart(name[5..], CaseSensitive: true)
                    : new VariablePart(name));
                i = close;
            }
            else if (IsNameChar(next))
            {
                var end = i + 1;
                while (end < text.Length && IsNameChar(text[end]))
                    end++;
                Flush();
                parts.Add(new VariablePart(text[(i + 1)..end]));
                i = end - 1;
            }
            else
                fixedText.Append('$');
        }
        Flush();
        return new Template(parts);
    }

    static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';

    /// <summary>Whether this is exactly the given word, as in the FETCH of "* 1 fetch (...)".</summary>
    public bool Is(string word) => Parts is [FixedPart p] && p.Text.Equals(word, StringComparison.OrdinalIgnoreCase);

    /// <summary>The text with every variable replaced; a command cannot use a variable nothing has bound yet.</summary>
    public string Expand(Variables variables)
    {
        var result = new StringBuilder();
        foreach (var part in Parts)
        {
            result.Append(part switch
            {
                FixedPart f => f.Text,
                VariablePart v => variables.TryGet(v.Name, out var value) ? value : throw new UnboundVariableException(v.Name),
                _ => "",
            });
        }
        return result.ToString();
    }

    /// <summary>
    /// Matches <paramref name="actual"/>, binding the one unbound variable if there is one (what is
    /// left between the fixed text before and after it). Two unbound variables in one value cannot
    /// be told apart, so such a template matches nothing.
    /// </summary>
    public bool Match(string actual, Variables variables)
    {
        var unbound = -1;
        for (var i = 0; i < Parts.Count; i++)
        {
            if (Parts[i] is VariablePart v && !variables.TryGet(v.Name, out _))
            {
                if (unbound >= 0)
                    return false;
                unbound = i;
            }
        }
        var start = 0;
        var end = unbound < 0 ? Parts.Count : unbound;
        for (var i = 0; i < end; i++)
        {
            var (text, comparison) = Resolve(Parts[i], variables);
            if (start + text.Length > actual.Length || string.Compare(actual, start, text, 0, text.Length, comparison) != 0)
                return false;
            start += text.Length;
        }
        if (unbound < 0)
            return start == actual.Length;
        var stop = actual.Length;
        for (var i = Parts.Count - 1; i > unbound; i--)
        {
            var (text, comparison) = Resolve(Parts[i], variables);
            if (stop - text.Length < start || string.Compare(actual, stop - text.Length, text, 0, text.Length, comparison) != 0)
                return false;
            stop -= text.Length;
        }
        return variables.TryBind(((VariablePart)Parts[unbound]).Name, actual[start..stop]);
    }

    static (string Text, StringComparison Comparison) Resolve(TemplatePart part, Variables variables) => part switch
    {
        FixedPart { CaseSensitive: true } f => (f.Text, StringComparison.Ordinal),
        FixedPart f => (f.Text, StringComparison.OrdinalIgnoreCase),
        VariablePart v when variables.TryGet(v.Name, out var value) => (value, StringComparison.OrdinalIgnoreCase),
        _ => throw new InvalidOperationException("unbound variable resolved"),
    };

    public override string ToString() => string.Concat(Parts.Select(p => p switch
    {
        FixedPart { CaseSensitive: true } f => "${case:" + f.Text + "}",
        FixedPart f => f.Text.Replace("$", "$$", StringComparison.Ordinal),
        VariablePart v => "${" + v.Name + "}",
        _ => "",
    }));
}

/// <summary>A command used a variable no earlier reply has bound.</summary>
sealed class UnboundVariableException(string name) : Exception($"${name} is used before any reply bound it")
{
    public string Name { get; } = name;
}
