using Chat.AiWorker;

// A worker service that still serves /health* and /metrics over HTTP.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAiWorker();

var app = builder.Build();

app.MapDefaultEndpoints();

app.Run();
