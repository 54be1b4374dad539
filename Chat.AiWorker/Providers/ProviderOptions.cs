using System.ComponentModel.DataAnnotations;

namespace Chat.AiWorker.Providers;

/// <summary>Section <c>Ai</c>: which model answers, and how hard to try.</summary>
public sealed class ProviderOptions
{
    public const string SectionName = "Ai";
    public const string BuiltIn = "builtin";
    public const string Ollama = "ollama";
    public const string OpenAi = "openai";

    /// <summary><c>builtin</c> (extractive, no model download), <c>ollama</c> or <c>openai</c> (any OpenAI-compatible server).</summary>
    [Required, RegularExpression("builtin|ollama|openai")]
    public string Provider { get; set; } = BuiltIn;

    /// <summary>Model name, e.g. <c>llama3</c> for Ollama or <c>gpt-4o-mini</c>.</summary>
    public string? Model { get; set; }

    /// <summary>Server address: default http://localhost:11434 (Ollama) or https://api.openai.com/v1.</summary>
    public Uri? Endpoint { get; set; }

    /// <summary>API key for openai; set from an Aspire secret parameter, never logged.</summary>
    public string? ApiKey { get; set; }

    /// <summary>How long to wait for the first token of a reply (per attempt).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan FirstTokenTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The longest pause allowed between two tokens once a reply is streaming.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:10:00")]
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Retries of a request that failed before its first token.</summary>
    [Range(0, 10)]
    public int Retries { get; set; } = 2;

    /// <summary>Consecutive failed requests that open the circuit breaker (at least 2).</summary>
    [Range(2, 100)]
    public int BreakAfter { get; set; } = 3;

    /// <summary>How long an open circuit refuses calls before letting one try again.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "01:00:00")]
    public TimeSpan BreakFor { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Record prompts and replies in traces. Development only: they are user content.</summary>
    public bool RecordContent { get; set; }

    public string ModelName => Model ?? Provider switch
    {
        Ollama => "llama3",
        OpenAi => "gpt-4o-mini",
        _ => ExtractiveChatClient.ModelName,
    };
}
