using System.Diagnostics;
using System.Data.Common;
using System.Diagnostics.Metrics;
using ChatAspire.ServiceDefaults.Observability;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace ChatAspire.ServiceDefaults.Data;

/// <summary>
/// Records <c>database_queries_total</c> and <c>database_query_duration_seconds</c> by operation (never by SQL text)
/// and logs <c>slow_query</c> with the command text, which holds parameter placeholders, never their values.
/// </summary>
public sealed partial class DatabaseQueryObserver : DbCommandInterceptor
{
    public const string MeterName = "ChatAspire.Database";

    private readonly Counter<long> _queries;
    private readonly Histogram<double> _duration;
    private readonly IOptionsMonitor<ObservabilityOptions> _options;
    private readonly ILogger<DatabaseQueryObserver> _logger;

    public DatabaseQueryObserver(IMeterFactory meterFactory, IOptionsMonitor<ObservabilityOptions> options, ILogger<DatabaseQueryObserver> logger)
    {
        var meter = meterFactory.Create(MeterName);
        _queries = meter.CreateCounter<long>("database_queries", description: "Database commands by operation and outcome.");
        _duration = meter.CreateHistogram("database_query_duration_seconds", "s", "Database command duration by operation.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
        _options = options;
        _logger = logger;
    }

    public override DbDataReader ReaderExecuted(DbCommand command, CommandExecutedEventData eventData, DbDataReader result)
    {
        Observe(command, eventData.Duration, "ok");
        return result;
    }

    public override ValueTask<DbDataReader> ReaderExecutedAsync(DbCommand command, CommandExecutedEventData eventData, DbDataReader result, CancellationToken cancellationToken = default)
    {
        Observe(command, eventData.Duration, "ok");
        return ValueTask.FromResult(result);
    }

    public override int NonQueryExecuted(DbCommand command, CommandExecutedEventData eventData, int result)
    {
        Observe(command, eventData.Duration, "ok");
        return result;
    }

    public override ValueTask<int> NonQueryExecutedAsync(DbCommand command, CommandExecutedEventData eventData, int result, CancellationToken cancellationToken = default)
    {
        Observe(command, eventData.Duration, "ok");
        return ValueTask.FromResult(result);
    }

    public override object? ScalarExecuted(DbCommand command, CommandExecutedEventData eventData, object? result)
    {
        Observe(command, eventData.Duration, "ok");
        return result;
    }

    public override ValueTask<object?> ScalarExecutedAsync(DbCommand command, CommandExecutedEventData eventData, object? result, CancellationToken cancellationToken = default)
    {
        Observe(command, eventData.Duration, "ok");
        return ValueTask.FromResult(result);
    }

    public override void CommandFailed(DbCommand command, CommandErrorEventData eventData) =>
        Observe(command, eventData.Duration, "error");

    public override Task CommandFailedAsync(DbCommand command, CommandErrorEventData eventData, CancellationToken cancellationToken = default)
    {
        Observe(command, eventData.Duration, "error");
        return Task.CompletedTask;
    }

    /// <summary>Records a command run on a raw connection (outside EF), such as a batched write.</summary>
    public void Record(string operation, TimeSpan duration, bool ok)
    {
        var tags = new TagList { { "operation", OperationOf(operation) }, { "outcome", ok ? "ok" : "error" } };
        _queries.Add(1, tags);
        _duration.Record(duration.TotalSeconds, tags);
    }

    private void Observe(DbCommand command, TimeSpan duration, string outcome)
    {
        var operation = OperationOf(command.CommandText);
        var tags = new TagList { { "operation", operation }, { "outcome", outcome } };
        _queries.Add(1, tags);
        _duration.Record(duration.TotalSeconds, tags);
        if (duration >= _options.CurrentValue.SlowQueryThreshold && !InUpkeep.Value
            && !IsTaggedUpkeep(command.CommandText))
        {
            LogSlowQuery(_logger, operation, duration.TotalMilliseconds, command.CommandText);
        }
    }

    /// <summary>
    /// Marks the commands of the calling async flow, until the returned scope is disposed, as the service's own upkeep,
    /// not queries anyone should tune: start-up migrations (schema changes, the migration lock), start-up scans and
    /// readiness probes (a busy machine answers <c>SELECT 1</c> slowly). They are counted but not logged as
    /// <c>slow_query</c>. Use it with <c>using</c>, around the upkeep commands only.
    /// </summary>
    public static UpkeepScope Upkeep()
    {
        var previous = InUpkeep.Value;
        InUpkeep.Value = true; // set in a synchronous method, so the caller's flow keeps it
        return new UpkeepScope(previous);
    }

    /// <summary>Ends an <see cref="Upkeep"/> mark.</summary>
    public readonly struct UpkeepScope(bool previous) : IDisposable
    {
        public void Dispose() => InUpkeep.Value = previous;
    }

    private static readonly AsyncLocal<bool> InUpkeep = new();

    /// <summary>
    /// The other way to mark upkeep, for code that does not reference this project (ChatAspire.Messaging's outbox polls):
    /// a query tagged <c>.TagWith(UpkeepTag)</c>, whose text then starts with this comment.
    /// </summary>
    public const string UpkeepTag = "upkeep";

    private const string UpkeepTagComment = "-- " + UpkeepTag;

    /// <summary>True for a command whose first line is EF Core's comment for <c>TagWith(UpkeepTag)</c>.</summary>
    public static bool IsTaggedUpkeep(string sql) =>
        sql.StartsWith(UpkeepTagComment, StringComparison.Ordinal) && sql.Length > UpkeepTagComment.Length && sql[UpkeepTagComment.Length] is '\r' or '\n';

    /// <summary>The statement's leading keyword (after comments and a CTE), lower-case: a small, fixed label set.</summary>
    public static string OperationOf(string sql)
    {
        var span = sql.AsSpan();
        while (true)
        {
            span = span.TrimStart();
            if (span.StartsWith("--"))
            {
                var newline = span.IndexOf('\n');
                span = newline < 0 ? [] : span[(newline + 1)..];
                continue;
            }
            if (span.StartsWith("/*"))
            {
                var end = span.IndexOf("*/");
                span = end < 0 ? [] : span[(end + 2)..];
                continue;
            }
            break;
        }
        var length = 0;
        while (length < span.Length && char.IsAsciiLetter(span[length]))
        {
            length++;
        }
        var keyword = span[..length];
        foreach (var known in KnownOperations)
        {
            if (keyword.Equals(known, StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }
        return "other";
    }

    private static readonly string[] KnownOperations =
        ["select", "insert", "update", "delete", "with", "create", "alter", "drop", "begin", "commit", "rollback", "copy", "do"];

    [LoggerMessage(EventId = 1002, EventName = "slow_query", Level = LogLevel.Warning,
        Message = "slow_query {Operation} took {DurationMs} ms: {Sql}")]
    private static partial void LogSlowQuery(ILogger logger, string operation, double durationMs, string sql);
}
