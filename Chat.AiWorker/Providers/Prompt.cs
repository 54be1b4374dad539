using System.Text;
using System.Text.RegularExpressions;
using ChatAspire.Contracts;
using Microsoft.Extensions.AI;

namespace Chat.AiWorker.Providers;

/// <summary>
/// Builds what every provider reads: a system message with the numbered sources (RAG hits), the recent conversation
/// within a token budget, then the question. The built-in provider parses the sources back out of the system message.
/// </summary>
public static partial class Prompt
{
    public sealed record Source(int Number, string Label, string Text);

    public sealed record HistoryLine(string Sender, string Text, bool FromAssistant);

    /// <summary>Rough budget for the conversation history, in tokens (≈ 4 characters each).</summary>
    public const int HistoryTokenBudget = 1500;

    private const string Instructions =
        "You are the assistant in a team chat. Answer the last question. The numbered sources below are passages of the " +
        "channel's documents and earlier messages of the channel. When they are relevant, " +
        "use them and cite them like [1]; if they do not contain the answer, say so rather than guessing.";

    public static IReadOnlyList<Source> Sources(IReadOnlyList<RagHit> hits) => Sources(hits, []);

    /// <summary>Document passages first, then the channel's earlier messages, numbered on from them.</summary>
    public static IReadOnlyList<Source> Sources(IReadOnlyList<RagHit> hits, IReadOnlyList<MemoryHit> messages) =>
        [.. hits.Select((h, i) => new Source(i + 1, Label(h), h.Text)),
         .. messages.Select((m, i) => new Source(hits.Count + i + 1, Label(m), m.Text))];

    /// <summary>A message source: "message #42, 2026-12-07 09:30 UTC".</summary>
    public static string Label(MemoryHit message) =>
        string.Create(System.Globalization.CultureInfo.InvariantCulture, $"message #{message.Seq}, {message.CreatedAt:yyyy-MM-dd HH:mm} UTC");

    public static string Label(RagHit hit) =>
        hit.Page is { } page ? $"{hit.FileName}, page {page}" : hit.Heading is { Length: > 0 } heading ? $"{hit.FileName}, “{heading}”" : hit.FileName;

    public static List<ChatMessage> Build(string question, IReadOnlyList<HistoryLine> history, IReadOnlyList<Source> sources)
    {
        var system = new StringBuilder(Instructions);
        if (sources.Count > 0)
        {
            system.Append("\n\nSources:");
            foreach (var s in sources)
            {
                system.Append("\n[").Append(s.Number).Append("] (").Append(s.Label).Append(") ").Append(Flatten(s.Text));
            }
        }
        var messages = new List<ChatMessage> { new(ChatRole.System, system.ToString()) };
        var budget = HistoryTokenBudget * 4;
        var kept = new List<ChatMessage>();
        foreach (var line in history.Reverse())
        {
            var text = line.FromAssistant ? line.Text : $"{line.Sender}: {line.Text}";
            if ((budget -= text.Length) < 0)
            {
                break;
            }
            kept.Add(new ChatMessage(line.FromAssistant ? ChatRole.Assistant : ChatRole.User, text));
        }
        kept.Reverse();
        messages.AddRange(kept);
        messages.Add(new ChatMessage(ChatRole.User, question));
        return messages;
    }

    /// <summary>The sources listed in a system message built by <see cref="Build"/>.</summary>
    public static IReadOnlyList<Source> ParseSources(string system) =>
        [.. SourceLine().Matches(system).Select(m => new Source(int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture),
            m.Groups["label"].Value, m.Groups["text"].Value))];

    /// <summary>The source numbers a reply cites, in order of first use.</summary>
    public static IReadOnlyList<int> Cited(string reply) =>
        [.. CitationMark().Matches(reply).Select(m => int.Parse(m.Groups["n"].Value, System.Globalization.CultureInfo.InvariantCulture)).Distinct()];

    public static string Flatten(string text) => Whitespace().Replace(text, " ").Trim();

    [GeneratedRegex(@"^\[(?<n>\d+)\] \((?<label>[^\n]*?)\) (?<text>[^\n]*)$", RegexOptions.Multiline)]
    private static partial Regex SourceLine();

    [GeneratedRegex(@"\[(?<n>\d{1,2})\]")]
    private static partial Regex CitationMark();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
