using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using OkrGrid.Tests.Access;

namespace OkrGrid.Tests.Api;

/// <summary>
/// What outside testing threw at the API, answered with a 4xx ProblemDetails that names the field and the reason —
/// never a 500 — and nothing changed.
/// </summary>
[Collection(ApiCollection.Name)]
public sealed class HardeningTests(ApiHost host) : ApiTestBase(host)
{
    /// <summary>Odd ids for every path parameter: whitespace, control and invisible characters, far too long.</summary>
    public static readonly string[] OddIds = ["%20", "%09", "%20x", "x%20", "%01", "a%0Ab", "%E2%80%8B", "%C2%AD", new('x', 10_000)];

    [Fact]
    public async Task EveryRouteWithAnIdAnswersOddIdsWithAProblemNamingTheParameter()
    {
        var routes = (await PermissionMatrixTests.RouteTableAsync())
            .Where(r => r.Path.StartsWith("/api/", StringComparison.Ordinal) && r.Path.Contains('{')).ToList();
        Assert.True(routes.Count >= 30, $"only {routes.Count} routes with ids");
        var failures = new List<string>();
        var before = await Client.GetStringAsync("/api/cycles", Ct);
        foreach (var route in routes)
            foreach (var odd in OddIds)
            {
                var path = System.Text.RegularExpressions.Regex.Replace(route.Path, "{[^}]+}", odd);
                using var request = new HttpRequestMessage(new HttpMethod(route.Method), path);
                if (route.Method is "POST" or "PUT" or "PATCH") request.Content = new StringContent("{}", Encoding.UTF8, "application/json");
                using var response = await Client.SendAsync(request, Ct);
                var body = await response.Content.ReadAsStringAsync(Ct);
                var status = (int)response.StatusCode;
                var name = $"{route.Method} {route.Path} with '{(odd.Length > 20 ? $"{odd.Length} × x" : odd)}'";
                if (status is < 400 or >= 500) { failures.Add($"{name}: {status} {body[..Math.Min(200, body.Length)]}"); continue; }
                if (response.Content.Headers.ContentType?.MediaType != "application/problem+json" || JsonNode.Parse(body)?["field"] is null)
                    failures.Add($"{name}: {status} without a ProblemDetails naming the field: {body[..Math.Min(200, body.Length)]}");
            }
        Assert.True(failures.Count == 0, $"{failures.Count} answers:\n{string.Join("\n", failures.Take(40))}");
        Assert.Equal(before, await Client.GetStringAsync("/api/cycles", Ct));
    }

