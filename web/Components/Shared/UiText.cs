namespace OkrGrid.Web.Components.Shared;

/// <summary>
/// The sentences pages show when the engine refuses or does not answer, written once: the engine's reasons are
/// lower-case fragments ("must be between 0 and 1") meant to follow a field's name, and a page shows them on their own.
/// </summary>
public static class UiText
{
    /// <summary>"must be between 0 and 1" → "Must be between 0 and 1", for a reason shown under its field.</summary>
    public static string Sentence(string reason) =>
        reason.Length == 0 ? reason : char.ToUpperInvariant(reason[0]) + reason[1..];

    /// <summary>A reason that ends a line of text: with exactly one full stop.</summary>
    public static string FullStop(string reason) => reason.Length == 0 ? reason : reason.TrimEnd('.') + ".";

    /// <summary>
    /// What a page says when a call to the engine failed for a reason that is not a refusal (a silo restarting, the
    /// database away): the failure's kind, and what happens next (<paramref name="then"/>, e.g. "try again.").
    /// </summary>
    public static string EngineDidNotAnswer(Exception failure, string? then = null) =>
        then is null
            ? $"The engine did not answer ({failure.GetType().Name})."
            : $"The engine did not answer ({failure.GetType().Name}); {then}";
}
