using OkrGrid.Web.Components;

var builder = WebApplication.CreateBuilder(args);
// Blazor's and MudBlazor's static files are served from the build output in any environment (the tests run the
// built host without Development); after a publish the manifest is absent and this does nothing.
builder.WebHost.UseStaticWebAssets();

// The engine first: the silo is co-hosted in this process (embedded mode), on PostgreSQL.
await builder.AddOkrGridEngineAsync();

builder.Services.AddOkrGridApi();
builder.Services.AddOkrGridLive(builder.Configuration);
builder.AddDemoActivity();
builder.Services.AddOkrGridDashboards();

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
app.MapOkrGridDashboards();

await app.RunAsync();
