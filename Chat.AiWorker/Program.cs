using Chat.AiWorker;
using Chat.AiWorker.Summaries;

// A worker service that serves /health*, /metrics and one API for people: written "catch me up" summaries.
var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddAiWorker();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapSummaries();

app.Run();
