using System.Runtime.InteropServices;

namespace Rookery.Blobs;

/// <summary>fsync of a directory, which .NET's file APIs cannot open.</summary>
static partial class DirectorySync
{
    const int ReadOnly = 0; // O_RDONLY; O_DIRECTORY's value differs between architectures, and a directory opens read-only anyway

    public static void Flush(string directory)
    {
        var fd = LocalFileReader.Open(directory, ReadOnly);
        if (fd < 0)
            throw new IOException($"cannot open directory {directory} to flush it (errno {Marshal.GetLastPInvokeError()})");
        try
        {
            if (Fsync(fd) != 0)
                throw new IOException($"fsync of directory {directory} failed (errno {Marshal.GetLastPInvokeError()})");
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [DllImport("libc", EntryPoint = "fsync", SetLastError = true)]
    static extern int Fsync(int fd);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    static extern int Close(int fd);
}
