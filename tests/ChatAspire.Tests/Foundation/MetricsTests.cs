using System.Text.RegularExpressions;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.Tests.Foundation;

[Collection(ExclusiveCollection.Name)]
public sealed partial class MetricsTests(AppHostFixture fixture)
{
    private static readonly string[] HttpAndSystemMetrics =
    [
        "http_requests_total", "http_request_duration_seconds_bucket", "http_request_size_bytes_bucket",
        "http_response_size_bytes_bucket", "process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds",
    ];

    private static readonly string[] DatabaseMetrics = ["database_queries_total", "database_query_duration_seconds_bucket"];

    public static TheoryData<string, bool> Services => new()
    {
        { ResourceNames.Api, true },
        { ResourceNames.Files, true },
        { ResourceNames.Rag, true },
        { ResourceNames.AiWorker, false },
    };

    [Theory]
    [MemberData(nameof(Services))]
    public async Task Metrics_expose_the_seed_names_and_pass_promtool(string service, bool hasDatabase)
    {
        using var client = fixture.CreateClient(service);
        // Any request outside /health and /metrics puts the HTTP series on the page.
        await client.GetAsync("/no-such-route");

        var metrics = await client.GetStringAsync("/metrics");
        var (exitCode, lint) = await Promtool.RunAsync(["check", "metrics"], metrics);

        var expected = hasDatabase ? [.. HttpAndSystemMetrics, .. DatabaseMetrics] : HttpAndSystemMetrics;
        Assert.All(expected, name => Assert.Matches(new Regex($"^{name}\\{{", RegexOptions.Multiline), metrics));
        if (!hasDatabase)
        {
            Assert.DoesNotContain("database_queries_total", metrics, StringComparison.Ordinal);
        }
        Assert.True(exitCode == 0, $"promtool check metrics failed for {service}:\n{lint}");
    }

    [Fact]
    public async Task Open_file_descriptors_count_the_connections_a_service_holds()
    {
        using var client = fixture.CreateClient(ResourceNames.Files);
        var before = OpenFds(await client.GetStringAsync("/metrics"));
        const int connections = 40;
        var sockets = new List<System.Net.Sockets.TcpClient>();
        try
        {
            for (var i = 0; i < connections; i++)
            {
                var socket = new System.Net.Sockets.TcpClient();
                sockets.Add(socket);
                await socket.ConnectAsync(client.BaseAddress!.Host, client.BaseAddress.Port);
            }
            // Each accepted connection is one more descriptor in the service (Kestrel holds an idle one for its header
            // timeout). Kestrel accepts them shortly after the handshake: read until they are all counted, or 10 s.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            double during;
            do
            {
                during = OpenFds(await client.GetStringAsync("/metrics"));
            }
            while (during - before < connections && DateTime.UtcNow < deadline);
            Assert.InRange(during - before, connections, connections + 20);
        }
        finally
        {
            sockets.ForEach(s => s.Dispose());
        }
    }

    [Fact]
    public async Task Kestrel_memory_pool_counters_recorded_per_buffer_are_not_published()
    {
        using var client = fixture.CreateClient(ResourceNames.Api);
        await client.GetAsync("/no-such-route");

        var metrics = await client.GetStringAsync("/metrics");

        // The pool's growth is published; the per-buffer rent and return counters are dropped (ServiceDefaults' view).
        Assert.Matches(new Regex("^aspnetcore_memory_pool_allocated_bytes_total\\{", RegexOptions.Multiline), metrics);
        Assert.DoesNotContain("aspnetcore_memory_pool_rented", metrics, StringComparison.Ordinal);
        Assert.DoesNotContain("aspnetcore_memory_pool_pooled", metrics, StringComparison.Ordinal);
    }

    private static double OpenFds(string metrics) =>
        double.Parse(Regex.Match(metrics, @"^process_open_fds(\{[^}]*\})? (\S+)", RegexOptions.Multiline).Groups[2].Value,
            System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public async Task A_templated_route_is_labelled_by_its_template_not_its_path()
    {
        using var client = fixture.CreateClient(ResourceNames.Api);
        var id = Guid.NewGuid();

        using var response = await client.GetAsync($"/api/channels/{id}");
        var metrics = await client.GetStringAsync("/metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Matches(new Regex("""^http_requests_total\{[^}]*endpoint="/api/channels/\{id\}"[^}]*method="GET"[^}]*status="401"[^}]*\} [1-9]""", RegexOptions.Multiline), metrics);
        Assert.DoesNotContain(id.ToString(), metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_and_metrics_requests_stay_out_of_the_http_metrics()
    {
        using var client = fixture.CreateClient(ResourceNames.Files);
        for (var i = 0; i < 3; i++)
        {
            await client.GetAsync("/health/ready");
        }

        var metrics = await client.GetStringAsync("/metrics");

        Assert.DoesNotMatch(HealthOrMetricsEndpointLabel(), metrics);
    }

    [GeneratedRegex("""endpoint="/(health|metrics)""")]
    private static partial Regex HealthOrMetricsEndpointLabel();
}
