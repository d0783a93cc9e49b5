using System.Text.Json;
using System.Text.RegularExpressions;

namespace OkrGrid.Web.Apis;

/// <summary>
/// Says which field of a request could not be read, and why, from what ASP.NET Core and System.Text.Json report:
/// the JSON path of a value that does not parse or convert, the parameter that did not bind.
/// </summary>
internal static partial class UnreadableRequest
{
    public static IResult ProblemOf(BadHttpRequestException bad)
    {
        if (bad.StatusCode == StatusCodes.Status413PayloadTooLarge)
            return OkrProblems.Problem(bad.StatusCode, "Request too large", "body", $"must be at most {ApiServices.MaxRequestBody / 1024} KiB.");
        if (bad.InnerException is JsonException { Message: var message } unmapped && UnmappedMember().Match(message) is { Success: true } member)
        {
            var name = member.Groups["name"].Value;
            var field = FieldOf(unmapped.Path); // "$.owner.kinde": the path names the member itself
            var known = Resolve(member.Groups["type"].Value)?.GetProperties().Select(p => JsonNames.Camel(p.Name)).ToList() ?? [];
            var guess = known.Select(k => (Name: k, Distance: Distance(k, name))).Where(k => k.Distance <= 2).OrderBy(k => k.Distance).FirstOrDefault().Name;
            return OkrProblems.Invalid(field, guess is null
                ? $"is not a field of this request{(known.Count > 0 ? $" (its fields: {string.Join(", ", known)})" : "")}."
                : $"is not a field of this request; did you mean '{guess}'?");
        }
        if (bad.InnerException is JsonException json)
        {
            var field = FieldOf(json.Path);
            return OkrProblems.Invalid(field, ReasonOf(json));
        }
        if (BindFailure().Match(bad.Message) is { Success: true } bind)
            return OkrProblems.Invalid(bind.Groups["name"].Value, $"'{bind.Groups["value"].Value}' is not a valid {Friendly(bind.Groups["type"].Value)}.");
        if (bad.Message.Contains("body", StringComparison.OrdinalIgnoreCase))
            return OkrProblems.Invalid("body", "is required: send a JSON object.");
        return OkrProblems.Problem(bad.StatusCode, "Bad request", "request", bad.Message);
    }

    /// <summary>"$.owner.kind" → "owner.kind"; "$" (the whole body) → "body".</summary>
    private static string FieldOf(string? path)
    {
        var field = (path ?? "$").TrimStart('$').TrimStart('.');
        return field.Length == 0 ? "body" : field;
    }

    private static string ReasonOf(JsonException json)
    {
        if (ConvertFailure().Match(json.Message) is { Success: true } convert)
        {
            var target = TargetType(Resolve(convert.Groups["type"].Value), json.Path);
            if (target is { IsEnum: true })
                return $"must be one of {string.Join(", ", Enum.GetNames(target).Select(JsonNames.Camel))}.";
            return target == typeof(double) ? "must be a finite number."
                : target == typeof(DateTimeOffset) ? "must be a date and time in ISO 8601 form, e.g. 2026-11-02T09:00:00Z."
                : target == typeof(string) ? "must be a string."
                : target == typeof(bool) ? "must be true or false."
                : target is not null && target.IsAssignableTo(typeof(System.Collections.IEnumerable)) ? "must be a JSON array."
                : target is not null && target.IsClass ? "must be a JSON object."
                : "has a value of the wrong type.";
        }
        var where = json.LineNumber is { } line ? $" (line {line + 1}, position {json.BytePositionInLine + 1})" : "";
        return $"is not valid JSON{where}.";
    }

    /// <summary>
    /// The type the value at the path was meant to be. A record bound through its constructor is named in the
    /// message instead of its property, so the last path segment is looked up on it.
    /// </summary>
    private static Type? TargetType(Type? named, string? path)
    {
        if (named is null) return null;
        var last = (path ?? "$").Split('.')[^1];
        var indexed = last.EndsWith(']');
        var name = indexed ? last[..last.IndexOf('[')] : last;
        var property = named.GetProperties().FirstOrDefault(p => p.Name.Equals(name, StringComparison.OrdinalIgnoreCase));
        if (property is null) return Unwrap(named);
        var type = property.PropertyType;
        if (indexed && type.IsGenericType && type.GetGenericArguments() is [var element]) type = element;
        return Unwrap(type);
    }

    private static Type Unwrap(Type type) => Nullable.GetUnderlyingType(type) ?? type;

    private static Type? Resolve(string typeName)
    {
        if (NullableOf().Match(typeName) is { Success: true } inner) typeName = inner.Groups["type"].Value;
        return typeof(UnreadableRequest).Assembly.GetType(typeName) ?? typeof(Status).Assembly.GetType(typeName) ?? Type.GetType(typeName);
    }

    private static string Friendly(string type) => type.Replace("Nullable<", "").TrimEnd('>') switch
    {
        "bool" or "Boolean" => "boolean (true or false)",
        "double" or "Double" => "number",
        var other => other,
    };

    /// <summary>Edit distance, for "did you mean": small strings only.</summary>
    private static int Distance(string a, string b)
    {
        a = a.ToLowerInvariant(); b = b.ToLowerInvariant();
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            var previous = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                var current = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), previous + (a[i - 1] == b[j - 1] ? 0 : 1));
                previous = current;
            }
        }
        return row[b.Length];
    }

    [GeneratedRegex(@"The JSON property '(?<name>[^']*)' could not be mapped to any \.NET member contained in type '(?<type>[^']+)'")]
    private static partial Regex UnmappedMember();

    [GeneratedRegex(@"could not be converted to (?<type>[^\s]+?)\.\s")]
    private static partial Regex ConvertFailure();

    [GeneratedRegex(@"^System\.Nullable`1\[(?<type>.+)\]$")]
    private static partial Regex NullableOf();

    [GeneratedRegex("""Failed to bind parameter "(?<type>[^\s"]+) (?<name>[^"]+)" from "(?<value>[^"]*)".""")]
    private static partial Regex BindFailure();
}
