using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace OkrGrid.Workload.Hosting;

/// <summary>
/// Signing in to a running web host the way its users do: the sign-in form (with its antiforgery token) for a session
/// cookie, the demo's sign-in list, and API tokens made through the API — so tests and the benchmark reach the host
/// through its front door, never around it.
/// </summary>
public static partial class WebSessions
{
    /// <summary>The password of the admin every test host starts with on a production database (Auth:InitialAdmin).</summary>
    public const string AdminUserName = "admin";
    public const string AdminPassword = "Test-admin-password-1";
    public const string AdminDisplayName = "Avery Admin";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    /// <summary>An HTTP client with a cookie jar, on the host; sends nothing else.</summary>
    public static HttpClient Anonymous(Uri baseAddress, CookieContainer? cookies = null) =>
        new(new HttpClientHandler { CookieContainer = cookies ?? new CookieContainer(), AllowAutoRedirect = false })
        {
            BaseAddress = baseAddress,
            Timeout = TimeSpan.FromSeconds(30),
        };

    /// <summary>A client that sends this bearer token.</summary>
    public static HttpClient WithToken(Uri baseAddress, string token)
    {
        var client = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>Signs in with a user name and password through the sign-in form; the client then carries the session cookie
    /// and, for changes through the API, the antiforgery header.</summary>
    public static async Task<HttpClient> SignInAsync(Uri baseAddress, string userName, string password, CookieContainer? cookies = null)
    {
        var client = Anonymous(baseAddress, cookies);
        var form = await FormTokenAsync(client);
        using var response = await client.PostAsync("/account/login", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = form, ["userName"] = userName, ["password"] = password, ["returnUrl"] = "/",
        }));
        if (response.StatusCode != HttpStatusCode.Redirect || response.Headers.Location?.OriginalString.Contains("error=", StringComparison.Ordinal) == true)
            throw new InvalidOperationException($"Sign-in as {userName} failed: {(int)response.StatusCode} → {response.Headers.Location}");
        await AddCsrfHeaderAsync(client);
        return client;
    }

    /// <summary>Signs in as one of the demo's people from the demo sign-in list (a demo database only).</summary>
    public static async Task<HttpClient> DemoSignInAsync(Uri baseAddress, string userId, CookieContainer? cookies = null)
    {
        var client = Anonymous(baseAddress, cookies);
        var form = await FormTokenAsync(client);
        using var response = await client.PostAsync("/account/demo", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = form, ["userId"] = userId, ["returnUrl"] = "/",
        }));
        if (response.StatusCode != HttpStatusCode.Redirect || response.Headers.Location?.OriginalString.Contains("error=", StringComparison.Ordinal) == true)
            throw new InvalidOperationException($"Demo sign-in as {userId} failed: {(int)response.StatusCode} → {response.Headers.Location}");
        await AddCsrfHeaderAsync(client);
        return client;
    }

    /// <summary>Makes a personal token through the API with a signed-in client.</summary>
    public static async Task<string> CreateTokenAsync(HttpClient session, string name, string scope, DateTimeOffset? expiresAt = null)
    {
        using var response = await session.PostAsJsonAsync("/api/tokens", new { name, scope, expiresAt });
        if (response.StatusCode != HttpStatusCode.Created)
            throw new InvalidOperationException($"Creating token '{name}' failed: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        return (await response.Content.ReadFromJsonAsync<JsonElement>(Json)).GetProperty("token").GetString()!;
    }

    /// <summary>An admin-scope token of the host's admin: the initial admin on a production database, Maya on the demo.</summary>
    public static async Task<string> AdminTokenAsync(Uri baseAddress, bool demo)
    {
        using var session = demo ? await DemoSignInAsync(baseAddress, "maya-okafor") : await SignInAsync(baseAddress, AdminUserName, AdminPassword);
        return await CreateTokenAsync(session, "tests (admin)", "admin");
    }

    /// <summary>The antiforgery token of the sign-in page's forms (and its cookie, now in the client's jar).</summary>
    public static async Task<string> FormTokenAsync(HttpClient client, string page = "/account/login")
    {
        var html = await client.GetStringAsync(page);
        return FormToken().Match(html) is { Success: true } m ? WebUtility.HtmlDecode(m.Groups[1].Value)
            : throw new InvalidOperationException($"No antiforgery token on {page}.");
    }

    private static async Task AddCsrfHeaderAsync(HttpClient client)
    {
        var view = await client.GetFromJsonAsync<JsonElement>("/api/antiforgery", Json);
        client.DefaultRequestHeaders.Add(view.GetProperty("headerName").GetString()!, view.GetProperty("token").GetString());
    }

    [GeneratedRegex(@"type=""hidden"" name=""__RequestVerificationToken"" value=""([^""]+)""")]
    private static partial Regex FormToken();
}
