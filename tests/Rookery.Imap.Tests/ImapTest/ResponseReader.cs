using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.RegularExpressions;

namespace Rookery.Imap.Tests.ImapTest;

/// <summary>Reads whole responses, literals included, from the server's side of a connection.</summary>
sealed partial class ResponseReader(PipeReader input)
{
    /// <summary>The next response, or null when the server has closed the connection.</summary>
    public async Task<ServerResponse?> ReadAsync(CancellationToken cancellationToken)
    {
        var segments = new List<Segment>();
        while (true)
        {
            var line = await ReadLineAsync(cancellationToken);
            if (line is null)
                return null;
            var marker = LiteralMarker().Match(line);
            if (!marker.Success)
            {
                segments.Add(new TextSegment(line));
                return ServerResponse.Parse(segments);
            }
            segments.Add(new TextSegment(line[..marker.Index]));
            var length = int.Parse(marker.Groups[2].Value, CultureInfo.InvariantCulture);
            var content = await ReadBytesAsync(length, cancellationToken);
            if (content is null)
                return null;
            segments.Add(new LiteralSegment(content, Binary: marker.Groups[1].Length > 0));
        }
    }

    [GeneratedRegex(@"(~?)\{([0-9]+)\+?\}$")]
    private static partial Regex LiteralMarker();

    async Task<string?> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.PositionOf((byte)'\n') is { } end)
            {
                var line = Encoding.Latin1.GetString(buffer.Slice(0, end));
                input.AdvanceTo(buffer.GetPosition(1, end));
                return line.TrimEnd('\r');
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                return null;
        }
    }

    async Task<string?> ReadBytesAsync(int count, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await input.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length >= count)
            {
                var content = Encoding.Latin1.GetString(buffer.Slice(0, count));
                input.AdvanceTo(buffer.GetPosition(count));
                return content;
            }
            input.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
                return null;
        }
    }
}
