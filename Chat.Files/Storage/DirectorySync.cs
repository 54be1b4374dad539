using System.Runtime.InteropServices;

namespace Chat.Files.Storage;

/// <summary>
/// Flushes a directory's entries to disk (<c>fsync</c> on the directory), which makes a file created or renamed in it
/// survive a crash; .NET has no API for it (a directory cannot be opened as a FileStream). Linux and macOS only; elsewhere
/// (Windows: NTFS journals its metadata) it does nothing.
/// </summary>
public static partial class DirectorySync
{
    private const int ReadOnly = 0; // O_RDONLY

    public static void Flush(string directory)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return;
        }
        var fd = Open(directory, ReadOnly);
        if (fd < 0)
        {
            throw new IOException($"Cannot open directory for fsync (errno {Marshal.GetLastPInvokeError()}).");
        }
        try
        {
            if (Fsync(fd) != 0)
            {
                throw new IOException($"fsync of a directory failed (errno {Marshal.GetLastPInvokeError()}).");
            }
        }
        finally
        {
            _ = Close(fd);
        }
    }

    private const uint SyncFileRangeWrite = 2; // SYNC_FILE_RANGE_WRITE: start writing the range back, do not wait

    /// <summary>
    /// Starts writing a range of a file's dirty pages to disk without waiting (Linux <c>sync_file_range</c>), so that the
    /// flush at the end of a large write finds most of the bytes already on disk ("write-behind", as RocksDB's
    /// <c>bytes_per_sync</c>). Only a hint: durability still comes from the final flush. Does nothing elsewhere.
    /// </summary>
    public static void StartWriteBack(Microsoft.Win32.SafeHandles.SafeFileHandle file, long offset, long count)
    {
        if (OperatingSystem.IsLinux())
        {
            _ = SyncFileRange((int)file.DangerousGetHandle(), offset, count, SyncFileRangeWrite);
        }
    }

    [LibraryImport("libc", EntryPoint = "sync_file_range", SetLastError = true)]
    private static partial int SyncFileRange(int fd, long offset, long count, uint flags);

    [LibraryImport("libc", EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport("libc", EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
