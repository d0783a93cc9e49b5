using Bunit;
using Microsoft.Extensions.DependencyInjection;
using OkrGrid.Web.Components;
using OkrGrid.Web.Components.Shared;

namespace OkrGrid.Tests.Components;

public sealed class CheckInFormTests : MudContext
{
    private static readonly KeyResultDefinition Logos = new("2026-q4:growth-logos", "2026-q4", "Land 15 new enterprise customers",
        new Owner(OwnerKind.Person, "sofia-alvarez"), KeyResultKind.Increase, 0, 15, "customers", null);

    private readonly FakeCommands _commands = new();

    public CheckInFormTests() => Services.AddSingleton<IOkrCommands>(_commands);

    private IRenderedComponent<CheckInForm> RenderForm(KeyResultDefinition? kr = null, Action<CheckInResult>? acknowledged = null) =>
        Render<CheckInForm>(p => p
            .Add(c => c.KeyResult, kr ?? Logos)
            .Add(c => c.OnCheckedIn, r => acknowledged?.Invoke(r)));

    private static void TypeValue(IRenderedComponent<CheckInForm> cut, string text) =>
        cut.Find(".okr-checkin__value input").Input(text);

    [Fact]
    public void AnEmptyValueIsRefusedInPlaceAndNothingIsSent()
    {
        var cut = RenderForm();

        cut.Find("form").Submit();

        Assert.Contains("Enter a value.", cut.Find(".okr-checkin__value").TextContent);
        Assert.Empty(_commands.CheckIns);
    }

    [Theory]
    [InlineData("twelve")]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    public void SomethingThatIsNotAFiniteNumberIsRefusedInPlace(string text)
    {
        var cut = RenderForm();
        TypeValue(cut, text);

        cut.Find("form").Submit();

        Assert.Contains("Enter a number", cut.Find(".okr-checkin__value").TextContent);
        Assert.Empty(_commands.CheckIns);
    }

    [Theory]
    [InlineData("", "Enter a value.")]
    [InlineData("  ", "Enter a value.")]
    [InlineData("abc", "Enter a number, e.g. 12.5.")]
    [InlineData("12.5", null)]
    [InlineData("1,250", null)]
    [InlineData("-3", null)]
    public void ValueValidation(string text, string? problem) =>
        Assert.Equal(problem, CheckInForm.ValidateValue(text, out _));

