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

    /// <summary>Streams <paramref name="source"/> to a temp file, hashing as it goes; stops at <paramref name="maxSize"/>.</summary>
    /// <returns>The temp file, or null when the content is larger than allowed (the temp file is already gone).</returns>
    public async Task<Received?> ReceiveAsync(Stream source, long maxSize, CancellationToken ct)
    {
        Directory.CreateDirectory(TempDirectory);
        var temp = Path.Combine(TempDirectory, Guid.NewGuid().ToString("N"));
        var complete = false;
        try
        {
            using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            long size = 0;
            await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
            {
                var buffer = new byte[81920];
                int read;
                while ((read = await source.ReadAsync(buffer, ct)) > 0)
                {
                    size += read;
                    if (size > maxSize)
                    {
                        return null;
                    }
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), ct);
                }
                file.Flush(flushToDisk: true); // the bytes are on disk before anything refers to them
            }
            complete = true;
            return new Received(temp, size, Convert.ToHexStringLower(hash.GetHashAndReset()));
        }
        finally
        {
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
