using System.ComponentModel.DataAnnotations;

namespace Chat.RagService.Documents;

/// <summary>Section <c>Rag:Documents</c>.</summary>
public sealed class DocumentsOptions
{
    public const string SectionName = "Rag:Documents";

    /// <summary>
    /// How long a status request for a file not known yet waits for its upload event (on its way from Chat.Files; it is
    /// recorded as queued within milliseconds of its arrival, however long the ingestion queue is).
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:00:30")]
    public TimeSpan NewFileWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Most file ids in one bulk status request.</summary>
    [Range(1, 10_000)]
    public int MaxBulkFiles { get; set; } = 1000;
}
