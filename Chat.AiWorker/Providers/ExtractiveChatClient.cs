using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Chat.AiWorker.Providers;

/// <summary>
/// The built-in provider: no language model, no download. It answers only by quoting the sentences of the numbered
/// sources (see <see cref="Prompt"/>) that share the most words with the question, each with its citation, and says
/// plainly what it is and how to configure a real model. It never writes text of its own about the question.
/// </summary>
public sealed partial class ExtractiveChatClient : IChatClient
{
    public const string ModelName = "extractive-v1";
    public const int MaxQuotes = 3;

    public const string Disclaimer =
        "I am ChatAspire's built-in retrieval assistant, not a language model: I can only quote the documents shared in this channel. " +
        "For written answers, configure a model provider (Ai__Provider=ollama or openai; see the README).";

    private static readonly HashSet<string> StopWords = new(StringComparer.Ordinal)
    {
        "the", "and", "for", "are", "but", "not", "you", "all", "any", "can", "had", "her", "was", "one", "our", "out", "has", "him", "his",
        "how", "its", "may", "who", "did", "get", "use", "with", "that", "this", "from", "they", "will", "would", "there", "their", "what",
        "about", "which", "when", "make", "like", "than", "then", "them", "these", "some", "does", "into", "have", "your", "were", "been",
        "should", "could", "where", "why", "also", "just", "over", "such", "only", "other", "more", "most", "very", "much", "many", "each",
    };

    public ChatClientMetadata Metadata { get; } = new("builtin", defaultModelId: ModelName);

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        var question = list.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var sources = Prompt.ParseSources(string.Join('\n', list.Where(m => m.Role == ChatRole.System).Select(m => m.Text)));
        var answer = Answer(question, sources);
        var words = answer.Split(' ');
        var id = Guid.NewGuid().ToString("N");
        // Stream a few words at a time, like a model would, so clients exercise the same path.
        for (var i = 0; i < words.Length; i += 4)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var piece = string.Join(' ', words.Skip(i).Take(4)) + (i + 4 < words.Length ? " " : "");
            yield return new ChatResponseUpdate(ChatRole.Assistant, piece) { ResponseId = id, ModelId = ModelName };
            await Task.Yield();
        }
        var inputWords = list.Sum(m => CountWords(m.Text));
        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ResponseId = id,
            ModelId = ModelName,
            FinishReason = ChatFinishReason.Stop,
            Contents = [new UsageContent(new UsageDetails { InputTokenCount = inputWords, OutputTokenCount = words.Length, TotalTokenCount = inputWords + words.Length })],
        };
    }

    /// <summary>The reply (Markdown): up to <see cref="MaxQuotes"/> quoted sentences as a list with their source numbers, then the disclaimer.</summary>
    public static string Answer(string question, IReadOnlyList<Prompt.Source> sources)
    {
        var terms = Terms(question).ToHashSet(StringComparer.Ordinal);
        var sentences = sources.SelectMany(s => Sentences().Split(s.Text).Select(t => (Source: s.Number, Text: t.Trim())))
            .Where(s => s.Text.Length >= 20).ToList();
        // Rarer shared words count more (a crude inverse document frequency over the candidate sentences).
        var frequency = sentences.SelectMany(s => Terms(s.Text).Distinct()).GroupBy(t => t).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        var best = sentences
            .Select(s => (s.Source, s.Text, Score: Terms(s.Text).Distinct().Where(terms.Contains).Sum(t => 1.0 / frequency[t])))
            .Where(s => s.Score > 0)
            .OrderByDescending(s => s.Score)
            .Take(MaxQuotes)
            .ToList();
        var text = new StringBuilder();
        if (best.Count == 0)
        {
            text.Append(sources.Count == 0
                ? "No documents are shared in this channel yet, so I have nothing to quote. "
                : "I could not find anything about that in this channel's documents or earlier messages. ");
        }
        else
        {
            // Markdown (clients render it): one quoted sentence per list item, the disclaimer as its own paragraph. Messages
            // of the channel (the team memory) are quoted the same way as documents.
            var quotesMessages = best.Any(b => sources.First(s => s.Number == b.Source).Label.StartsWith("message #", StringComparison.Ordinal));
            text.Append(quotesMessages ? "From this channel's documents and earlier messages:\n\n" : "From the documents shared in this channel:\n\n");
            foreach (var (source, sentence, _) in best)
            {
                text.Append("- \"").Append(sentence.TrimEnd()).Append("\" [").Append(source).Append("]\n");
            }
            text.Append('\n');
        }
        text.Append(Disclaimer);
        return text.ToString();
    }

    private static IEnumerable<string> Terms(string text) =>
        Words().Matches(text.ToLowerInvariant()).Select(m => Stem(m.Value)).Where(w => w.Length >= 3 && !StopWords.Contains(w));

    private static string Stem(string word) =>
        word.Length > 5 && word.EndsWith("ing", StringComparison.Ordinal) ? word[..^3]
        : word.Length > 4 && word.EndsWith("ed", StringComparison.Ordinal) ? word[..^2]
        : word.Length > 3 && word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) ? word[..^1]
        : word;

    private static int CountWords(string text) => Words().Count(text);

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is not null ? null
        : serviceType == typeof(ChatClientMetadata) ? Metadata
        : serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Words();

    [GeneratedRegex(@"(?<=[.!?])\s+")]
    private static partial Regex Sentences();
}
