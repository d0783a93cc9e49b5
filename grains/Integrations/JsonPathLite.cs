using System.Globalization;
using System.Text;
using System.Text.Json;

namespace OkrGrid.Engine.Integrations;

/// <summary>
/// The small JSONPath subset a pull source needs to point at one number: <c>$</c>, then any of <c>.name</c>,
/// <c>['name']</c> / <c>["name"]</c> and <c>[index]</c> (a negative index counts from the end), e.g.
/// <c>$.data.items[0].value</c> or <c>$['daily active'][-1]</c>. No wildcards, filters or recursion: a path names one
/// value or nothing.
/// </summary>
public sealed class JsonPathLite
{
    private abstract record Step;
    private sealed record Member(string Name) : Step;
    private sealed record Index(int At) : Step;

    private readonly Step[] _steps;

    private JsonPathLite(string text, Step[] steps)
    {
        Text = text;
        _steps = steps;
    }

    public string Text { get; }

    /// <summary>Parses a path; on failure returns null and the reason (for a 400 naming "jsonPath").</summary>
    public static JsonPathLite? TryParse(string? text, out string? error)
    {
        error = null;
        if (string.IsNullOrWhiteSpace(text)) { error = "is required, e.g. $.data.value"; return null; }
        if (text.Length > Sources.SourceRules.MaxJsonPath) { error = $"must be at most {Sources.SourceRules.MaxJsonPath} characters"; return null; }
        if (text[0] != '$') { error = "must start with '$' (the document), e.g. $.data.value"; return null; }
        var steps = new List<Step>();
        var i = 1;
        while (i < text.Length)
        {
            var c = text[i];
            if (c == '.')
            {
                var start = ++i;
                while (i < text.Length && IsNameChar(text[i])) i++;
                if (i == start) { error = $"expects a member name after '.' at position {start}"; return null; }
                steps.Add(new Member(text[start..i]));
            }
            else if (c == '[')
            {
                i++;
                if (i < text.Length && text[i] is '\'' or '"')
                {
                    var quote = text[i++];
                    var name = new StringBuilder();
                    while (i < text.Length && text[i] != quote)
                    {
                        if (text[i] == '\\' && i + 1 < text.Length) i++;
                        name.Append(text[i++]);
                    }
                    if (i >= text.Length) { error = "has a quoted name without its closing quote"; return null; }
                    i++;
                    if (i >= text.Length || text[i] != ']') { error = $"expects ']' at position {i}"; return null; }
                    i++;
                    steps.Add(new Member(name.ToString()));
                }
                else
                {
                    var start = i;
                    if (i < text.Length && text[i] == '-') i++;
                    while (i < text.Length && char.IsAsciiDigit(text[i])) i++;
                    if (i >= text.Length || text[i] != ']' || !int.TryParse(text.AsSpan(start, i - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var index))
                    {
                        error = $"expects an index like [0] or a quoted name like ['name'] at position {start}; wildcards and filters are not supported";
                        return null;
                    }
                    i++;
                    steps.Add(new Index(index));
                }
            }
            else
            {
                error = $"has '{c}' at position {i}; expected '.name', ['name'] or [index]";
                return null;
            }
        }
        return new JsonPathLite(text, [.. steps]);
    }

    private static bool IsNameChar(char c) => char.IsLetterOrDigit(c) || c is '_' or '-' or '$';

    /// <summary>The number at this path, or why there is none (said so that the owner can fix the source).</summary>
    public bool TryReadNumber(JsonElement root, out double value, out string? error)
    {
        value = 0;
        var at = root;
        var where = new StringBuilder("$");
        foreach (var step in _steps)
        {
            switch (step)
            {
                case Member m:
                    if (at.ValueKind != JsonValueKind.Object)
                    {
                        error = $"{where} is {Describe(at)}, not an object with '{m.Name}'";
                        return false;
                    }
                    if (!at.TryGetProperty(m.Name, out var next))
                    {
                        error = $"{where} has no member '{m.Name}'";
                        return false;
                    }
                    at = next;
                    where.Append(IsPlain(m.Name) ? $".{m.Name}" : $"['{m.Name}']");
                    break;
                case Index x:
                    if (at.ValueKind != JsonValueKind.Array)
                    {
                        error = $"{where} is {Describe(at)}, not an array";
                        return false;
                    }
                    var length = at.GetArrayLength();
                    var index = x.At < 0 ? length + x.At : x.At;
                    if (index < 0 || index >= length)
                    {
                        error = $"{where} has {length} element{(length == 1 ? "" : "s")}; there is no [{x.At}]";
                        return false;
                    }
                    at = at[index];
                    where.Append(CultureInfo.InvariantCulture, $"[{x.At}]");
                    break;
            }
        }
        switch (at.ValueKind)
        {
            case JsonValueKind.Number when at.TryGetDouble(out value) && double.IsFinite(value):
                error = null;
                return true;
            // Many APIs send numbers as strings ("42.5"); a string that is exactly a number counts.
            case JsonValueKind.String when double.TryParse(at.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value):
                error = null;
                return true;
            case JsonValueKind.Number:
                error = $"{where} is {at.GetRawText()}, beyond what a number can hold";
                return false;
            default:
                error = $"{where} is {Describe(at)}, not a number";
                return false;
        }
    }

    private static bool IsPlain(string name) => name.Length > 0 && name.All(IsNameChar);

    private static string Describe(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => $"the text \"{Short(e.GetString())}\"",
        JsonValueKind.True or JsonValueKind.False => e.GetRawText(),
        JsonValueKind.Null => "null",
        JsonValueKind.Number => $"the number {e.GetRawText()}",
        _ => "nothing",
    };

    private static string Short(string? s) => s is null ? "" : s.Length > 40 ? s[..40] + "…" : s;

    public override string ToString() => Text;
}
