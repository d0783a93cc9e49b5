using Bunit;
using MudBlazor.Services;

namespace OkrGrid.Tests.Components;

/// <summary>A bUnit context with MudBlazor's services and JS interop answered loosely (MudBlazor calls into JS).</summary>
public abstract class MudContext : BunitContext
{
    protected MudContext()
    {
        Services.AddMudServices();
        JSInterop.Mode = JSRuntimeMode.Loose;
    }

    protected static NodeScore Score(string id, double progress, Status status, double? value = null, double? confidence = null,
        NodeKind kind = NodeKind.KeyResult, double? raw = null) =>
        new(id, kind, 1, progress, raw ?? progress, status, confidence, NoData: false, Grade: null, Value: value);
}
