namespace ChatAspire.AppHost;

/// <summary>Resource names shared by the AppHost and the tests.</summary>
public static class ResourceNames
{
    public const string Postgres = "postgres";
    public const string Redis = "cache";
    public const string ChatDb = "chatdb";
    public const string FilesDb = "filesdb";
    public const string RagDb = "ragdb";
    public const string Api = "api";
    public const string Files = "files";
    public const string Rag = "rag";
    public const string AiWorker = "aiworker";

    public static readonly string[] Services = [Api, Files, Rag, AiWorker];
}