    [Fact]
    public void AValidCheckInIsSentOnceAndTheAcknowledgementIsShown()
    {
        CheckInResult? acknowledged = null;
        var cut = RenderForm(acknowledged: r => acknowledged = r);
        TypeValue(cut, "9");
        cut.Find(".okr-checkin__note textarea").Change("two more signed");

        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find(".okr-checkin__ack")));
        var (krId, checkIn) = Assert.Single(_commands.CheckIns);
        Assert.Equal(Logos.Id, krId);
        Assert.Equal(9, checkIn.Value);
        Assert.Equal(0.7, checkIn.Confidence);
        Assert.Equal("two more signed", checkIn.Note);
        // The author is whoever is signed in: the form says who, and the engine records it (not the form).
        Assert.Equal("", checkIn.Author);
        Assert.Equal("as Sofia Álvarez", cut.Find("[data-testid=checkin-author]").TextContent.Trim());
        Assert.False(string.IsNullOrWhiteSpace(checkIn.ClientId));
        Assert.Contains("Saved: 9 customers", cut.Find(".okr-checkin__ack").TextContent);
        Assert.NotNull(acknowledged);
    }

    [Fact]
    public void ADoubleClickSendsOneCheckIn()
    {
        _commands.Hold = new TaskCompletionSource();
        var cut = RenderForm();
        TypeValue(cut, "9");

        cut.Find("form").Submit();
        cut.Find("form").Submit(); // the second press lands while the first is on its way

        Assert.Single(_commands.CheckIns);
        Assert.True(cut.Find("button[type=submit]").HasAttribute("disabled"));
        _commands.Hold.SetResult();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find(".okr-checkin__ack")));
        Assert.Single(_commands.CheckIns);
    }

    [Fact]
    public void ARetryAfterALostAnswerReusesTheClientIdSoItAppliesOnce()
    {
        _commands.FailNext = new TimeoutException();
        var cut = RenderForm();
        TypeValue(cut, "9");

        cut.Find("form").Submit();
        cut.WaitForAssertion(() => Assert.Contains("Press retry", cut.Find(".okr-checkin__error").TextContent));
        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.NotNull(cut.Find(".okr-checkin__ack")));
        Assert.Equal(2, _commands.CheckIns.Count);
        Assert.Equal(_commands.CheckIns[0].CheckIn.ClientId, _commands.CheckIns[1].CheckIn.ClientId);
    }

    [Fact]
    public void TheNextSubmissionGetsANewClientId()
    {
        var cut = RenderForm();
        TypeValue(cut, "9");
        cut.Find("form").Submit();
        cut.WaitForAssertion(() => Assert.NotNull(cut.Find(".okr-checkin__ack")));

        TypeValue(cut, "10");
        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.Equal(2, _commands.CheckIns.Count));
        Assert.NotEqual(_commands.CheckIns[0].CheckIn.ClientId, _commands.CheckIns[1].CheckIn.ClientId);
    }

    [Fact]
    public void TheEnginesRefusalIsShownNextToTheFieldItNames()
    {
        _commands.FailNext = OkrRejectedException.Invalid("value", "must be within ±1E+12.");
        var cut = RenderForm();
        TypeValue(cut, "9e15");

        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.Contains("Must be within ±1E+12.", cut.Find(".okr-checkin__value").TextContent));
        Assert.Empty(cut.FindAll(".okr-checkin__ack"));
    }

    [Fact]
    public void ARefusalNamingNoFieldOfTheFormIsShownAboveTheButton()
    {
        _commands.FailNext = OkrRejectedException.Conflict("cycle", "cycle '2026-q4' is closed; reopen it to correct a check-in.");
        var cut = RenderForm();
        TypeValue(cut, "9");

        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.Contains("is closed", cut.Find(".okr-checkin__error").TextContent));
    }

    [Fact]
    public void AKpiLinkedKeyResultPointsToItsKpiInsteadOfAForm()
    {
        var nps = Logos with { Kind = KeyResultKind.KpiLinked, KpiId = "nps", Unit = "" };
        var cut = Render<CheckInForm>(p => p.Add(c => c.KeyResult, nps).Add(c => c.KpiName, "Net Promoter Score"));

        Assert.Empty(cut.FindAll("form"));
        Assert.Contains("Net Promoter Score", cut.Find(".okr-checkin__linked").TextContent);
    }

    [Fact]
    public void AMilestoneIsCheckedInAsDoneOrNotDone()
    {
        var milestone = Logos with { Kind = KeyResultKind.Milestone, Start = 0, Target = 1, Unit = "" };
        var cut = RenderForm(milestone);

        Assert.Empty(cut.FindAll(".okr-checkin__value"));
        cut.Find(".okr-checkin__milestone input").Change(true);
        cut.Find("form").Submit();

        cut.WaitForAssertion(() => Assert.Single(_commands.CheckIns));
        Assert.Equal(1, _commands.CheckIns[0].CheckIn.Value);
    }

    [Fact]
    public void SomeoneWhoMayNotCheckInSeesWhoMayInsteadOfTheForm()
    {
        _commands.Permission = new CheckInPermission("Jonas Berg", "Only Sofia Álvarez, who owns it, and the leads of Growth can check in on this key result; you are a member of Growth.");

        var cut = RenderForm();

        Assert.Empty(cut.FindAll("form"));
        Assert.Contains("Only Sofia Álvarez, who owns it", cut.Find("[data-testid=checkin-refused]").TextContent);
        Assert.Empty(_commands.CheckIns);
    }

    private sealed class FakeCommands : IOkrCommands
    {
        public CheckInPermission Permission { get; set; } = new("Sofia Álvarez", null);

        public Task<CheckInPermission> CheckInPermissionAsync(Owner keyResultOwner) => Task.FromResult(Permission);

        public List<(string KeyResultId, CheckIn CheckIn)> CheckIns { get; } = [];
        public Exception? FailNext { get; set; }
        public TaskCompletionSource? Hold { get; set; }

        public async Task<CheckInResult> CheckInAsync(string keyResultId, CheckIn checkIn)
        {
            CheckIns.Add((keyResultId, checkIn));
            if (Hold is { } hold) await hold.Task;
            if (FailNext is { } failure)
            {
                FailNext = null;
                throw failure;
            }
            var progress = checkIn.Value / 15;
            return new CheckInResult(true, new NodeScore(keyResultId, NodeKind.KeyResult, CheckIns.Count, Math.Clamp(progress, 0, 1), progress,
                Status.OnTrack, checkIn.Confidence, false, null, checkIn.Value));
        }

        public Task ImportAsync(string cycleId, ImmutableArray<ObjectiveDefinition> objectives, ImmutableArray<KeyResultDefinition> keyResults,
            ImmutableArray<Edge> edges) => Task.CompletedTask;
    }
}
