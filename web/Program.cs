using OkrGrid.Web.Components;

var builder = WebApplication.CreateBuilder(args);
// Blazor's and MudBlazor's static files are served from the build output in any environment (the tests run the
// built host without Development); after a publish the manifest is absent and this does nothing.
builder.WebHost.UseStaticWebAssets();

// The engine first: the silo is co-hosted in this process (embedded mode), on PostgreSQL.
// A setting that cannot work stops the start with one line naming it (OkrGrid.Silo.Hosting.StartupErrors).
await OkrGrid.Silo.Hosting.StartupErrors.GuardAsync(() => builder.AddOkrGridEngineAsync());

builder.Services.AddOkrGridApi();
builder.Services.AddOkrGridLive(builder.Configuration);
builder.AddOkrGridAccess();
builder.AddDemoActivity();
builder.Services.AddOkrGridDashboards();
builder.AddOkrGridObservability();

var app = builder.Build();

app.UseExceptionHandler();
app.UseStatusCodePages();
app.UseOkrGridDashboardErrors();
// Routing, then who is asking and what they may do: policies need to see their endpoint.
app.UseRouting();
app.UseOkrGridAccess();
app.UseAntiforgery();

app.MapOkrGrid();

await app.RunAsync();
