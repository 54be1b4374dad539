namespace Chat.Api.Messages;

/// <summary>Whether files may be attached to a message (implemented by <c>Attachments.AttachmentAccess</c>, which owns file visibility).</summary>
public interface IAttachmentPolicy
{
    /// <summary>Refuses (Invalid) unless every file exists and <paramref name="caller"/> uploaded it or can already see it in a channel.</summary>
    Task EnsureShareableAsync(IReadOnlyCollection<Guid> fileIds, Channels.Caller caller, CancellationToken ct);
}
