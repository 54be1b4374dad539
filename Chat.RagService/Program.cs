using Chat.RagService;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddRagService();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapRagService();

app.Run();
