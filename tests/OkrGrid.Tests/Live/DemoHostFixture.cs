using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using OkrGrid.Tests.Engine;

namespace OkrGrid.Tests.Live;

/// <summary>One real web host with the seeded demo company on its own scratch database, shared by a test class.</summary>
public sealed class DemoHostFixture : IAsyncLifetime
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public const int MaxSubscriptions = 40;

    private string _db = "";

    public WebProcess Web { get; private set; } = null!;

    /// <summary>The demo's cycle: the quarter the host started in.</summary>
    public string CycleId { get; private set; } = "";

    public async ValueTask InitializeAsync()
    {
        _db = await TestDatabase.CreateAsync("demo");
        // A small bound on subscriptions, so a test can reach it with the demo's few nodes.
        Web = await WebProcess.StartAsync(_db, environment: new Dictionary<string, string> { ["Live__MaxSubscriptionsPerConnection"] = MaxSubscriptions.ToString(CultureInfo.InvariantCulture) });
        var org = (await Web.Client.GetFromJsonAsync<OrganisationView>("/api/organisation", Json))!;
        CycleId = org.Cycles.Single().Id;
    }

    public async ValueTask DisposeAsync()
    {
        if (Web is not null) await Web.DisposeAsync();
        await TestDatabase.DropAsync(_db);
    }
}
