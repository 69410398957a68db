using Rookery.Imap.Mime;

namespace Rookery.Imap.Tests.Mime;

/// <summary>
/// The stored form of a structure: compact, versioned, and never misread. (That it answers as the message
/// does is checked by every structure test, through <see cref="Fetch"/>.)
/// </summary>
public sealed class StructureDescriptionTests
{
    [Fact]
    public void A_description_is_smaller_than_the_envelope_and_bodystructure_it_answers()
    {
        foreach (var raw in ConformanceCorpusTests.CorpusMessages())
        {
            var message = MessageStructure.Parse(raw);
            var description = MessageStructure.Describe(raw)!;
            Assert.True(description.Length < Fetch.Envelope(message).Length + Fetch.BodyStructure(message).Length,
                $"{description.Length} octets for {Fetch.BodyStructure(message)}");
        }
    }

    [Fact]
    public void A_description_of_another_version_is_not_read()
    {
        var description = MessageStructure.Describe(Fetch.Crlf("Subject: s\n\nbody\n"))!;
        Assert.NotNull(MessageStructure.FromDescription(description));

        description[0]++;
        Assert.Null(MessageStructure.FromDescription(description));
        Assert.Null(MessageStructure.FromDescription([]));
    }

    [Fact]
    public void A_damaged_description_is_refused_or_still_writes_and_never_throws()
    {
        var samples = ConformanceCorpusTests.CorpusMessages().Where((_, i) => i % 10 == 0).Select(m => MessageStructure.Describe(m)!);
        foreach (var description in samples)
        {
            for (var length = 0; length < description.Length; length++)
                Assert.Null(MessageStructure.FromDescription(description.AsSpan(0, length)));
            for (var i = 0; i < description.Length; i++)
            {
                foreach (var value in (byte[])[0, 1, 0x7f, 0x80, 0xff, (byte)(description[i] ^ 0x55)])
                {
                    var damaged = (byte[])description.Clone();
                    damaged[i] = value;
                    if (MessageStructure.FromDescription(damaged) is { } structure)
                    {
                        Fetch.Render(structure.WriteEnvelope);
                        Fetch.Render(w => structure.WriteBodyStructure(w, extensible: true));
                    }
                }
            }
        }
    }
}
