using System.Text.Json;
using OkrGrid.Engine.Integrations;

namespace OkrGrid.Tests.Integrations;

/// <summary>The JSONPath subset of HTTP pull sources: what it reads, and what it says when it cannot.</summary>
[Trait("Category", "Fast")]
public sealed class JsonPathLiteTests
{
    private const string Doc = """
        {"data": {"items": [{"value": 12.5}, {"value": "7"}, {"value": "n/a"}], "total": 3, "flag": true, "nothing": null},
         "daily active": [100, 200, 300], "weird.key": {"x": 1}, "neg": -4e2}
        """;

    [Theory]
    [InlineData("$.data.items[0].value", 12.5)]
    [InlineData("$.data.items[1].value", 7)]        // a number sent as a string counts
    [InlineData("$.data.total", 3)]
    [InlineData("$['daily active'][-1]", 300)]      // from the end
    [InlineData("$[\"daily active\"][0]", 100)]
    [InlineData("$['weird.key'].x", 1)]
    [InlineData("$.neg", -400)]
    public void APathReadsTheNumberItNames(string path, double expected)
    {
        var parsed = JsonPathLite.TryParse(path, out var error);
        Assert.Null(error);
        using var doc = JsonDocument.Parse(Doc);
        Assert.True(parsed!.TryReadNumber(doc.RootElement, out var value, out var why), why);
        Assert.Equal(expected, value);
    }

    [Theory]
    [InlineData("$.data.items[2].value", "$.data.items[2].value is the text \"n/a\", not a number")]
    [InlineData("$.data.items[3].value", "$.data.items has 3 elements; there is no [3]")]
    [InlineData("$.data.missing", "$.data has no member 'missing'")]
    [InlineData("$.data.flag", "$.data.flag is true, not a number")]
    [InlineData("$.data.nothing", "$.data.nothing is null, not a number")]
    [InlineData("$.data", "$.data is an object, not a number")]
    [InlineData("$.data.total.x", "$.data.total is the number 3, not an object with 'x'")]
    [InlineData("$.data[0]", "$.data is an object, not an array")]
    public void APathThatNamesNoNumberSaysWhereAndWhy(string path, string expected)
    {
        using var doc = JsonDocument.Parse(Doc);
        Assert.False(JsonPathLite.TryParse(path, out _)!.TryReadNumber(doc.RootElement, out _, out var error));
        Assert.Equal(expected, error);
    }

    [Theory]
    [InlineData("", "is required")]
    [InlineData("data.value", "must start with '$'")]
    [InlineData("$.", "expects a member name")]
    [InlineData("$.items[*]", "wildcards and filters are not supported")]
    [InlineData("$..value", "expects a member name")]
    [InlineData("$.items[?(@.v>1)]", "wildcards and filters are not supported")]
    [InlineData("$['open", "closing quote")]
    [InlineData("$.a b", "has ' ' at position 3")]
    public void APathOutsideTheSubsetIsRefusedWithAReason(string path, string reason)
    {
        Assert.Null(JsonPathLite.TryParse(path, out var error));
        Assert.Contains(reason, error);
    }
}
