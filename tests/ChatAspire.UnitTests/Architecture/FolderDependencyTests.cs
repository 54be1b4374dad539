using System.Text.RegularExpressions;

namespace ChatAspire.UnitTests.Architecture;

/// <summary>
/// Feature folders inside a service depend on each other in one direction only (STYLE.md): a cycle between folders is
/// a seam that has come undone. A folder depends on another when its code names it: a type declared there, its namespace,
/// or a qualified name such as <c>Ai.AiRequests</c> (comments and string literals do not count). Two more nodes take part:
/// <c>Data</c>, which may name the features' entities (the DbContext composes them) and nothing else of theirs, and the
/// service's root namespace (the files beside Program.cs), which features may use and which must not use them back.
/// Program.cs and Extensions.cs, the composition root, name every feature and are named by none; they are left out.
/// </summary>
public sealed partial class FolderDependencyTests
{
    public static TheoryData<string> Services => new() { "Chat.Api", "Chat.Files", "Chat.RagService", "Chat.AiWorker" };

    private const string Root = "(root)";

    [Theory]
    [MemberData(nameof(Services))]
    public void Folders_of_a_service_have_no_dependency_cycle(string service)
    {
        var graph = Dependencies(RepoPaths.Combine(service), service);
        var cycle = FindCycle(graph);

        Assert.True(cycle is null, $"{service}: folders depend on each other in a circle: {string.Join(" -> ", cycle ?? [])}");
    }

