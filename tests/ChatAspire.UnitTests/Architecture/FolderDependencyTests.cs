using System.Text.RegularExpressions;
using ChatAspire.Tests.Infrastructure;

namespace ChatAspire.UnitTests.Architecture;

/// <summary>
/// Feature folders inside a service depend on each other in one direction only (STYLE.md): a cycle between folders is
/// a seam that has come undone. A folder depends on another when its code names it (a <c>using</c> of its namespace or a
/// qualified name such as <c>Ai.AiRequests</c>); comments do not count. <c>Data</c> is left out: the DbContext composes
/// every feature's entities, as <c>Extensions.cs</c> composes their services.
/// </summary>
public sealed partial class FolderDependencyTests
{
    public static TheoryData<string> Services => new() { "Chat.Api", "Chat.Files", "Chat.RagService", "Chat.AiWorker" };

    [Theory]
    [MemberData(nameof(Services))]
    public void Folders_of_a_service_have_no_dependency_cycle(string service)
    {
        var graph = Dependencies(service);
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
    public void Chat_api_folders_are_layered_as_documented()
    {
        var graph = Dependencies("Chat.Api");

        // The hub sits on top; features announce changes through ports of their own that the hub's notifier implements.
        Assert.All(graph.Where(g => g.Key != "Realtime"), g => Assert.DoesNotContain("Realtime", g.Value));
        Assert.DoesNotContain("Ai", graph["Messages"]);
        Assert.DoesNotContain("Attachments", graph["Messages"]);
    }

    private static Dictionary<string, HashSet<string>> Dependencies(string service)
    {
        var root = RepoPaths.Combine(service);
        var folders = Directory.GetDirectories(root).Select(Path.GetFileName).OfType<string>()
            .Where(f => f is not ("bin" or "obj" or "Properties" or "wwwroot" or "Data")
                && Directory.EnumerateFiles(Path.Combine(root, f), "*.cs", SearchOption.AllDirectories).Any())
            .ToArray();
        var ns = service;
        var graph = folders.ToDictionary(f => f, _ => new HashSet<string>());
        foreach (var folder in folders)
        {
            foreach (var file in Directory.EnumerateFiles(Path.Combine(root, folder), "*.cs", SearchOption.AllDirectories))
            {
                var code = string.Join('\n', File.ReadLines(file).Where(l => !l.TrimStart().StartsWith("//", StringComparison.Ordinal)));
                foreach (var other in folders.Where(o => o != folder))
                {
                    var named = code.Contains($"{ns}.{other};", StringComparison.Ordinal) || code.Contains($"{ns}.{other}.", StringComparison.Ordinal)
                        || Regex.IsMatch(code, $@"(?<![\w.]){Regex.Escape(other)}\.[A-Z]");
                    if (named)
                    {
                        graph[folder].Add(other);
                    }
                }
            }
        }
        return graph;
    }

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
