using System.Diagnostics;
using System.Globalization;
using ChatAspire.Contracts;

namespace Chat.Bench;

/// <summary>
/// Upload throughput of a 20 MB file through Chat.Files (multipart, streamed, hashed, type-checked, stored, outbox event),
/// beside a same-run baseline: writing the same bytes straight to a file on the same disk, made durable the way an upload
/// is before its 201 (the file flushed, then its directory: Chat.Files.Storage.BlobStore).
/// </summary>
internal static class FilesBench
{
    private const int Size = 20 * 1024 * 1024;
    private const int Rounds = 12;

    private static async Task<double> UploadAsync(HttpClient files, byte[] bytes, int round)
    {
        using var form = new MultipartFormDataContent { { new ByteArrayContent(bytes), "file", $"bench-{round}.txt" } };
        var upload = Stopwatch.StartNew();
        using var response = await files.PostAsync("/api/files", form);
        upload.Stop();
        response.EnsureSuccessStatusCode();
        return upload.Elapsed.TotalSeconds;
    }

    private static async Task<double> BaselineAsync(string scratch, byte[] bytes, int round)
    {
        var baseline = Stopwatch.StartNew();
        await using (var file = new FileStream(Path.Combine(scratch, $"{round}.txt"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 81920, useAsync: true))
        {
            await file.WriteAsync(bytes);
            file.Flush(flushToDisk: true);
        }
        Chat.Files.Storage.DirectorySync.Flush(scratch);
        return baseline.Elapsed.TotalSeconds;
    }

    public static async Task<int> RunAsync()
    {
        await using var app = await BenchApp.StartAsync(ResourceNames.Files, ResourceNames.Api);
        var (_, token) = await BenchApp.RegisterAsync(app, "filebench");
        using var files = BenchApp.Client(app, ResourceNames.Files, token);

        var uploads = new List<double>();
        var baselines = new List<double>();
        var scratch = Path.Combine(Path.GetTempPath(), $"filebench-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        for (var round = 0; round < Rounds; round++)
        {
            // Fresh bytes every round: dedupe must not turn the upload into a no-op.
            var bytes = new byte[Size];
            new Random(round).NextBytes(bytes);
            for (var i = 0; i < bytes.Length; i++)
            {
                bytes[i] = (byte)('a' + (bytes[i] % 26)); // text, an accepted type
            }

            // Half the rounds measure the baseline first, half the upload first, so neither always meets a disk that is
            // still writing back the other's bytes; each round's ratio pairs two writes made seconds apart.
            double upload, baseline;
            if (round % 2 == 0)
            {
                upload = await UploadAsync(files, bytes, round);
                baseline = await BaselineAsync(scratch, bytes, round);
            }
            else
            {
                baseline = await BaselineAsync(scratch, bytes, round);
                upload = await UploadAsync(files, bytes, round);
            }
            uploads.Add(upload);
            baselines.Add(baseline);
        }
        Directory.Delete(scratch, recursive: true);

        static double Median(IEnumerable<double> xs) => xs.Order().ElementAt(xs.Count() / 2);
        var ratio = Median(uploads.Zip(baselines, (u, b) => b / u));
        var mb = Size / (1024.0 * 1024.0);
        var uploadRate = mb / Median(uploads);
        var baselineRate = mb / Median(baselines);
        var report = string.Create(CultureInfo.InvariantCulture, $"""
            # Upload benchmark

            {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC, commit {Repo.Git("rev-parse --short HEAD")}, {Environment.ProcessorCount} cores. {Rounds} rounds of a fresh 20 MB text file, each uploaded and written by the baseline (alternating which goes first); medians.

            | measure | value |
            |---|---|
            | Chat.Files upload (multipart over loopback, streamed to disk and flushed, SHA-256, type check, DB row + outbox) | {uploadRate:F0} MB/s ({Median(uploads) * 1000:F0} ms) |
            | baseline: the same bytes written straight to a file, flushed with its directory | {baselineRate:F0} MB/s ({Median(baselines) * 1000:F0} ms) |
            | upload / baseline (median of each round's ratio) | {ratio:F2} |

            Each round's baseline time / upload time: {string.Join(", ", uploads.Zip(baselines, (u, b) => (b / u).ToString("F2", CultureInfo.InvariantCulture)))}.

            files-bench: upload {uploadRate:F0} MB/s; disk {baselineRate:F0} MB/s; ratio {ratio:F2}
            """);
        Console.WriteLine(report);
        await Repo.SaveResultAsync("files-bench.md", report + Environment.NewLine);
        return 0;
    }
}
