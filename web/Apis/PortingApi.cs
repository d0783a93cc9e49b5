using Microsoft.AspNetCore.Http.Features;
using OkrGrid.Web.Porting;

namespace OkrGrid.Web.Apis;

/// <summary>
/// A cycle's export (JSON document or zip of CSV files) and import (upsert, with a dry run that returns the diff).
/// See <see cref="CycleTransfer"/> and README "Import and export".
/// </summary>
public static class PortingApi
{
    /// <summary>The largest import accepted (the rest of the API takes at most <see cref="ApiServices.MaxRequestBody"/>).</summary>
    public const long MaxImportBody = 32L * 1024 * 1024;

    public static RouteGroupBuilder MapPortingApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/cycles").WithTags("Import and export").WithOkrProblems();
        api.MapGet("/{cycleId}/export", ExportAsync).WithName("ExportCycle");
        api.MapPost("/{cycleId}/import", ImportAsync).WithName("ImportCycle").RequireAuthorization(Policies.Admin)
            .Accepts<object>("application/json", "application/zip", "multipart/form-data");
        return api;
    }

    /// <summary>
    /// The cycle with its company's teams, people and KPIs: <c>format=json</c> (default) one document whose "format" is
    /// okrgrid.cycle/1; <c>format=csv</c> a zip of cycle.csv, teams.csv, people.csv, kpis.csv, objectives.csv,
    /// key-results.csv, alignment.csv, check-ins.csv and measurements.csv.
    /// </summary>
    public static async Task<FileContentHttpResult> ExportAsync(string cycleId, string? format, CycleTransfer transfer)
    {
        var file = await transfer.ExportAsync(cycleId, format);
        return TypedResults.File(file.Content, file.ContentType, file.FileName);
    }

    /// <summary>
    /// Imports into the cycle (created from the file's cycle part when it does not exist): a JSON document
    /// (application/json), a zip of CSV files (application/zip) or files in a multipart form. With <c>dryRun=true</c>
    /// nothing changes and the answer is what would: creates, updates (field: old → new), moves, check-ins and
    /// measurements added, and refusals (file, row, column, reason). Without it the import is applied whole, or — with
    /// any refusal — not at all: 400 with every refusal in the problem's "refusals".
    /// </summary>
    public static async Task<Results<Ok<ImportReport>, ProblemHttpResult>> ImportAsync(string cycleId, bool? dryRun, HttpContext context,
        CycleTransfer transfer, ApiCaller caller)
    {
        Check.Slug("cycleId", cycleId);
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit) limit.MaxRequestBodySize = MaxImportBody;
        var files = await ReadFilesAsync(context.Request);
        var report = await transfer.ImportAsync(cycleId, files, dryRun ?? false, caller.Actor);
        if (!report.Refusals.IsEmpty && !report.DryRun) return Refused(report);
        return TypedResults.Ok(report);
    }

    private static async Task<List<ImportFile>> ReadFilesAsync(HttpRequest request)
    {
        var type = request.ContentType ?? "";
        if (request.HasFormContentType)
        {
            var form = await request.ReadFormAsync();
            var files = new List<ImportFile>();
            foreach (var file in form.Files)
            {
                using var buffer = new MemoryStream();
                await file.CopyToAsync(buffer);
                files.Add(new ImportFile(file.FileName, buffer.ToArray()));
            }
            return files;
        }
        string name;
        if (type.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)) name = "import.json";
        else if (type.StartsWith("application/zip", StringComparison.OrdinalIgnoreCase) || type.StartsWith("application/x-zip", StringComparison.OrdinalIgnoreCase)
                 || type.StartsWith("application/octet-stream", StringComparison.OrdinalIgnoreCase)) name = "import.zip";
        else throw new OkrRejectedException(RejectionKind.Invalid, "Content-Type",
            $"must be application/json, application/zip or multipart/form-data (got '{(type.Length == 0 ? "none" : type)}').");
        using var body = new MemoryStream();
        await request.Body.CopyToAsync(body);
        return body.Length == 0 ? [] : [new ImportFile(name, body.ToArray())];
    }

    /// <summary>400, naming the first refusal in field/reason, and listing all of them ("refusals", and "errors" keyed "file row n, column").</summary>
    private static ProblemHttpResult Refused(ImportReport report)
    {
        var first = report.Refusals[0];
        var errors = report.Refusals.GroupBy(r => r.Row is { } row ? $"{r.File} row {row}, {r.Column}" : $"{r.File}, {r.Column}")
            .ToDictionary(g => g.Key, g => g.Select(r => r.Reason).ToArray());
        return TypedResults.Problem(
            statusCode: StatusCodes.Status400BadRequest,
            title: "Import refused",
            detail: $"{report.Refusals.Length} problem(s) in the files; nothing was changed. First: {first}",
            extensions: new Dictionary<string, object?>
            {
                ["field"] = first.Column,
                ["reason"] = first.Reason,
                ["file"] = first.File,
                ["row"] = first.Row,
                ["refusals"] = report.Refusals,
                ["errors"] = errors,
            });
    }
}
