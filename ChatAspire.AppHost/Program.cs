using ChatAspire.AppHost;
using ChatAspire.AppHost.Infrastructure;
using ChatAspire.AppHost.Monitoring;

var builder = DistributedApplication.CreateBuilder(args);

var infra = builder.AddChatInfrastructure();

var files = builder.AddProject<Projects.Chat_Files>(ResourceNames.Files)
    .WithDependency(infra.FilesDb)
    .WithDependency(infra.Redis)
    .WithHttpHealthCheck("/health/ready");

var rag = builder.AddProject<Projects.Chat_RagService>(ResourceNames.Rag)
    .WithDependency(infra.RagDb)
    .WithDependency(infra.Redis)
    .WithHttpHealthCheck("/health/ready");

var api = builder.AddProject<Projects.Chat_Api>(ResourceNames.Api)
    .WithDependency(infra.ChatDb)
    .WithDependency(infra.Redis)
    .WithHttpHealthCheck("/health/ready");

builder.AddProject<Projects.Chat_AiWorker>(ResourceNames.AiWorker)
    .WithDependency(infra.Redis)
    .WithHttpHealthCheck("/health/ready");

builder.AddChatMonitoring(infra);

builder.Build().Run();
