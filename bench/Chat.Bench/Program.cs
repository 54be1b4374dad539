// Benchmarks of the whole AppHost (Release). Each ends with one summary line; with --save it also writes bench/results/<name>.md
// (without it nothing in the working tree changes, so tests can run a bench).
//   dotnet run -c Release --project bench/Chat.Bench -- chat [--quick]  (throughput vs pgbench, capacity, fan-out, idle connections, telemetry cost; see ChatBench.cs)
//     chat --telemetry (only the telemetry cost, four counterbalanced rounds or BENCH_ROUNDS after a priming AppHost, CPU per program), chat --fanout (only the 1,000-subscriber channel, three runs);
//     --telemetry and --fanout take BENCH_SERVICE_ENV="KEY=value;…" to compare service settings; chat --compare runs BENCH_SERVICE_ENV_A against
//     BENCH_SERVICE_ENV (same rounds, telemetry on); chat --capacity runs the offered-load steps for both;
//     chat --saturation (only the saturation runs and pgbench on one AppHost: the headline ratio in a few minutes);
//     BENCH_WARMUP_SECONDS (default 30) sets the closed-loop warm-up before every saturation measurement, BENCH_RUNS (default 3)
//     the measured 20 s runs after it (e.g. 12 to watch a setting over minutes); chat --cost (telemetry's CPU per message by
//     program at a fixed offered rate, BENCH_RATE msg/s, default 1,500, off against on, BENCH_ROUNDS rounds, default 2)
//   dotnet run -c Release --project bench/Chat.Bench -- drill [--quick] (fault drills under load, see Drill.cs)
//   dotnet run -c Release --project bench/Chat.Bench -- restore [--messages 5000] (backup while running, restore into a fresh AppHost, compare; see Restore.cs)
//   dotnet run -c Release --project bench/Chat.Bench -- soak [--minutes 60] (steady mixed load as shipped: memory, latency, GC pauses, errors; see Soak.cs)
//   dotnet run -c Release --project bench/Chat.Bench -- rolling [--rate 200] (every service restarted with SIGTERM in turn under load, see Rolling.cs)
//   dotnet run -c Release --project bench/Chat.Bench -- files      (20 MB upload throughput, see FilesBench.cs)
//   dotnet run -c Release --project bench/Chat.Bench -- web        (Lighthouse on the sign-in and channel pages, the 10,000-message channel; see WebBench.cs)
//   dotnet run -c Release --project bench/Chat.Bench -- memory [--million-only] (the team memory: SciFact as messages, quality, leaks, latency, freshness, 1M messages; see MemoryBench.cs)
//   dotnet run -c Release --project bench/Chat.Bench -- rag        (ingestion and search latency at 10k/100k chunks, see RagBench.cs)
//     rag --million (also 1M chunks), rag --ingest-only / --search-only (only that phase, printed; takes BENCH_SERVICE_ENV too)
using Chat.Bench;

Repo.Save = args.Contains("--save");
args = [.. args.Where(a => a != "--save")];

if (args.FirstOrDefault() == "files")
{
    return await FilesBench.RunAsync();
}
if (args.FirstOrDefault() == "drill")
{
    return await Drill.RunAsync(args);
}
if (args.FirstOrDefault() == "restore")
{
    return await Restore.RunAsync(args);
}
if (args.FirstOrDefault() == "soak")
{
    return await Soak.RunAsync(args);
}
if (args.FirstOrDefault() == "rolling")
{
    return await Rolling.RunAsync(args);
}
if (args.FirstOrDefault() == "web")
{
    return await WebBench.RunAsync();
}
if (args.FirstOrDefault() == "memory")
{
    return await MemoryBench.RunAsync(args);
}
if (args.FirstOrDefault() == "rag")
{
    return await RagBench.RunAsync(args);
}

return await ChatBench.RunAsync(args);
