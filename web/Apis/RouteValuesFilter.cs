using System.Globalization;

namespace OkrGrid.Web.Apis;

/// <summary>
/// Ids in an API path are checked before anything looks them up: blank, padded with whitespace, holding control or
/// invisible (format) characters, or longer than any id can be → 400 naming the path parameter. (An id of the right
/// form that does not exist is the handler's 404.) Without this, Orleans refuses such a grain key with an exception —
/// a 500.
/// </summary>
public sealed class RouteValuesFilter : IEndpointFilter
{
    /// <summary>Longer than any id OkrGrid makes ("{cycle}:{slug}", 64 + 1 + 64 characters) or accepts.</summary>
    public const int MaxIdLength = 200;

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        foreach (var (name, value) in context.HttpContext.Request.RouteValues)
        {
            if (value is not string text) continue;
            if (Problem(text) is { } reason) return ValueTask.FromResult<object?>(OkrProblems.Invalid(name, reason));
        }
        return next(context);
    }

    /// <summary>Why a path value cannot be an id, or null when it may be one.</summary>
    public static string? Problem(string value)
    {
        if (string.IsNullOrWhiteSpace(value)) return "must not be blank.";
        if (value.Length > MaxIdLength) return $"must be at most {MaxIdLength} characters (got {value.Length}).";
        if (char.IsWhiteSpace(value[0]) || char.IsWhiteSpace(value[^1])) return "must not start or end with whitespace.";
        foreach (var c in value)
            if (char.IsControl(c) || CharUnicodeInfo.GetUnicodeCategory(c) == UnicodeCategory.Format)
                return $"must not contain control or invisible characters (U+{(int)c:X4}).";
        return null;
    }
}
