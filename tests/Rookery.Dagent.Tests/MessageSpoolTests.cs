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
}
