using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;

namespace OkrGrid.Tests.Api;

/// <summary>
/// On a host with the default outbound settings (private networks refused), a webhook to this machine, a private network
/// or the cloud metadata address is refused at creation and at change, naming "url" and why; nothing is stored.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class WebhookAddressTests(ApiHost host) : ApiTestBase(host)
{
    [Fact]
    public async Task PrivateAndLoopbackAddressesAreRefusedNamingTheUrl()
    {
        var before = await Client.GetStringAsync("/api/webhooks", Ct);
        foreach (var (url, says) in new[]
        {
            ("http://127.0.0.1:8080/hook", "this machine"),
            ("http://localhost/hook", "this machine"),
            ("http://10.1.2.3/hook", "non-public"),
            ("http://192.168.0.10/hook", "non-public"),
            ("http://169.254.169.254/latest/meta-data", "non-public"),
            ("http://[::1]/hook", "this machine"),
        })
        {
            using var response = await Client.PostAsJsonAsync("/api/webhooks", new { name = "x", url, events = new[] { "status.changed" } }, Json, Ct);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = (await response.Content.ReadFromJsonAsync<JsonNode>(Json, Ct))!;
            Assert.Equal("url", problem["field"]!.GetValue<string>());
            Assert.Contains(says, problem["reason"]!.GetValue<string>());
        }
        Assert.Equal(before, await Client.GetStringAsync("/api/webhooks", Ct));

        // A public address is taken; changing it to a private one is refused and leaves it.
        using var created = await Client.PostAsJsonAsync("/api/webhooks", new { name = "public", url = "https://example.com/hook", events = new[] { "cycle.closed" } }, Json, Ct);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var id = (await created.Content.ReadFromJsonAsync<JsonNode>(Json, Ct))!["webhook"]!["id"]!.GetValue<string>();
        using var patch = new HttpRequestMessage(HttpMethod.Patch, $"/api/webhooks/{id}") { Content = JsonContent.Create(new { url = "http://10.0.0.1/x" }) };
        using var changed = await Client.SendAsync(patch, Ct);
        Assert.Equal(HttpStatusCode.BadRequest, changed.StatusCode);
        Assert.Equal("https://example.com/hook", (await Client.GetFromJsonAsync<JsonNode>($"/api/webhooks/{id}", Json, Ct))!["url"]!.GetValue<string>());
        using var deleted = await Client.DeleteAsync($"/api/webhooks/{id}", Ct);
        Assert.Equal(HttpStatusCode.OK, deleted.StatusCode);
    }
}
