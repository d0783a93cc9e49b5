using Microsoft.AspNetCore.Components;
using OkrGrid.Planning;

namespace OkrGrid.Web.Components.Planner;

/// <summary>
/// What the three add-move forms share: the workspace they add to, an error per control, and the engine's refusal of
/// a move's shape shown next to the control whose request field it names (or above the button when none does).
/// </summary>
public abstract class MoveForm : ComponentBase
{
    [Parameter, EditorRequired] public ScenarioWorkspace Workspace { get; set; } = null!;

    protected PlanContext Context => Workspace.Context!;
    protected Dictionary<string, string> Errors { get; } = [];
    protected string? FormError { get; private set; }

    protected string? ErrorOf(string key) => Errors.GetValueOrDefault(key);

    protected void ClearErrors()
    {
        Errors.Clear();
        FormError = null;
    }

    /// <param name="controlOf">The form's control for a request field the engine names, or null.</param>
    /// <param name="reset">Empties the form once the move is in.</param>
    protected async Task AddAsync(PlanMove move, Func<string, string?> controlOf, Action reset)
    {
        var refusal = await Workspace.AddMoveAsync(move);
        if (refusal is null)
        {
            if (Workspace.Error is null) reset();
            return;
        }
        if (controlOf(refusal.Field) is { } key) Errors[key] = refusal.Reason;
        else FormError = $"{refusal.Field}: {refusal.Reason}";
    }
}

/// <summary>The planner's one style for its fields, so that every form looks alike.</summary>
public static class PlannerFields
{
    public const MudBlazor.Variant Variant = MudBlazor.Variant.Outlined;
    public const MudBlazor.Margin Margin = MudBlazor.Margin.Dense;
}
