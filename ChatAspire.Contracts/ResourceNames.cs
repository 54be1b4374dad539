namespace ChatAspire.Contracts;

/// <summary>
/// The names of the resources: the AppHost names them, services find their connection strings and each other
/// (service discovery) by them, tests and benchmarks address them. The one place they are spelled.
/// </summary>
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
