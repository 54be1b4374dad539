namespace Chat.Bench;

internal static class Repo
{
    public static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "ChatAspire.sln")))
            {
                return dir.FullName;
            }
        }
        return Environment.CurrentDirectory;
    }
}
