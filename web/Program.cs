var builder = WebApplication.CreateBuilder(args);

// The engine first: the silo is co-hosted in this process (embedded mode), on PostgreSQL.
await builder.AddOkrGridEngineAsync();

builder.Services.AddOkrGridApi();
builder.Services.AddOkrGridLive(builder.Configuration);
builder.AddDemoActivity();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();

app.MapOpenApi();
app.MapHealthApi();
app.MapOrganisationApi();
app.MapCyclesApi();
app.MapTeamsApi();
app.MapPeopleApi();
app.MapObjectivesApi();
app.MapKeyResultsApi();
app.MapKpisApi();
app.MapAlignmentApi();
app.MapHistoryApi();
app.MapScenariosApi();
app.MapOkrGridHubs();
app.MapHomePage();

await app.RunAsync();
