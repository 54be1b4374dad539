namespace Chat.Files.Storage;

/// <summary>The default scanner: accepts everything.</summary>
public sealed class NoScanner : IFileScanner
{
    public Task<string?> ScanAsync(string path, string contentType, CancellationToken ct) => Task.FromResult<string?>(null);
}
