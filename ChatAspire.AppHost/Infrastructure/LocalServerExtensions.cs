using System.Diagnostics;
using System.Net.Sockets;
using System.Runtime.Versioning;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;

namespace ChatAspire.AppHost.Infrastructure;

/// <summary>Runs Postgres and Redis as local processes when no container runtime is available.</summary>
[UnsupportedOSPlatform("windows")]
public static class LocalServerExtensions
{
    private const string PostgresUser = "postgres";

    private static bool RunningAsRoot => Environment.UserName == "root";

    public static IResourceBuilder<LocalPostgresResource> AddLocalPostgres(
        this IDistributedApplicationBuilder builder, string name, string dataRoot, IReadOnlyList<string> databases)
    {
        var binDir = FindPostgresBinDir();
        var dataDir = Path.Combine(dataRoot, "postgres");
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var resource = new LocalPostgresResource(name, RunningAsRoot ? "setpriv" : Path.Combine(binDir, "postgres"), dataRoot, password);

        var healthKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthKey, _ => new PostgresProbe(resource), HealthStatus.Unhealthy, tags: null, timeout: TimeSpan.FromSeconds(5)));

        return builder.AddResource(resource)
            .WithEndpoint(name: LocalPostgresResource.EndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                AddRunAsPostgres(context.Args, Path.Combine(binDir, "postgres"));
                context.Args.Add("-D");
                context.Args.Add(dataDir);
                context.Args.Add("-p");
                context.Args.Add(resource.Endpoint.Property(EndpointProperty.TargetPort));
                context.Args.Add("-c");
                context.Args.Add("listen_addresses=127.0.0.1");
                context.Args.Add("-c");
                context.Args.Add("unix_socket_directories=");
                context.Args.Add("-c");
                context.Args.Add("max_connections=300");
            })
            .OnBeforeResourceStarted(async (r, _, ct) => await InitDbAsync(binDir, dataRoot, dataDir, await r.Password.GetValueAsync(ct) ?? "", ct))
            .WithHealthCheck(healthKey)
            .OnResourceReady(async (r, _, ct) => await CreateDatabasesAsync(r, databases, ct));
    }

    public static IResourceBuilder<LocalRedisResource> AddLocalRedis(this IDistributedApplicationBuilder builder, string name, string dataRoot, bool persistent)
    {
        var redisDir = Path.Combine(dataRoot, "redis");
        var password = ParameterResourceBuilderExtensions.CreateDefaultPasswordParameter(builder, $"{name}-password", special: false);
        var resource = new LocalRedisResource(name, FindOnPath("redis-server") ?? "redis-server", dataRoot, password);
        var configFile = Path.Combine(redisDir, "redis.conf");

        var healthKey = $"{name}_check";
        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            healthKey, _ => new RedisProbe(resource), HealthStatus.Unhealthy, tags: null, timeout: TimeSpan.FromSeconds(5)));

        return builder.AddResource(resource)
            .WithEndpoint(name: LocalRedisResource.EndpointName, scheme: "tcp", isProxied: false)
            .WithArgs(context =>
            {
                context.Args.Add(configFile);
                context.Args.Add("--port");
                context.Args.Add(resource.Endpoint.Property(EndpointProperty.TargetPort));
            })
            .OnBeforeResourceStarted(async (r, _, ct) =>
            {
                Directory.CreateDirectory(redisDir);
                // The password goes in a 0600 config file, not on the command line where `ps` would show it.
                var config = new StringBuilder()
                    .AppendLine("bind 127.0.0.1")
                    .AppendLine($"dir {redisDir}")
                    .AppendLine($"requirepass {await r.Password.GetValueAsync(ct)}")
                    .AppendLine(persistent ? "appendonly yes" : "appendonly no")
                    .AppendLine(persistent ? "appendfsync everysec" : "save \"\"")
                    .ToString();
                await File.WriteAllTextAsync(configFile, config, ct);
                File.SetUnixFileMode(configFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            })
            .WithHealthCheck(healthKey);
    }

    /// <summary>Adds a database resource that waits for (and reports the state of) its local server.</summary>
    public static IResourceBuilder<IResourceWithConnectionString> AddLocalDatabase(
        this IDistributedApplicationBuilder builder, IResourceBuilder<LocalPostgresResource> server, string databaseName) =>
        builder.AddConnectionString(databaseName, ReferenceExpression.Create($"{server.Resource};Database={databaseName}"))
            .WithParentRelationship(server)
            .WaitFor(server);

    private static void AddRunAsPostgres(IList<object> args, string binary)
    {
        if (RunningAsRoot)
        {
            // initdb and postgres refuse to run as root.
            foreach (var arg in (string[])["--reuid=postgres", "--regid=postgres", "--init-groups", "--", binary])
            {
                args.Add(arg);
            }
        }
    }

    private static async Task InitDbAsync(string binDir, string dataRoot, string dataDir, string password, CancellationToken ct)
    {
        Directory.CreateDirectory(dataRoot);
        if (File.Exists(Path.Combine(dataDir, "PG_VERSION")))
        {
            return; // persistent data from an earlier run
        }
        Directory.CreateDirectory(dataDir);
        var pwFile = Path.Combine(dataRoot, $".pwfile-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(pwFile, password, ct);
        File.SetUnixFileMode(pwFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        try
        {
            if (RunningAsRoot)
            {
                await RunAsync("chown", ["postgres:postgres", dataDir, pwFile], ct);
            }
            var args = new List<object>();
            AddRunAsPostgres(args, Path.Combine(binDir, "initdb"));
            args.AddRange(["-D", dataDir, "-U", PostgresUser, "--auth=scram-sha-256", $"--pwfile={pwFile}", "--no-sync", "-E", "UTF8", "--locale=C"]);
            var command = RunningAsRoot ? "setpriv" : Path.Combine(binDir, "initdb");
            await RunAsync(command, args.Select(a => a.ToString()!).ToArray(), ct);
        }
        finally
        {
            File.Delete(pwFile);
        }
    }

    private static async Task CreateDatabasesAsync(LocalPostgresResource server, IReadOnlyList<string> databases, CancellationToken ct)
    {
        var connectionString = await server.ConnectionStringExpression.GetValueAsync(ct);
        await using var connection = new NpgsqlConnection($"{connectionString};Pooling=false");
        await connection.OpenAsync(ct);
        foreach (var database in databases)
        {
            await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database } } };
            if (await exists.ExecuteScalarAsync(ct) is null)
            {
                // Identifiers cannot be parameters; the names are our own constants.
                await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database}\"", connection);
                await create.ExecuteNonQueryAsync(ct);
            }
        }
    }

    private static async Task RunAsync(string command, string[] args, CancellationToken ct)
    {
        var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"Could not start {command}");
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.StandardOutput.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{command} exited with {process.ExitCode}: {await stderr}");
        }
    }

    private static string FindPostgresBinDir()
    {
        var root = "/usr/lib/postgresql";
        var dir = Directory.Exists(root)
            ? Directory.GetDirectories(root).Select(d => Path.Combine(d, "bin")).Where(d => File.Exists(Path.Combine(d, "postgres")))
                .OrderByDescending(d => int.TryParse(Path.GetFileName(Path.GetDirectoryName(d)), out var v) ? v : 0).FirstOrDefault()
            : null;
        dir ??= Path.GetDirectoryName(FindOnPath("postgres") ?? "");
        return string.IsNullOrEmpty(dir)
            ? throw new InvalidOperationException("PostgreSQL server binaries not found (looked in /usr/lib/postgresql/*/bin and PATH). Install postgresql or run with a container runtime.")
            : dir;
    }

    private static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, name)).FirstOrDefault(File.Exists);

    private sealed class PostgresProbe(LocalPostgresResource resource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                // No pooling: pooled idle connections would make postgres' smart shutdown wait.
                var cs = await resource.ConnectionStringExpression.GetValueAsync(ct);
                await using var connection = new NpgsqlConnection($"{cs};Pooling=false;Timeout=3");
                await connection.OpenAsync(ct);
                return HealthCheckResult.Healthy();
            }
            catch (Exception ex) when (ex is NpgsqlException or SocketException or TimeoutException or InvalidOperationException)
            {
                return HealthCheckResult.Unhealthy(ex.GetType().Name);
            }
        }
    }

    private sealed class RedisProbe(LocalRedisResource resource) : IHealthCheck
    {
        public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken ct = default)
        {
            try
            {
                var port = await resource.Endpoint.Property(EndpointProperty.Port).GetValueAsync(ct);
                var password = await resource.Password.GetValueAsync(ct);
                using var client = new TcpClient();
                await client.ConnectAsync("127.0.0.1", int.Parse(port!), ct);
                await using var stream = client.GetStream();
                await stream.WriteAsync(Encoding.ASCII.GetBytes($"AUTH {password}\r\nPING\r\n"), ct);
                var buffer = new byte[64];
                var text = "";
                while (!text.Contains("+PONG", StringComparison.Ordinal) && text.Count(c => c == '\n') < 2)
                {
                    var read = await stream.ReadAsync(buffer, ct);
                    if (read == 0)
                    {
                        break;
                    }
                    text += Encoding.ASCII.GetString(buffer, 0, read);
                }
                return text.Contains("+PONG", StringComparison.Ordinal) ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("no PONG");
            }
            catch (Exception ex) when (ex is SocketException or IOException or InvalidOperationException or FormatException)
            {
                return HealthCheckResult.Unhealthy(ex.GetType().Name);
            }
        }
    }
}
