namespace ChatAspire.Contracts;

/// <summary>
/// Which files a user can see through channels (Chat.Api's answer to <c>GET /api/files/shared</c>) changes only when a
/// message with attachments is posted or deleted, or channel membership changes. Chat.Api then increments
/// <see cref="EpochKey"/> in Redis; the RAG service caches each caller's answer under the current epoch, so an unchanged
/// epoch means the cached answer still holds and no call to Chat.Api is needed.
/// </summary>
public static class FileVisibility
{
    public const string EpochKey = "files:visibility:epoch";
}
