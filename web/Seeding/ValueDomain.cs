namespace OkrGrid.Web.Seeding;

/// <summary>
/// The values a demo metric can take, inclusive. Made-up numbers are generated or clamped within it, so the demo never
/// shows what its own metric makes impossible (101.6 % uptime, a negative count of incidents).
/// </summary>
public readonly record struct ValueDomain(double Low, double High)
{
    public static readonly ValueDomain Unbounded = new(double.NegativeInfinity, double.PositiveInfinity);

    /// <summary>A milestone: 0 (not done) or 1 (done), nothing else and nothing between.</summary>
    public static readonly ValueDomain Milestone = new(0, 1);

    /// <summary>
    /// The domain implied by a metric's unit and the numbers it is defined with (start, target, baseline, thresholds):
    /// a percentage whose numbers all lie within 0–100 is a share of a whole (uptime, success rate, conversion) and
    /// bounded 0–100; one defined beyond 100 (net revenue retention 104 → 112 %) is not bounded above; any metric
    /// defined with no negative number (counts, durations, latency, ratings) does not go below zero.
    /// </summary>
    public static ValueDomain Of(string? unit, params ReadOnlySpan<double> definedWith)
    {
        var nonNegative = true;
        var withinHundred = true;
        foreach (var v in definedWith)
        {
            nonNegative &= v >= 0;
            withinHundred &= v <= 100;
        }
        var low = nonNegative ? 0 : double.NegativeInfinity;
        var high = unit?.Trim() == "%" && nonNegative && withinHundred ? 100 : double.PositiveInfinity;
        return new ValueDomain(low, high);
    }

    public bool Contains(double value) => value >= Low && value <= High;

    public double Clamp(double value) => Math.Clamp(value, Low, High);

    public override string ToString() => $"[{Low}, {High}]";
}
