namespace OkrGrid.Tests.Scoring;

[Trait("Category", "Fast")]
public class CheckTests
{
    /// <summary>Asserts a rejection of <paramref name="field"/> whose reason is non-empty and mentions <paramref name="because"/>.</summary>
    private static OkrRejectedException Rejected(Action act, string field, string because)
    {
        var ex = Assert.Throws<OkrRejectedException>(act);
        Assert.Equal(RejectionKind.Invalid, ex.Kind);
        Assert.Equal(field, ex.Field);
        Assert.False(string.IsNullOrWhiteSpace(ex.Reason));
        Assert.Contains(because, ex.Reason, StringComparison.OrdinalIgnoreCase);
        Assert.Contains(field, ex.Message, StringComparison.Ordinal);
        return ex;
    }

    // ---------------------------------------------------------------- Number

    [Theory]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "finite")]
    [InlineData(double.NegativeInfinity, "finite")]
    [InlineData(1.0000001e12, "within")]
    [InlineData(-1.0000001e12, "within")]
    [InlineData(1e15, "within")]
    [InlineData(double.MaxValue, "within")]
    public void NumberRejectsNonFiniteAndHugeValues(double value, string because) =>
        Rejected(() => Check.Number("current", value), "current", because);

    [Theory]
    [InlineData(0.0)]
    [InlineData(-5.5)]
    [InlineData(1e12)]     // the limit itself is allowed
    [InlineData(-1e12)]
    [InlineData(double.Epsilon)]
    public void NumberAcceptsFiniteValuesWithinTheLimit(double value) =>
        Assert.Equal(value, Check.Number("current", value));

    // ---------------------------------------------------------------- Weight

    [Theory]
    [InlineData(-0.01, "negative")]
    [InlineData(-1.0, "negative")]
    [InlineData(1000.5, "1000")]
    [InlineData(5000.0, "1000")]
    [InlineData(double.NaN, "NaN")]
    [InlineData(double.PositiveInfinity, "finite")]
    public void WeightRejectsNegativeTooLargeAndNonFinite(double value, string because) =>
        Rejected(() => Check.Weight("weight", value), "weight", because);

    [Theory]
    [InlineData(0.0)]      // zero: the child is ignored in the roll-up but the weight is valid
    [InlineData(1.0)]
    [InlineData(2.5)]
    [InlineData(1000.0)]   // the limit itself is allowed
    public void WeightAccepts0To1000(double value) =>
        Assert.Equal(value, Check.Weight("weight", value));

    // ---------------------------------------------------------------- Title / Text

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("  \t\n ")]
    public void TitleRejectsEmptyAndWhitespace(string? value) =>
        Rejected(() => Check.Title("title", value), "title", "empty");

    [Fact]
    public void TitleRejects201Characters()
    {
        var ex = Rejected(() => Check.Title("title", new string('t', 201)), "title", "200");
        Assert.Contains("201", ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void TitleAccepts200Characters()
    {
        var title = new string('t', 200);
        Assert.Equal(title, Check.Title("title", title));
    }

    [Fact]
    public void TitleIsTrimmedBeforeItsLengthIsChecked()
    {
        Assert.Equal("Grow revenue", Check.Title("title", "  Grow revenue \t"));
        var title = new string('t', 200);
        Assert.Equal(title, Check.Title("title", "  " + title + "  "));
    }

    [Fact]
    public void TitleHonoursACustomMaximum()
    {
        Assert.Equal("abcde", Check.Title("name", "abcde", max: 5));
        Rejected(() => Check.Title("name", "abcdef", max: 5), "name", "5");
    }

    [Fact]
    public void TextAllowsEmptyAndRejectsOverItsMaximum()
    {
        Assert.Equal("", Check.Text("description", null, Check.MaxDescription));
        Assert.Equal("", Check.Text("description", "", Check.MaxDescription));
        Assert.Equal(new string('d', 4000), Check.Text("description", new string('d', 4000), Check.MaxDescription));
        Rejected(() => Check.Text("description", new string('d', 4001), Check.MaxDescription), "description", "4000");
    }

    // ---------------------------------------------------------------- Confidence

    [Theory]
    [InlineData(-0.01)]
    [InlineData(-1.0)]
    [InlineData(1.01)]
    [InlineData(2.0)]
    [InlineData(100.0)]   // a percentage instead of a fraction
    public void ConfidenceRejectsValuesOutside0To1(double value) =>
        Rejected(() => Check.Confidence("confidence", value), "confidence", "between 0 and 1");

    [Fact]
    public void ConfidenceRejectsNaN() =>
        Rejected(() => Check.Confidence("confidence", double.NaN), "confidence", "NaN");

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(1.0)]
    public void ConfidenceAccepts0To1(double value) =>
        Assert.Equal(value, Check.Confidence("confidence", value));

    [Fact]
    public void ConfidenceMayBeAbsent() => Assert.Null(Check.Confidence("confidence", null));

    // ---------------------------------------------------------------- ClientId

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public void ClientIdRejectsEmpty(string? value) =>
        Rejected(() => Check.ClientId("clientId", value), "clientId", "empty");

    [Fact]
    public void ClientIdRejectsOver100Characters() =>
        Rejected(() => Check.ClientId("clientId", new string('c', 101)), "clientId", "100");

    [Fact]
    public void ClientIdAcceptsAndTrims()
    {
        Assert.Equal("retry-1", Check.ClientId("clientId", " retry-1 "));
        Assert.Equal(new string('c', 100), Check.ClientId("clientId", new string('c', 100)));
    }

    // ---------------------------------------------------------------- Slug

    [Theory]
    [InlineData("a")]
    [InlineData("0")]
    [InlineData("team-1")]
    [InlineData("x_y")]
    [InlineData("2026-q4")]
    [InlineData("a-")]
    public void SlugAcceptsLowerCaseLettersDigitsDashAndUnderscore(string value) =>
        Assert.Equal(value, Check.Slug("id", value));

    [Fact]
    public void SlugAccepts64CharactersAndRejects65()
    {
        Assert.Equal(new string('s', 64), Check.Slug("id", new string('s', 64)));
        Rejected(() => Check.Slug("id", new string('s', 65)), "id", "64");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("-abc")]      // must start with a letter or digit
    [InlineData("_abc")]
    [InlineData("Abc")]       // upper case
    [InlineData("a b")]       // space
    [InlineData("a.b")]
    [InlineData("a:b")]       // ':' separates cycle and node ids
    [InlineData("a/b")]
    [InlineData("é")]
    [InlineData(" abc")]
    [InlineData("abc ")]
    [InlineData("abc\n")]     // a trailing newline must not slip through '$'
    public void SlugRejectsAnythingElse(string? value) =>
        Rejected(() => Check.Slug("id", value), "id", "a–z");

    // ---------------------------------------------------------------- Enum

    [Fact]
    public void EnumRejectsAnUndefinedValue()
    {
        var ex = Rejected(() => Check.Enum("kind", (KeyResultKind)42), "kind", "42");
        Assert.Contains(nameof(KeyResultKind.Milestone), ex.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void EnumAcceptsADefinedValue() => Check.Enum("mode", RollUpMode.ObjectivesOnly);

    // ---------------------------------------------------------------- KeyResultShape

    [Theory]
    [InlineData(KeyResultKind.Increase, 0, 100, null)]
    [InlineData(KeyResultKind.Increase, -50, -10, null)]
    [InlineData(KeyResultKind.Decrease, 100, 40, null)]
    [InlineData(KeyResultKind.Decrease, 0, -1, null)]
    [InlineData(KeyResultKind.Milestone, 0, 1, null)]
    [InlineData(KeyResultKind.StayAtOrAbove, 0, 95, null)]
    [InlineData(KeyResultKind.StayAtOrAbove, 95, 95, null)]      // stay kinds have no direction
    [InlineData(KeyResultKind.StayAtOrBelow, 0, 200, null)]
    [InlineData(KeyResultKind.StayAtOrBelow, 300, 200, null)]
    [InlineData(KeyResultKind.KpiLinked, 200, 300, "mrr")]        // a KPI-linked KR may go up
    [InlineData(KeyResultKind.KpiLinked, 5, 1, "churn")]          // or down
    public void KeyResultShapeAcceptsAWellFormedKeyResult(KeyResultKind kind, double start, double target, string? kpiId) =>
        Check.KeyResultShape(kind, start, target, kpiId);

    [Theory]
    // kind, start, target, kpi id → field, reason mentions
    [InlineData(KeyResultKind.Increase, 10, 10, null, "target", "above")]       // start == target
    [InlineData(KeyResultKind.Increase, 10, 5, null, "target", "above")]        // wrong direction
    [InlineData(KeyResultKind.Decrease, 40, 40, null, "target", "below")]       // start == target
    [InlineData(KeyResultKind.Decrease, 40, 100, null, "target", "below")]      // wrong direction
    [InlineData(KeyResultKind.Milestone, 0, 2, null, "target", "milestone")]
    [InlineData(KeyResultKind.Milestone, 1, 0, null, "target", "milestone")]
    [InlineData(KeyResultKind.Milestone, 0, 0, null, "target", "milestone")]
    [InlineData(KeyResultKind.Milestone, 1, 1, null, "target", "milestone")]
    [InlineData(KeyResultKind.KpiLinked, 5, 5, "mrr", "target", "differ")]      // start == target
    [InlineData(KeyResultKind.KpiLinked, 0, 100, null, "kpiId", "KPI")]         // needs a KPI
    [InlineData(KeyResultKind.KpiLinked, 0, 100, "", "kpiId", "KPI")]
    [InlineData(KeyResultKind.KpiLinked, 0, 100, "  ", "kpiId", "KPI")]
    [InlineData(KeyResultKind.Increase, 0, 100, "mrr", "kpiId", "KPI")]         // others must not have one
    [InlineData(KeyResultKind.Decrease, 100, 0, "mrr", "kpiId", "KPI")]
    [InlineData(KeyResultKind.StayAtOrAbove, 0, 95, "mrr", "kpiId", "KPI")]
    [InlineData(KeyResultKind.StayAtOrBelow, 0, 200, "mrr", "kpiId", "KPI")]
    [InlineData(KeyResultKind.Milestone, 0, 1, "mrr", "kpiId", "KPI")]
    [InlineData(KeyResultKind.Increase, double.NaN, 100, null, "start", "NaN")]
    [InlineData(KeyResultKind.Increase, 0, double.PositiveInfinity, null, "target", "finite")]
    [InlineData(KeyResultKind.StayAtOrAbove, 0, 2e12, null, "target", "within")]
    public void KeyResultShapeRejectsAMalformedKeyResult(
        KeyResultKind kind, double start, double target, string? kpiId, string field, string because) =>
        Rejected(() => Check.KeyResultShape(kind, start, target, kpiId), field, because);

    [Fact]
    public void KeyResultShapeRejectsAnUndefinedKind() =>
        Rejected(() => Check.KeyResultShape((KeyResultKind)99, 0, 1, null), "kind", "99");
}
