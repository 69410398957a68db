using System.Buffers;

namespace Rookery.Dagent.Tests;

public sealed class MessageSpoolTests : IDisposable
{
    readonly string directory = System.IO.Directory.CreateTempSubdirectory("rookery-spool-").FullName;

    public void Dispose() => System.IO.Directory.Delete(directory, recursive: true);

    static byte[] Data(int length) => Enumerable.Range(0, length).Select(i => (byte)(i * 7)).ToArray();

    [Fact]
    public void Small_messages_stay_in_memory()
    {
        using var spool = new MessageSpool(directory, memoryLimit: 1000);
        spool.Write(Data(999));
        Assert.False(spool.Spilled);
        Assert.Empty(System.IO.Directory.EnumerateFiles(directory));
        using var read = new MemoryStream();
        spool.OpenRead().CopyTo(read);
        Assert.Equal(Data(999), read.ToArray());
    }

    [Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")]
    public void Large_messages_go_to_a_file_only_the_owner_can_read_which_goes_away_on_dispose()
    {
        var data = Data(300_000);
        var spool = new MessageSpool(directory, memoryLimit: 1000);
        foreach (var chunk in data.Chunk(777))
            spool.Write(chunk);
        Assert.True(spool.Spilled);
        Assert.Equal(data.Length, spool.Length);
        var file = Assert.Single(System.IO.Directory.EnumerateFiles(directory));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));

        for (var pass = 0; pass < 2; pass++) // it can be read again, e.g. after a failed first attempt
        {
            using var read = new MemoryStream();
            using (var stream = spool.OpenRead())
                stream.CopyTo(read);
            Assert.Equal(data, read.ToArray());
        }
        spool.Dispose();
        Assert.Empty(System.IO.Directory.EnumerateFiles(directory));
    }

    [Fact]
    public void A_message_in_memory_is_delivered_from_the_memory_it_arrived_in()
    {
        using var spool = new MessageSpool(directory, memoryLimit: 1000);
        spool.Write(Data(999));
        using var content = spool.Content();
        Assert.Equal(Data(999), content.Memory.ToArray());
        // the same octets, not a copy of them: what the spool holds is what the delivery reads
        Assert.True(System.Runtime.InteropServices.MemoryMarshal.TryGetArray(content.Memory, out var segment));
        using var stream = content.OpenRead();
        Assert.True(((MemoryStream)stream).TryGetBuffer(out var streamed));
        Assert.Same(segment.Array, streamed.Array);
    }

    /// <summary>A spilled message is mapped for the delivery: read where it lies, never copied whole into memory.</summary>
    [Fact]
    public void A_spilled_message_is_delivered_from_its_file_mapped_not_copied()
    {
        var data = Data(4_000_000);
        using var spool = new MessageSpool(directory, memoryLimit: 1000);
        foreach (var chunk in data.Chunk(65_536))
            spool.Write(chunk);
        Assert.True(spool.Spilled);
        var buffer = new byte[65_536];
        for (var pass = 0; pass < 2; pass++) // once for the fields and structure, once to stage: neither copies
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            long total = 0;
            var equal = true;
            using (var content = spool.Content())
            {
                equal &= content.Length == data.Length && content.Memory.Span.SequenceEqual(data);
                using var stream = content.OpenRead();
                int n;
                while ((n = stream.Read(buffer)) > 0)
                {
                    equal &= buffer.AsSpan(0, n).SequenceEqual(data.AsSpan((int)total, n));
                    total += n;
                }
            }
            var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            Assert.True(equal);
            Assert.Equal(data.Length, total);
            Assert.True(allocated < 64 * 1024, $"{allocated} bytes allocated to read a {data.Length}-byte message");
        }
    }
}
