using System.Diagnostics;
using System.Globalization;
using System.Text;
using Chat.AiWorker.Providers;
using ChatAspire.Contracts;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace Chat.AiWorker.Summaries;

/// <summary>A written catch-up: the model's summary, the messages it was given (numbered as it cites them), who took part.</summary>
public sealed record CatchUpSummaryDto(Guid ChannelId, long FromSeq, long ToSeq, int Unread, string Summary, IReadOnlyList<AiCitation> Sources,
    IReadOnlyList<int> Cited, IReadOnlyList<CatchUpDigest.Participant> Participants, string Mode, string Model);

/// <summary>
/// "Catch me up" written by the configured model: Chat.Api picks the messages worth reading (its extractive digest, read
/// with the reader's token, so only what the reader may see), the model writes a few sentences over them citing [n],
/// and every [n] is the same link the digest gives (the message, opened in its channel around its seq).
/// </summary>
public sealed partial class CatchUpSummaries(IChatClient chat, IOptions<ProviderOptions> provider, IOptions<SummaryOptions> options,
    AiTelemetry telemetry, ILogger<CatchUpSummaries> logger)
{
    public const string Mode = "model";

    private const string Instructions =
        "You write a short catch-up for someone who was away from a team chat channel. Below are the unread messages worth " +
        "reading, numbered, in order. Write at most five sentences (or short bullet points) saying what was decided, asked " +
        "and done, naming people. Use only these messages and cite them like [1]. Do not invent anything.";

    private readonly SemaphoreSlim _gate = new(options.Value.MaxConcurrent);

    public bool HasModel => provider.Value.Provider != ProviderOptions.BuiltIn;

    public async Task<CatchUpSummaryDto> SummariseAsync(CatchUpDigest.Digest digest, CancellationToken ct)
    {
        var p = provider.Value;
        using var activity = AiTelemetry.Source.StartActivity("ai.catch_up");
        activity?.SetTag("chat.channel_id", digest.ChannelId);
        activity?.SetTag("ai.unread", digest.Unread);
        activity?.SetTag("gen_ai.request.model", p.ModelName);
        var sources = digest.Highlights.Select((h, i) => new AiCitation(i + 1, null, null, null, null, h.Message.Id, h.Message.ChannelId, h.Message.Seq))
            .ToList();
        if (digest.Highlights.Count == 0)
        {
            return new CatchUpSummaryDto(digest.ChannelId, digest.FromSeq, digest.ToSeq, digest.Unread, "Nothing new since you last read this channel.",
                [], [], digest.Participants, Mode, p.ModelName);
        }

        await _gate.WaitAsync(ct);
        var watch = Stopwatch.StartNew();
        var text = new StringBuilder();
        try
        {
            telemetry.ModelCalled(p.Provider, p.ModelName);
            await foreach (var update in chat.GetStreamingResponseAsync(Build(digest, options.Value.MessageCharacters), new ChatOptions { ModelId = p.ModelName }, ct))
            {
                text.Append(update.Text);
            }
        }
        catch (ProviderUnavailableException ex)
        {
            activity?.SetStatus(ActivityStatusCode.Error, "provider unavailable");
            LogFailed(logger, digest.ChannelId, p.Provider, ex.Message);
            throw;
        }
        finally
        {
            _gate.Release();
        }
        var summary = text.ToString().Trim();
        var cited = Prompt.Cited(summary).Where(n => n >= 1 && n <= sources.Count).Distinct().ToList();
        activity?.SetTag("response.length", summary.Length);
        activity?.SetTag("ai.citations", cited.Count);
        LogSummarised(logger, digest.ChannelId, digest.Unread, digest.Highlights.Count, summary.Length, cited.Count, watch.ElapsedMilliseconds);
        return new CatchUpSummaryDto(digest.ChannelId, digest.FromSeq, digest.ToSeq, digest.Unread, summary.Length > 0 ? summary : "(no summary)", sources,
            cited, digest.Participants, Mode, p.ModelName);
    }

    /// <summary>The instructions, then the unread part: how many, who, and the numbered messages ("[2] Alice, #41, thread of 3: …").</summary>
    public static List<ChatMessage> Build(CatchUpDigest.Digest digest, int messageCharacters)
    {
        var user = new StringBuilder();
        user.Append(CultureInfo.InvariantCulture, $"{digest.Unread} unread messages");
        if (digest.Participants.Count > 0)
        {
            user.Append(" from ").AppendJoin(", ", digest.Participants.Select(x => $"{x.Name} ({x.Messages})"));
        }
        user.Append(".\n\nMessages:");
        foreach (var (h, i) in digest.Highlights.Select((h, i) => (h, i)))
        {
            var content = Prompt.Flatten(h.Message.Content);
            if (content.Length > messageCharacters)
            {
                content = content[..messageCharacters].TrimEnd() + "…";
            }
            user.Append(CultureInfo.InvariantCulture, $"\n[{i + 1}] {h.Message.SenderName}, #{h.Message.Seq}");
            if (h.ThreadSize > 1)
            {
                user.Append(CultureInfo.InvariantCulture, $", thread of {h.ThreadSize}");
            }
            user.Append(": ").Append(content);
        }
        return [new(ChatRole.System, Instructions), new(ChatRole.User, user.ToString())];
    }

    [LoggerMessage(EventId = 5105, EventName = "ai_catch_up_summarised", Level = LogLevel.Information,
        Message = "Catch-up summary for channel {ChannelId}: {Unread} unread, {Highlights} messages given, {Length} characters, {Citations} citations in {ElapsedMs} ms")]
    private static partial void LogSummarised(ILogger logger, Guid channelId, int unread, int highlights, int length, int citations, long elapsedMs);

    [LoggerMessage(EventId = 5106, EventName = "ai_catch_up_failed", Level = LogLevel.Warning,
        Message = "Catch-up summary for channel {ChannelId} failed: provider {Provider} unavailable ({Reason})")]
    private static partial void LogFailed(ILogger logger, Guid channelId, string provider, string reason);
}
