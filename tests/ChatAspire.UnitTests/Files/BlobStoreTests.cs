using System.Security.Cryptography;
using Chat.Files.Storage;
using Microsoft.Extensions.Options;

namespace ChatAspire.UnitTests.Files;

/// <summary>The blob store on a real folder: bytes received, hashed, flushed and moved into place with their directory flushed.</summary>
public sealed class BlobStoreTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("blobs-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task A_received_upload_is_committed_under_its_hash_and_a_second_copy_of_the_same_bytes_is_dropped()
    {
        var store = new BlobStore(Options.Create(new FilesOptions { StoragePath = _root.FullName }));
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        var sha = Convert.ToHexStringLower(SHA256.HashData(bytes));

        var first = await store.ReceiveAsync(new MemoryStream(bytes), maxSize: 1_000_000, CancellationToken.None);
        Assert.NotNull(first);
        Assert.Equal((300_000L, sha), (first.Size, first.Sha256));
        store.Commit(first); // creates the fan-out folder: flushes it and its parent

        var second = await store.ReceiveAsync(new MemoryStream(bytes), maxSize: 1_000_000, CancellationToken.None);
        store.Commit(second!);

        Assert.Equal(bytes, await File.ReadAllBytesAsync(store.BlobPath(sha)));
        Assert.Empty(Directory.GetFiles(store.TempDirectory)); // both temp files are gone: one moved, one dropped
    }

    [Fact]
    public async Task An_upload_over_the_limit_leaves_nothing_behind()
    {
        var store = new BlobStore(Options.Create(new FilesOptions { StoragePath = _root.FullName }));

        Assert.Null(await store.ReceiveAsync(new MemoryStream(new byte[2_000]), maxSize: 1_000, CancellationToken.None));
        Assert.Empty(Directory.GetFiles(store.TempDirectory));
    }
}
