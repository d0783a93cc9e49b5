using System.Globalization;
using Microsoft.AspNetCore.Components;

namespace OkrGrid.Web.Components.Shared;

/// <summary>
/// "The scorecard as of" an instant, as pages put it in their address (<c>?at=</c>) and in words. Instants read in UTC
/// everywhere (as the audit trail does): a link reads the same to whoever opens it, wherever they are.
/// </summary>
public static class AsOf
{
    /// <summary>The query parameter: the same name and format as the API's.</summary>
    public const string Parameter = "at";

    /// <summary>"2026-10-14T09:00:00Z" (fractions of a second only when there are some): readable in an address bar.</summary>
    public static string Query(DateTimeOffset at) =>
        at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'", CultureInfo.InvariantCulture);

    /// <summary>"14 Oct 2026, 09:00 UTC".</summary>
    public static string Label(DateTimeOffset at) => at.ToUniversalTime().ToString("d MMM yyyy, HH:mm 'UTC'", Fmt.Culture);

    /// <summary>The current address with <c>?at=</c> set to <paramref name="at"/>, or without it (live) when null.</summary>
    public static string Uri(NavigationManager navigation, DateTimeOffset? at) =>
        navigation.GetUriWithQueryParameter(Parameter, at is { } t ? Query(t) : null);

    /// <summary>What a page says when the instant in its address cannot be shown.</summary>
    public static string Problem(string reason) => $"The scorecard cannot be shown as of that instant: {reason}";
}
