using MudBlazor;

namespace OkrGrid.Web.Components.Layout;

/// <summary>
/// OkrGrid's look: an indigo brand, Inter (shipped in wwwroot/fonts so a wall looks the same on any machine), and
/// a dark palette tuned for a TV on the wall. Status colours live in css/app.css as CSS variables (--okr-on-track …)
/// so SVG and plain elements share them with the MudBlazor components.
/// </summary>
public static class OkrTheme
{
    private static readonly string[] Font = ["Inter Variable", "Inter", "system-ui", "-apple-system", "Segoe UI", "Roboto", "Helvetica Neue", "Arial", "sans-serif"];

    public static MudTheme Theme { get; } = new()
    {
        PaletteLight = new PaletteLight
        {
            Primary = "#4f46e5",
            Secondary = "#0d9488",
            Tertiary = "#7c3aed",
            Info = "#0284c7",
            Success = "#16a34a",
            Warning = "#d97706",
            Error = "#dc2626",
            Background = "#f4f6fb",
            BackgroundGray = "#eef1f7",
            Surface = "#ffffff",
            AppbarBackground = "#ffffff",
            AppbarText = "#0f172a",
            DrawerBackground = "#0f172a",
            DrawerText = "#cbd5e1",
            DrawerIcon = "#94a3b8",
            TextPrimary = "#0f172a",
            TextSecondary = "#475569",
            Divider = "#e2e8f0",
            LinesDefault = "#e2e8f0",
            TableLines = "#e2e8f0",
        },
        PaletteDark = new PaletteDark
        {
            Primary = "#818cf8",
            Secondary = "#2dd4bf",
            Tertiary = "#a78bfa",
            Info = "#38bdf8",
            Success = "#22c55e",
            Warning = "#f59e0b",
            Error = "#f87171",
            Background = "#0a0f1e",
            BackgroundGray = "#0f172a",
            Surface = "#111a2e",
            AppbarBackground = "#0d1426",
            AppbarText = "#e2e8f0",
            DrawerBackground = "#0b1222",
            DrawerText = "#cbd5e1",
            DrawerIcon = "#94a3b8",
            TextPrimary = "#e5e9f2",
            TextSecondary = "#94a3b8",
            Divider = "#1f2a44",
            LinesDefault = "#1f2a44",
            TableLines = "#1f2a44",
        },
        Typography = new Typography
        {
            Default = new DefaultTypography { FontFamily = Font },
            H1 = new H1Typography { FontFamily = Font },
            H2 = new H2Typography { FontFamily = Font },
            H3 = new H3Typography { FontFamily = Font },
            H4 = new H4Typography { FontFamily = Font, FontWeight = "700" },
            H5 = new H5Typography { FontFamily = Font, FontWeight = "700" },
            H6 = new H6Typography { FontFamily = Font, FontWeight = "650" },
            Subtitle1 = new Subtitle1Typography { FontFamily = Font },
            Subtitle2 = new Subtitle2Typography { FontFamily = Font, FontWeight = "600" },
            Body1 = new Body1Typography { FontFamily = Font },
            Body2 = new Body2Typography { FontFamily = Font },
            Button = new ButtonTypography { FontFamily = Font, FontWeight = "600", TextTransform = "none" },
            Caption = new CaptionTypography { FontFamily = Font },
            Overline = new OverlineTypography { FontFamily = Font, FontWeight = "600" },
        },
        LayoutProperties = new LayoutProperties
        {
            DefaultBorderRadius = "10px",
            DrawerWidthLeft = "248px",
            AppbarHeight = "60px",
        },
    };
}