    [Fact]
    public void The_check_sees_a_cycle_when_there_is_one()
    {
        var graph = new Dictionary<string, HashSet<string>> { ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"], ["D"] = ["A"] };

        Assert.Equal(["A", "B", "C", "A"], FindCycle(graph));
        Assert.Null(FindCycle(new Dictionary<string, HashSet<string>> { ["A"] = ["B"], ["B"] = [], ["C"] = ["A", "B"] }));
    }

    [Fact]
    public void A_planted_cycle_through_the_root_namespace_or_data_fails_the_check()
    {
        var service = Directory.CreateTempSubdirectory("deps-");
        try
        {
            void Write(string path, string code)
            {
                Directory.CreateDirectory(Path.GetDirectoryName(Path.Combine(service.FullName, path))!);
                File.WriteAllText(Path.Combine(service.FullName, path), code);
            }
            Write("Program.cs", "Demo.Extensions.AddEverything(); // names every feature: the composition root is left out");
            Write("Extensions.cs", "namespace Demo; public static class Extensions { static void Add() { new Orders.OrderService(); new Billing.Invoice(); } }");
            Write("DemoTelemetry.cs", "namespace Demo; public sealed class DemoTelemetry { }");
            Write("Orders/OrderService.cs", "namespace Demo.Orders; public sealed class OrderService(Data.DemoDb db, DemoTelemetry telemetry) { } public sealed class Order { }");
            Write("Billing/Invoice.cs", "namespace Demo.Billing; using Demo.Orders; public sealed class Invoice { Order? order; string text = \"Billing never names Payments here\"; }");
            Write("Data/DemoDb.cs", "namespace Demo.Data; public sealed class DemoDb { public DbSet<Orders.Order> Orders => Set<Orders.Order>(); }");
            Assert.Null(FindCycle(Dependencies(service.FullName, "Demo")));

            // The root's telemetry reaches into a feature that uses it: a cycle between the feature and the root.
            Write("DemoTelemetry.cs", "namespace Demo; public sealed class DemoTelemetry { public void Count(Billing.Invoice invoice) { } }");
            Write("Billing/Invoice.cs", "namespace Demo.Billing; public sealed class Invoice { DemoTelemetry? telemetry; }");
            Assert.Equal([Root, "Billing", Root], FindCycle(Dependencies(service.FullName, "Demo")));

            // Data names a feature's service, not only its entities: a cycle between Data and the feature.
            Write("DemoTelemetry.cs", "namespace Demo; public sealed class DemoTelemetry { }");
            Write("Data/DemoDb.cs", "namespace Demo.Data; public sealed class DemoDb { public DbSet<Orders.Order> Orders => Set<Orders.Order>(); OrderService? service; }");
            Assert.Equal(["Data", "Orders", "Data"], FindCycle(Dependencies(service.FullName, "Demo")));
        }
        finally
        {
            service.Delete(recursive: true);
        }
    }

    [Fact]
    public void Chat_api_folders_are_layered_as_documented()
    {
        var graph = Dependencies(RepoPaths.Combine("Chat.Api"), "Chat.Api");

        // The hub sits on top; features announce changes through ports of their own that the hub's notifier implements.
        Assert.All(graph.Where(g => g.Key != "Realtime"), g => Assert.DoesNotContain("Realtime", g.Value));
        Assert.DoesNotContain("Ai", graph["Messages"]);
        Assert.DoesNotContain("Attachments", graph["Messages"]);
        Assert.Empty(graph[Root]);
    }

    /// <summary>Which node names which: folders (Data and Migrations' generated code aside), and the root namespace's files.</summary>
    private static Dictionary<string, HashSet<string>> Dependencies(string root, string ns)
    {
        var nodes = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(f => f is not ("bin" or "obj" or "Properties" or "wwwroot"))
            .ToDictionary(f => f, f => Directory.EnumerateFiles(Path.Combine(root, f), "*.cs", SearchOption.AllDirectories)
                .Where(file => !file.Contains($"{Path.DirectorySeparatorChar}Migrations{Path.DirectorySeparatorChar}", StringComparison.Ordinal)).ToArray())
            .Where(n => n.Value.Length > 0)
            .ToDictionary();
        nodes[Root] = [.. Directory.EnumerateFiles(root, "*.cs").Where(f => Path.GetFileName(f) is not ("Program.cs" or "Extensions.cs"))];
        var code = nodes.ToDictionary(n => n.Key, n => n.Value.Select(f => Code(File.ReadAllText(f))).ToArray());
        var declared = code.ToDictionary(n => n.Key, n => n.Value.SelectMany(c => Declaration().Matches(c).Select(m => m.Groups[1].Value)).ToHashSet());
        // What Data may name of a feature: the entities it maps.
        var entities = code.TryGetValue("Data", out var data) ? data.SelectMany(c => EntityUse().Matches(c).Select(m => m.Groups[1].Value)).ToHashSet() : [];

        var graph = nodes.Keys.ToDictionary(n => n, _ => new HashSet<string>());
        foreach (var (node, files) in code)
        {
            foreach (var other in nodes.Keys.Where(o => o != node))
            {
                var names = declared[other].Where(t => !(node == "Data" && entities.Contains(t)) && !declared[node].Contains(t)).ToArray();
                var folderNamed = other != Root && node != "Data" && files.Any(c =>
                    c.Contains($"{ns}.{other};", StringComparison.Ordinal) || c.Contains($"{ns}.{other}.", StringComparison.Ordinal)
                    || Regex.IsMatch(c, $@"(?<![\w.]){Regex.Escape(other)}\.[A-Z]"));
                if (folderNamed || files.Any(c => names.Any(t => Regex.IsMatch(c, $@"(?<![\w.]){t}\b(?!\s*=[^=>])"))))
                {
                    graph[node].Add(other);
                }
            }
        }
        return graph;
    }

    /// <summary>The code without comments and string literals.</summary>
    private static string Code(string text) => Comment().Replace(Literal().Replace(text, "\"\""), "");

    /// <summary>A type's declaration; a private nested type is left out (no other folder can name it).</summary>
    [GeneratedRegex(@"(?<!\bprivate\s+(?:(?:readonly|sealed|static|partial|abstract|record)\s+)*)\b(?:class|record|struct|interface|enum)\s+([A-Z]\w*)")]
    private static partial Regex Declaration();

    [GeneratedRegex(@"\b(?:DbSet|Set|Entity)<(?:\w+\.)*([A-Z]\w*)>")]
    private static partial Regex EntityUse();

    [GeneratedRegex(@"(?<![:""])//.*$|/\*[\s\S]*?\*/", RegexOptions.Multiline)]
    private static partial Regex Comment();

    [GeneratedRegex(@"""""""[\s\S]*?""""""|@""(?:[^""]|"""")*""|\$?""(?:[^""\\\n]|\\.)*""")]
    private static partial Regex Literal();

    /// <summary>A path that comes back to where it started, or null.</summary>
    private static List<string>? FindCycle(IReadOnlyDictionary<string, HashSet<string>> graph)
    {
        var done = new HashSet<string>();
        foreach (var start in graph.Keys.Order(StringComparer.Ordinal))
        {
            var path = new List<string>();
            if (Visit(start, path) is { } cycle)
            {
                return cycle;
            }
        }
        return null;

        List<string>? Visit(string node, List<string> path)
        {
            if (path.IndexOf(node) is var at and >= 0)
            {
                return [.. path[at..], node];
            }
            if (!done.Add(node))
            {
                return null;
            }
            path.Add(node);
            foreach (var next in (graph.TryGetValue(node, out var edges) ? edges : []).Order(StringComparer.Ordinal))
            {
                if (Visit(next, path) is { } cycle)
                {
                    return cycle;
                }
            }
            path.RemoveAt(path.Count - 1);
            return null;
        }
    }
}