    [Fact]
    public async Task ANulInAPathIsRefusedByTheServerItself()
    {
        // Kestrel refuses a NUL in the request line before any application code runs: a 400 without a body is all
        // HTTP lets it say (documented in the README).
        using var response = await Client.GetAsync("/api/objectives/a%00b", Ct);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task CyclesStayWithinSaneDatesAndTheCurrentOneIsOneAnswer()
    {
        var ancient = new DateTimeOffset(1, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await RefusedAsync(HttpStatusCode.BadRequest, "start", "must be between 2000-01-01 and 2100-01-01", HttpMethod.Post, "/api/cycles",
            new { id = NewId("c"), name = "Forever", start = ancient, end = new DateTimeOffset(9999, 1, 1, 0, 0, 0, TimeSpan.Zero) });
        var start = new DateTimeOffset(2032, 1, 1, 0, 0, 0, TimeSpan.Zero);
        await RefusedAsync(HttpStatusCode.BadRequest, "end", "a cycle lasts at most 731 days", HttpMethod.Post, "/api/cycles",
            new { id = NewId("c"), name = "Five years", start, end = start.AddYears(5) });
        await RefusedAsync(HttpStatusCode.BadRequest, "end", "must be between", HttpMethod.Post, "/api/cycles",
            new { id = NewId("c"), name = "Too late", start, end = new DateTimeOffset(2200, 1, 1, 0, 0, 0, TimeSpan.Zero) });

        // Two open cycles containing now (a year and its quarter): the one that started last is current, always.
        var cycles = await GetAsync<ImmutableArray<CycleInfo>>("/api/cycles");
        var expected = Cycles.Current(cycles, DateTimeOffset.UtcNow)!.Id;
        var year = NewId("year");
        await CreateAsync<CycleInfo>("/api/cycles", new { id = year, name = "A long year", start = Host.CycleStart.AddDays(-100), end = Host.CycleEnd.AddDays(200) }, "/api/cycles/");
        Assert.Equal(expected, (await GetAsync<CycleInfo>("/api/cycles/current")).Id);
        Assert.Equal(ApiHost.CycleId, expected);
    }

    [Fact]
    public async Task AnIdempotencyKeyReusedForADifferentCheckInIs422AndChangesNothing()
    {
        var objective = await CreateObjectiveAsync(NewId("o"), TeamOwner("eng"));
        var kr = await CreateKeyResultAsync(NewId("k"), objective.Id);
        var key = Guid.NewGuid().ToString("N");
        var first = await ExpectAsync<CheckInResult>(HttpStatusCode.Created, HttpMethod.Post, $"/api/key-results/{kr.Id}/check-ins", new { value = 5, note = "five" }, key);
        // The same again: a retry, applied once.
        var retry = await ExpectAsync<CheckInResult>(HttpStatusCode.OK, HttpMethod.Post, $"/api/key-results/{kr.Id}/check-ins", new { value = 5, note = "five" }, key);
        Assert.False(retry.Applied);
        Assert.Equal(first.Score.Version, retry.Score.Version);
        // The same key for something else: refused, naming the key, and the new value is not silently lost.
        await RefusedAsync((HttpStatusCode)422, "Idempotency-Key", "was already used for a different request", HttpMethod.Post,
            $"/api/key-results/{kr.Id}/check-ins", new { value = 7, note = "five" }, key, alsoUnchanged: $"/api/key-results/{kr.Id}/check-ins");
        await RefusedAsync((HttpStatusCode)422, "clientId", "value 5", HttpMethod.Post,
            $"/api/key-results/{kr.Id}/check-ins", new { value = 8, clientId = key }, alsoUnchanged: $"/api/key-results/{kr.Id}/check-ins");
    }

    [Fact]
    public async Task CheckInTimesWeightsTitlesAndFieldsThatAreNotQuiteRightAreRefused()
    {
        var objective = await CreateObjectiveAsync(NewId("o"), TeamOwner("eng"));
        var kr = await CreateKeyResultAsync(NewId("k"), objective.Id);
        var checkIns = $"/api/key-results/{kr.Id}/check-ins";
        await RefusedAsync(HttpStatusCode.BadRequest, "at", "must be between 2000-01-01", HttpMethod.Post, checkIns,
            new { value = 1, at = "0001-01-01T00:00:00Z" }, Guid.NewGuid().ToString("N"), checkIns);
        await RefusedAsync(HttpStatusCode.BadRequest, "weight", "must be 0 (does not count) or at least 0.000001", HttpMethod.Put,
            $"/api/objectives/{objective.Id}/children/{kr.Id}/weight", new { weight = 5e-324 });
        foreach (var title in new[] { "\u200B\u200B", "\u0001\u0002", "Line\nbreak", "\u00AD" })
            await RefusedAsync(HttpStatusCode.BadRequest, "title", "must not", HttpMethod.Post, "/api/objectives",
                new { cycleId = ApiHost.CycleId, title, owner = TeamOwner("eng") });
        // A misspelt field is not ignored: "parent" would have made an orphan.
        await RefusedAsync(HttpStatusCode.BadRequest, "parent", "did you mean 'parents'", HttpMethod.Post, "/api/objectives",
            new { cycleId = ApiHost.CycleId, title = "Misspelt", owner = TeamOwner("eng"), parent = new[] { new { parentId = objective.Id } } });
        await RefusedAsync(HttpStatusCode.BadRequest, "owner.kinde", "did you mean 'kind'", HttpMethod.Post, "/api/objectives",
            new { cycleId = ApiHost.CycleId, title = "Nested", owner = new { kinde = "team", id = "eng" } });
    }

    [Fact]
    public async Task WhatTheFrameworkAnswersItselfNamesAFieldToo()
    {
        using (var plain = await Client.PostAsync("/api/objectives", new StringContent("title=x", Encoding.UTF8, "text/plain"), Ct))
            await AssertProblemAsync(plain, HttpStatusCode.UnsupportedMediaType, "Content-Type", "must be application/json");
        // 10 MB: refused from its Content-Length, before it is sent (the client asks "Expect: 100-continue" first).
        using (var request = new HttpRequestMessage(HttpMethod.Post, "/api/objectives")
        { Content = new StringContent($"{{\"junk\":\"{new string('x', 10 * 1024 * 1024)}\"}}", Encoding.UTF8, "application/json") })
        {
            request.Headers.ExpectContinue = true;
            using var huge = await Client.SendAsync(request, Ct);
            await AssertProblemAsync(huge, HttpStatusCode.RequestEntityTooLarge, "body", "must be at most 1024 KiB");
        }
        using (var nowhere = await Client.GetAsync("/api/no-such-thing", Ct))
            await AssertProblemAsync(nowhere, HttpStatusCode.NotFound, "path", "there is no endpoint at /api/no-such-thing");
        using (var wrong = await Client.PutAsync("/api/organisation", JsonContent.Create(new { }), Ct))
            await AssertProblemAsync(wrong, HttpStatusCode.MethodNotAllowed, "method", "PUT is not allowed");
    }

    [Fact]
    public async Task ACheckInsAnswerCarriesTheVersionThatAReadRightAfterReturns()
    {
        var objective = await CreateObjectiveAsync(NewId("o"), TeamOwner("eng"));
        var kr = await CreateKeyResultAsync(NewId("k"), objective.Id);
        // A burst on one key result: every answer has its own version, and a read right after has (at least) it.
        var versions = new List<long>();
        for (var i = 1; i <= 20; i++)
        {
            var result = await CheckInAsync(kr.Id, i);
            Assert.True(result.Score.Version > 0);
            Assert.Equal(i, result.Score.Value);
            versions.Add(result.Score.Version);
            var read = await GetAsync<KeyResultView>($"/api/key-results/{kr.Id}");
            Assert.True(read.Score.Version >= result.Score.Version && read.Current == i, $"read {read.Score.Version}/{read.Current} after {result.Score.Version}/{i}");
        }
        Assert.Equal(versions.Order().Distinct(), versions);
        Assert.All(versions, v => Assert.True(v < 1L << 53, $"{v} is beyond 2^53"));
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string field, string reason)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body[..Math.Min(300, body.Length)]}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = JsonNode.Parse(body)!;
        Assert.Equal(field, (string?)problem["field"]);
        Assert.Contains(reason, (string?)problem["reason"]);
    }
}
