using Chat.Files;

var builder = WebApplication.CreateBuilder(args);

builder.AddServiceDefaults();
builder.AddFilesService();

var app = builder.Build();

app.MapDefaultEndpoints();
app.MapFilesService();

app.Run();
