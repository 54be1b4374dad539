namespace Chat.Files.Storage;

/// <summary>Called before a file becomes available. Replace the registration to plug in a virus scanner.</summary>
public interface IFileScanner
{
    /// <returns>null when the file is clean, otherwise the reason it is refused.</returns>
    Task<string?> ScanAsync(string path, string contentType, CancellationToken ct);
}
