using ChatAspire.AppHost;
using ChatAspire.AppHost.Infrastructure;
using ChatAspire.AppHost.Monitoring;

var builder = DistributedApplication.CreateBuilder(args);

var infra = builder.AddChatInfrastructure();

// One signing key for every service: Chat.Api issues tokens, the others validate them.
var jwtKey = builder.AddResource(ParameterResourceBuilderExtensions.CreateGeneratedParameter(
    builder, "jwt-signing-key", secret: true, new GenerateParameterDefault { MinLength = 64, Special = false }));

var files = builder.AddProject<Projects.Chat_Files>(ResourceNames.Files)
    .WithDependency(infra.FilesDb)
    .WithDependency(infra.Redis)
    .WithSigningKey(jwtKey)
    .WithEnvironment("Files__StoragePath", infra.FilesStoragePath)
    .WithHttpHealthCheck("/health/ready");
if (infra.DataRoot is { } dataRoot)
{
    // Local processes: Chat.Files also reports the disk that holds Postgres and Redis (a container's is not visible to it).
    files.WithEnvironment("Observability__DiskPaths__0", dataRoot);
}

var rag = builder.AddProject<Projects.Chat_RagService>(ResourceNames.Rag)
    .WithDependency(infra.RagDb)
    .WithDependency(infra.Redis)
    .WithSigningKey(jwtKey)
    .WithHttpHealthCheck("/health/ready");

var api = builder.AddProject<Projects.Chat_Api>(ResourceNames.Api)
    .WithReplicas(2)
    .WithDependency(infra.ChatDb)
    .WithDependency(infra.Redis)
    .WithSigningKey(jwtKey)
    .WithSingleSignOn()
    .WithHttpHealthCheck("/health/ready");

// Chat.Api owns "who may see which file" (it learns files from files:events; no send or history call reaches Chat.Files);
// it hands out signed download grants that Chat.Files verifies with the shared key, so Chat.Files never calls Chat.Api.
// Chat.Api reads files from Chat.Files for one thing, a channel's export (GET /api/channels/{id}/export): a reference
// one way, no cycle.
// The web chat's origin (configuration, not a call: a callback, so no reference is drawn).
files.WithEnvironment(context => context.EnvironmentVariables["Cors__AllowedOrigins__0"] = api.GetEndpoint("http"));
// Not a dependency: the address the web page (served by Chat.Api) uploads to. Chat.Api hands it to the browser and
// never calls it, so it is configuration for the page rather than a reference (which would draw a cycle that no call makes).
api.WithEnvironment(context => context.EnvironmentVariables["Web__FilesUrl"] = files.GetEndpoint("http"));
api.WithReference(files);

// The RAG service downloads files to ingest them and asks Chat.Api which channels and files a caller may search.
rag.WithReference(files).WithReference(api);
// The page searches the team memory on the RAG service (GET /api/search) from the browser, as it uploads to Chat.Files:
// configuration for the page and the browser's origin for CORS, not references (Chat.Api never calls the RAG service).
api.WithEnvironment(context => context.EnvironmentVariables["Web__RagUrl"] = rag.GetEndpoint("http"));
rag.WithEnvironment(context => context.EnvironmentVariables["Cors__AllowedOrigins__0"] = api.GetEndpoint("http"));

// The AI worker reads context from Chat.Api, documents from the RAG service, and answers with the configured provider.
var worker = builder.AddProject<Projects.Chat_AiWorker>(ResourceNames.AiWorker)
    .WithDependency(infra.Redis)
    .WithSigningKey(jwtKey)
    .WithReference(api)
    .WithReference(rag)
    .WithAiProvider()
    .WithHttpHealthCheck("/health/ready");
// With a model configured, the page asks the worker for written "catch me up" summaries from the browser: configuration
// for the page and the browser's origin for CORS, not references (Chat.Api never calls the worker).
if (worker.HasLanguageModel())
{
    api.WithEnvironment(context => context.EnvironmentVariables["Web__AiUrl"] = worker.GetEndpoint("http"));
    worker.WithEnvironment(context => context.EnvironmentVariables["Cors__AllowedOrigins__0"] = api.GetEndpoint("http"));
}

builder.AddChatMonitoring(infra);
builder.WithTelemetryExportCadence();

builder.Build().Run();
