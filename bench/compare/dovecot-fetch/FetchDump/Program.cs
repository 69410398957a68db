using System.Buffers;
using Rookery.Imap;
using Rookery.Mime;
using Rookery.Imap.Protocol;

// FetchDump REQUESTS OUTPUT
// Each line of REQUESTS is a message file and FETCH items separated by tabs: ENVELOPE, BODY, BODYSTRUCTURE,
// BODY[section], BINARY[part], BINARY.SIZE[part]. Line n gives "* n FETCH (...)" in OUTPUT, or
// "* n NO UNKNOWN-CTE" when a BINARY item meets an encoding it cannot undo.
if (args.Length != 2)
{
    Console.Error.WriteLine("usage: FetchDump REQUESTS OUTPUT");
    return 2;
}
var structures = new Dictionary<string, MessageStructure>();
using var output = File.Create(args[1]);
var number = 0;
foreach (var line in File.ReadLines(args[0]))
{
    number++;
    var fields = line.Split('\t');
    if (!structures.TryGetValue(fields[0], out var message))
        structures[fields[0]] = message = MessageStructure.Parse(File.ReadAllBytes(fields[0]));
    var response = new ArrayBufferWriter<byte>();
    var writer = new ImapWriter(response);
    writer.Raw($"* {number} FETCH (");
    var known = true;
    for (var i = 1; i < fields.Length && known; i++)
    {
        if (i > 1)
            writer.Space();
        known = WriteItem(writer, message, fields[i]);
    }
    if (known)
        writer.Raw(")").EndLine();
    else
    {
        response.ResetWrittenCount();
        writer.Raw($"* {number} NO UNKNOWN-CTE").EndLine();
    }
    output.Write(response.WrittenSpan);
}
return 0;

static bool WriteItem(ImapWriter writer, MessageStructure message, string item)
{
    writer.Raw(item).Space();
    if (item == "ENVELOPE")
        message.WriteEnvelope(writer);
    else if (item is "BODY" or "BODYSTRUCTURE")
        message.WriteBodyStructure(writer, extensible: item == "BODYSTRUCTURE");
    else if (item.StartsWith("BODY[", StringComparison.Ordinal))
        writer.Literal(message.TryGetSection(item[5..^1], out var section) ? section.Span : []);
    else if (item.StartsWith("BINARY.SIZE[", StringComparison.Ordinal))
    {
        var found = message.TryGetBinarySize(item[12..^1], out var size, out var unknown);
        if (unknown)
            return false;
        writer.Number(found ? size : 0);
    }
    else if (item.StartsWith("BINARY[", StringComparison.Ordinal))
    {
        var found = message.TryGetBinary(item[7..^1], out var decoded, out var unknown);
        if (unknown)
            return false;
        writer.Literal(found ? decoded : [], binary: decoded.Contains((byte)0));
    }
    else
        throw new ArgumentException($"unknown item {item}");
    return true;
}
