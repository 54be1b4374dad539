using Chat.Files.Storage;
using Chat.RagService.Ingestion;
using ChatAspire.Rules;

namespace ChatAspire.Tests.Files;

/// <summary>Zip-based uploads within bounds, whatever their headers say (issue #13).</summary>
public sealed class ArchiveLimitsTests
{
    [Fact]
    public void The_extractor_refuses_a_bomb_without_inflating_it_into_memory()
    {
        var bomb = ZipSamples.Bomb(40 * 1024 * 1024);
        var limits = new ArchiveLimits();
        var before = GC.GetAllocatedBytesForCurrentThread();

        var refused = Assert.Throws<ExtractionException>(() => TextExtractor.Extract(new MemoryStream(bomb), ContentTypes.Docx, limits));

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Contains("inflates", refused.Message, StringComparison.Ordinal);
        Assert.True(allocated < 8 * 1024 * 1024, $"allocated {allocated / 1024 / 1024} MB");
        // Beyond the bound by total size rather than ratio: many entries that together inflate past MaxUncompressedBytes.
        var wide = ZipSamples.Wide(entries: 30, bytesEach: 5 * 1024 * 1024);
        Assert.Contains("more than 100 MB", Assert.Throws<ExtractionException>(
            () => TextExtractor.Extract(new MemoryStream(wide), ContentTypes.Docx, new ArchiveLimits { MaxCompressionRatio = 100_000 })).Message, StringComparison.Ordinal);
    }
}
