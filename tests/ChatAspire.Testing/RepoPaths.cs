namespace ChatAspire.Testing;

public static class RepoPaths
{
    /// <summary>The repository root (the folder holding ChatAspire.sln).</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration this test assembly was built in (Debug or Release).</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    public static string Combine(params string[] parts) => Path.Combine([Root, .. parts]);

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChatAspire.sln")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("ChatAspire.sln not found above " + AppContext.BaseDirectory);
    }
}
