using System.Buffers;
using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Chat.Files.Storage;

/// <summary>
/// Content-addressed blobs: <c>blobs/ab/abcdef…</c> by SHA-256, so identical bytes are stored once and no client
/// input ever becomes part of a path. Uploads stream into <c>tmp/</c> first and are moved in only when accepted.
/// </summary>
public sealed class BlobStore(IOptions<FilesOptions> options)
{
    private string Root => Path.GetFullPath(options.Value.StoragePath);

    public string TempDirectory => Path.Combine(Root, "tmp");

    public string BlobPath(string sha256) => Path.Combine(Root, "blobs", sha256[..2], sha256);

    public sealed record Received(string TempPath, long Size, string Sha256);

    /// <summary>Bytes read from the client and written to the temp file per step (fewer system calls than the 80 KiB default).</summary>
    private const int ChunkSize = 256 * 1024;

    /// <summary>How much is written before its write-back to disk is started, while the rest of the upload arrives.</summary>
    private const long WriteBehind = 2 * 1024 * 1024;

    /// <summary>
    /// Streams <paramref name="source"/> to a temp file, hashing as it goes and, when given, checking the text rule in the
    /// same pass (<paramref name="text"/>), so the file is read once; stops at <paramref name="maxSize"/>.
    /// </summary>
    /// <returns>The temp file, or null when the content is larger than allowed (the temp file is already gone).</returns>
    public async Task<Received?> ReceiveAsync(Stream source, long maxSize, CancellationToken ct, Utf8TextCheck? text = null)
    {
        Directory.CreateDirectory(TempDirectory);
        var temp = Path.Combine(TempDirectory, Guid.NewGuid().ToString("N"));
        var complete = false;
        // Two buffers: while one chunk is written to the file (a write can block on the kernel's write-back), the next is
        // read from the client, hashed and checked.
        byte[][] buffers = [ArrayPool<byte>.Shared.Rent(ChunkSize), ArrayPool<byte>.Shared.Rent(ChunkSize)];
        ValueTask pending = default;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0, writtenBack = 0;
            using (var file = File.OpenHandle(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, FileOptions.Asynchronous, preallocationSize: 0))
            {
                int read;
                for (var turn = 0; (read = await source.ReadAtLeastAsync(buffers[turn].AsMemory(0, ChunkSize), ChunkSize, throwOnEndOfStream: false, ct)) > 0; turn ^= 1)
                {
                    if (size + read > maxSize)
                    {
                        return null; // the write in flight is awaited below, before the file is deleted
                    }
                    var chunk = buffers[turn].AsMemory(0, read);
                    hash.AppendData(chunk.Span);
                    text?.Append(chunk.Span);
                    await pending; // the other buffer's write: done before that buffer is read into again
                    pending = RandomAccess.WriteAsync(file, chunk, size, ct);
                    size += read;
                    if (size - writtenBack >= WriteBehind)
                    {
                        DirectorySync.StartWriteBack(file, writtenBack, size - writtenBack - read); // what is surely written
                        writtenBack = size - read;
                    }
                }
                await pending;
                pending = default;
                RandomAccess.FlushToDisk(file); // the bytes are on disk before anything refers to them
            }
            complete = true;
            return new Received(temp, size, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        finally
        {
            if (!pending.IsCompleted)
            {
                try
                {
                    await pending; // a buffer goes back to the pool only when nothing writes from it
                }
                catch (Exception ex) when (ex is IOException or ObjectDisposedException or OperationCanceledException)
                {
                    // the upload failed or was refused already; its temp file is deleted below
                }
            }
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
            if (!complete)
            {
                File.Delete(temp);
            }
        }
    }

    /// <summary>
    /// Moves an accepted temp file to its blob path, or drops it when the same content is already stored. When this
    /// returns, the blob's directory entry is on disk too (the bytes were flushed on receipt), so a row that names the
    /// blob, committed next, never outlives it in a crash.
    /// </summary>
    public void Commit(Received received)
    {
        var target = BlobPath(received.Sha256);
        var directory = Path.GetDirectoryName(target)!;
        var created = !Directory.Exists(directory);
        Directory.CreateDirectory(directory);
        try
        {
            File.Move(received.TempPath, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            File.Delete(received.TempPath); // identical content already stored
        }
        DirectorySync.Flush(directory);
        if (created)
        {
            DirectorySync.Flush(Path.GetDirectoryName(directory)!); // the new fan-out directory's own entry
        }
    }

    public void Discard(Received received) => File.Delete(received.TempPath);

    public void Delete(string sha256) => File.Delete(BlobPath(sha256));

    public Stream Open(string sha256) => new FileStream(BlobPath(sha256), FileMode.Open, FileAccess.Read, FileShare.Read, 81920, useAsync: true);
}
