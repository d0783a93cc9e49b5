using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Hosting;
using OkrGrid.Web.Access;
using OkrGrid.Web.Apis;
using OkrGrid.Web.Hosting;

namespace OkrGrid.Tests.Api;

/// <summary>The running host's OpenAPI document lists every endpoint the API route groups map, named and tagged.</summary>
[Collection(ApiCollection.Name)]
public sealed class OpenApiTests(ApiHost host) : ApiTestBase(host)
{
    [Fact]
    public async Task DocumentListsEveryApiEndpoint()
    {
        var mapped = await MappedEndpointsAsync();
        Assert.True(mapped.Count >= 30, $"only {mapped.Count} endpoints found");

        var document = (await Client.GetFromJsonAsync<JsonObject>("/openapi/v1.json", Ct))!;
        var paths = document["paths"]!.AsObject();
        var documented = paths.SelectMany(p => p.Value!.AsObject().Select(o => (Method: o.Key.ToUpperInvariant(), Path: p.Key))).ToHashSet();
        foreach (var (method, path, name) in mapped)
        {
            Assert.True(documented.Contains((method, path)), $"{method} {path} is not in the OpenAPI document");
            var operation = paths[path]![method.ToLowerInvariant()]!;
            Assert.Equal(name, (string?)operation["operationId"]);
            Assert.NotEmpty(operation["tags"]!.AsArray());
        }
        Assert.Equal(mapped.Count, documented.Count); // and nothing the groups do not map
        Assert.Equal(mapped.Count, mapped.Select(m => m.Name).Distinct().Count()); // operation ids are unique
    }

    /// <summary>
    /// Every endpoint of the host's API (<see cref="OkrGrid.Web.Hosting.WebEndpoints.MapOkrGridApi"/>), mapped on a bare
    /// application (an Orleans client that is never started stands in for the silo: nothing is called).
    /// </summary>
    private static async Task<List<(string Method, string Path, string Name)>> MappedEndpointsAsync()
    {
        var builder = WebApplication.CreateBuilder();
        builder.UseOrleansClient(client => client.UseLocalhostClustering());
        builder.Services.AddEngineClock();
        builder.Services.AddOkrGridApi();
        builder.AddOkrGridAccess();
        await using var app = builder.Build();
        app.MapOkrGridApi();
        return ((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints).OfType<RouteEndpoint>()
            .Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>()?.ExcludeFromDescription != true)
            .SelectMany(e => e.Metadata.GetMetadata<IHttpMethodMetadata>()!.HttpMethods
                .Select(method => (method, "/" + e.RoutePattern.RawText!.Trim('/'), e.Metadata.GetMetadata<IEndpointNameMetadata>()!.EndpointName)))
            .ToList();
    }
}
