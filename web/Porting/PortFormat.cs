using System.Globalization;
using System.IO.Compression;
using System.Text;
using System.Text.Json;
using nietras.SeparatedValues;

namespace OkrGrid.Web.Porting;

/// <summary>
/// One kind of row of a cycle export: its CSV file (e.g. "key-results.csv"), its key in the JSON document
/// ("keyResults"), its columns (snake_case in CSV, camelCase in JSON) and those a row cannot do without.
/// </summary>
public sealed record PortTable(string Name, ImmutableArray<string> Columns, ImmutableArray<string> Required, bool Single = false)
{
    public string FileName => $"{Name}.csv";
    public string JsonKey => PortNames.CamelOf(Name);
    public static string JsonColumn(string column) => PortNames.CamelOf(column);
}

/// <summary>The format of a cycle export: the same tables as JSON (one document) and as CSV (one file each, zipped).</summary>
public static class PortTables
{
    /// <summary>The JSON document's "format": a reader refuses any other.</summary>
    public const string Format = "okrgrid.cycle/1";

    public static readonly PortTable Cycle = new("cycle",
        ["id", "name", "start", "end", "closed", "on_track_margin", "at_risk_margin", "stretch_met"], ["name", "start", "end"], Single: true);
    public static readonly PortTable Teams = new("teams", ["id", "name", "parent_team_id"], ["id", "name"]);
    public static readonly PortTable People = new("people", ["id", "name", "team_id"], ["id", "name", "team_id"]);
    public static readonly PortTable Kpis = new("kpis",
        ["id", "name", "unit", "direction", "green", "yellow", "baseline", "owner_kind", "owner_id"],
        ["id", "name", "direction", "green", "yellow", "baseline", "owner_kind"]);
    public static readonly PortTable Objectives = new("objectives",
        ["id", "path", "title", "description", "owner_kind", "owner_id", "roll_up"], ["title", "owner_kind"]);
    public static readonly PortTable KeyResults = new("key-results",
        ["id", "path", "title", "owner_kind", "owner_id", "kind", "start", "target", "unit", "kpi_id"],
        ["title", "owner_kind", "kind", "start", "target"]);
    public static readonly PortTable Alignment = new("alignment", ["parent", "child", "weight"], ["parent", "child"]);
    public static readonly PortTable CheckIns = new("check-ins",
        ["key_result", "client_id", "at", "value", "confidence", "note", "author", "author_id", "via"], ["key_result", "at", "value"]);
    public static readonly PortTable Measurements = new("measurements",
        ["kpi", "client_id", "at", "value", "note", "author", "author_id", "via"], ["kpi", "at", "value"]);

    public static readonly ImmutableArray<PortTable> All = [Cycle, Teams, People, Kpis, Objectives, KeyResults, Alignment, CheckIns, Measurements];
}

/// <summary>Where a refused value is: the file (or "json"), the row (CSV: as a spreadsheet numbers it, the header being 1) and the column.</summary>
public sealed record Refusal(string File, int? Row, string Column, string Reason)
{
    public override string ToString() => Row is { } r ? $"{File} row {r}, {Column}: {Reason}" : $"{File}, {Column}: {Reason}";
}

/// <summary>A row as read, each cell as text (numbers as written, invariant culture), with where it came from.</summary>
public sealed record RawRow(PortTable Table, string File, int Row, bool Json, IReadOnlyDictionary<string, string?> Cells)
{
    /// <summary>How a refusal names a column of this row: "title" in a CSV file, "objectives[3].title" in JSON.</summary>
    public string Column(string column) => Json
        ? Table.Single ? $"{Table.JsonKey}.{PortTable.JsonColumn(column)}" : $"{Table.JsonKey}[{Row}].{PortTable.JsonColumn(column)}"
        : column;

    public Refusal Refuse(string column, string reason) => new(File, Json ? null : Row, Column(column), reason);
}

/// <summary>Tables of rows read from a document or files, and what could not be read.</summary>
public sealed class RawDocument
{
    public Dictionary<PortTable, List<RawRow>> Rows { get; } = PortTables.All.ToDictionary(t => t, _ => new List<RawRow>());
    public List<Refusal> Refusals { get; } = [];
    public List<string> Sources { get; } = [];
    public IReadOnlyList<RawRow> this[PortTable table] => Rows[table];
}

/// <summary>A row to write: one value per column of its table (string, double, double?, DateTimeOffset, bool, an enum or null).</summary>
public sealed record OutRow(ImmutableArray<object?> Values);

/// <summary>Writes and reads the two forms. Numbers round-trip ("R", invariant culture), instants are ISO 8601 with offset.</summary>
public static class PortCodec
{
    public static string Text(object? value) => value switch
    {
        null => "",
        string s => s,
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        DateTimeOffset t => t.ToString("O", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        Enum e => JsonNames.Camel(e.ToString()),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) ?? "",
    };

    // ---- Writing ---------------------------------------------------------------------------------------------

    public static byte[] WriteJson(DateTimeOffset exportedAt, IReadOnlyDictionary<PortTable, List<OutRow>> tables)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", PortTables.Format);
            w.WriteString("exportedAt", Text(exportedAt));
            foreach (var table in PortTables.All)
            {
                var rows = tables.GetValueOrDefault(table) ?? [];
                if (table.Single)
                {
                    if (rows.Count == 0) continue;
                    w.WritePropertyName(table.JsonKey);
                    WriteRow(w, table, rows[0]);
                    continue;
                }
                w.WriteStartArray(table.JsonKey);
                foreach (var row in rows) WriteRow(w, table, row);
                w.WriteEndArray();
            }
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    private static void WriteRow(Utf8JsonWriter w, PortTable table, OutRow row)
    {
        w.WriteStartObject();
        for (int i = 0; i < table.Columns.Length; i++)
        {
            var name = PortTable.JsonColumn(table.Columns[i]);
            switch (row.Values[i])
            {
                case null: w.WriteNull(name); break;
                case double d: w.WriteNumber(name, d); break; // System.Text.Json writes the shortest text that round-trips
                case bool b: w.WriteBoolean(name, b); break;
                case var v: w.WriteString(name, Text(v)); break;
            }
        }
        w.WriteEndObject();
    }

    public static byte[] WriteCsv(PortTable table, IEnumerable<OutRow> rows)
    {
        var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var writer = Sep.New(',').Writer(o => o with { Escape = true, CultureInfo = CultureInfo.InvariantCulture }).To(text))
        {
            writer.Header.Add([.. table.Columns]);
            writer.Header.Write(); // also for a table without rows: the file still says its columns
            foreach (var row in rows)
            {
                using var r = writer.NewRow();
                for (int i = 0; i < table.Columns.Length; i++) r[table.Columns[i]].Set(Text(row.Values[i]));
            }
        }
        // With a byte order mark, so that spreadsheets read the file as UTF-8.
        return [.. Encoding.UTF8.GetPreamble(), .. Encoding.UTF8.GetBytes(text.ToString())];
    }

    public static byte[] WriteZip(IReadOnlyDictionary<PortTable, List<OutRow>> tables)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var table in PortTables.All)
            {
                var entry = zip.CreateEntry(table.FileName, CompressionLevel.Optimal);
                using var stream = entry.Open();
                stream.Write(WriteCsv(table, tables.GetValueOrDefault(table) ?? []));
            }
        return buffer.ToArray();
    }

    // ---- Reading ---------------------------------------------------------------------------------------------

    /// <summary>Reads one uploaded file into <paramref name="into"/>: a JSON document, a zip of CSV files, or one CSV file named as in an export.</summary>
    public static void Read(string fileName, byte[] content, RawDocument into)
    {
        var name = Path.GetFileName(fileName ?? "");
        into.Sources.Add(name);
        if (IsZip(content)) ReadZip(name, content, into);
        else if (name.EndsWith(".csv", StringComparison.OrdinalIgnoreCase)) ReadCsvFile(name, content, into);
        else if (name.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || LooksLikeJson(content)) ReadJson(name.Length == 0 ? "json" : name, content, into);
        else into.Refusals.Add(new Refusal(name, null, "file", $"is neither a JSON document, a zip of CSV files nor one of {string.Join(", ", PortTables.All.Select(t => t.FileName))}."));
    }

    private static bool IsZip(byte[] content) => content.Length >= 4 && content[0] == 'P' && content[1] == 'K' && content[2] == 3 && content[3] == 4;

    private static bool LooksLikeJson(byte[] content)
    {
        foreach (var b in content.AsSpan(content.AsSpan().StartsWith("\uFEFF"u8) ? 3 : 0))
            if (!char.IsWhiteSpace((char)b)) return b == '{';
        return false;
    }

    public static void ReadZip(string zipName, byte[] content, RawDocument into)
    {
        try
        {
            using var zip = new ZipArchive(new MemoryStream(content), ZipArchiveMode.Read);
            var seen = 0;
            foreach (var entry in zip.Entries)
            {
                if (entry.FullName.EndsWith('/')) continue; // a folder
                var name = Path.GetFileName(entry.FullName);
                if (name.StartsWith('.') || entry.FullName.StartsWith("__MACOSX/", StringComparison.Ordinal)) continue; // an archiver's own files
                if (entry.Length > MaxEntry) { into.Refusals.Add(new Refusal(name, null, "file", $"is larger than {MaxEntry / (1024 * 1024)} MiB.")); continue; }
                using var stream = entry.Open();
                using var copy = new MemoryStream();
                stream.CopyTo(copy);
                ReadCsvFile(name, copy.ToArray(), into);
                seen++;
            }
            if (seen == 0) into.Refusals.Add(new Refusal(zipName, null, "file", "holds no CSV files."));
        }
        catch (InvalidDataException e)
        {
            into.Refusals.Add(new Refusal(zipName, null, "file", $"is not a readable zip file ({e.Message})."));
        }
    }

    /// <summary>Most bytes one file of a zip may unpack to (a zip bomb is refused, not unpacked).</summary>
    private const long MaxEntry = 64 * 1024 * 1024;

    public static void ReadCsvFile(string fileName, byte[] content, RawDocument into)
    {
        var table = PortTables.All.FirstOrDefault(t => t.FileName.Equals(fileName, StringComparison.OrdinalIgnoreCase));
        if (table is null)
        {
            into.Refusals.Add(new Refusal(fileName, null, "file", $"is not a file of a cycle export (they are {string.Join(", ", PortTables.All.Select(t => t.FileName))})."));
            return;
        }
        try
        {
            using var text = new StreamReader(new MemoryStream(content), Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
            using var reader = Sep.New(',').Reader(o => o with { Unescape = true, DisableColCountCheck = true, HasHeader = true }).From(text);
            if (reader.Header.ColNames is not { Count: > 0 } header || header.All(string.IsNullOrWhiteSpace))
            {
                into.Refusals.Add(new Refusal(table.FileName, 1, "header", $"is missing: the first row names the columns ({string.Join(", ", table.Columns)})."));
                return;
            }
            var columns = header.Select(h => h.Trim().ToLowerInvariant()).ToArray();
            var bad = false;
            for (int i = 0; i < columns.Length; i++)
            {
                if (!table.Columns.Contains(columns[i]))
                {
                    into.Refusals.Add(new Refusal(table.FileName, 1, header[i], $"is not a column of {table.FileName} (its columns: {string.Join(", ", table.Columns)})."));
                    bad = true;
                }
                else if (Array.IndexOf(columns, columns[i]) != i)
                {
                    into.Refusals.Add(new Refusal(table.FileName, 1, header[i], "appears twice."));
                    bad = true;
                }
            }
            foreach (var required in table.Required.Where(r => !columns.Contains(r)))
            {
                into.Refusals.Add(new Refusal(table.FileName, 1, required, "the column is missing."));
                bad = true;
            }
            if (table == PortTables.Objectives || table == PortTables.KeyResults)
                if (!columns.Contains("id") && !columns.Contains("path"))
                {
                    into.Refusals.Add(new Refusal(table.FileName, 1, "id", "the column is missing: each row needs an id or a title path (column path)."));
                    bad = true;
                }
            if (bad) return;
            var number = 1; // the header is row 1, as a spreadsheet numbers it
            foreach (var row in reader)
            {
                number++;
                if (row.ColCount > columns.Length)
                {
                    into.Refusals.Add(new Refusal(table.FileName, number, columns[^1], $"the row has {row.ColCount} cells but the header names {columns.Length} columns (a comma in a value must be inside quotes)."));
                    continue;
                }
                var cells = new Dictionary<string, string?>();
                for (int i = 0; i < columns.Length; i++)
                {
                    var value = i < row.ColCount ? row[i].ToString() : null;
                    cells[columns[i]] = string.IsNullOrEmpty(value) ? null : value;
                }
                if (cells.Values.All(v => v is null)) continue; // a blank line a spreadsheet left
                into.Rows[table].Add(new RawRow(table, table.FileName, number, false, cells));
            }
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or NotSupportedException)
        {
            into.Refusals.Add(new Refusal(table.FileName, null, "file", $"cannot be read as CSV: {e.Message}"));
        }
    }

    public static void ReadJson(string fileName, byte[] content, RawDocument into)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(content, new JsonDocumentOptions { MaxDepth = 16 }); }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $" (line {line + 1}, position {e.BytePositionInLine + 1})" : "";
            into.Refusals.Add(new Refusal(fileName, null, "body", $"is not valid JSON{where}."));
            return;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) { into.Refusals.Add(new Refusal(fileName, null, "body", "must be a JSON object.")); return; }
            if (!root.TryGetProperty("format", out var format) || format.ValueKind != JsonValueKind.String)
            {
                into.Refusals.Add(new Refusal(fileName, null, "format", $"is missing: a cycle export says \"format\": \"{PortTables.Format}\"."));
                return;
            }
            if (format.GetString() != PortTables.Format)
            {
                into.Refusals.Add(new Refusal(fileName, null, "format", $"'{format.GetString()}' is not a format this version reads (it reads '{PortTables.Format}')."));
                return;
            }
            foreach (var property in root.EnumerateObject())
            {
                if (property.Name is "format" or "exportedAt") continue;
                var table = PortTables.All.FirstOrDefault(t => t.JsonKey == property.Name);
                if (table is null)
                {
                    into.Refusals.Add(new Refusal(fileName, null, property.Name, $"is not a part of a cycle export (its parts: {string.Join(", ", PortTables.All.Select(t => t.JsonKey))})."));
                    continue;
                }
                if (table.Single)
                {
                    if (property.Value.ValueKind == JsonValueKind.Null) continue;
                    ReadJsonRow(fileName, table, 0, property.Value, into);
                    continue;
                }
                if (property.Value.ValueKind != JsonValueKind.Array)
                {
                    into.Refusals.Add(new Refusal(fileName, null, property.Name, "must be a JSON array."));
                    continue;
                }
                var index = 0;
                foreach (var item in property.Value.EnumerateArray()) ReadJsonRow(fileName, table, index++, item, into);
            }
        }
    }

    private static void ReadJsonRow(string fileName, PortTable table, int index, JsonElement item, RawDocument into)
    {
        var row = new RawRow(table, fileName, index, true, new Dictionary<string, string?>());
        if (item.ValueKind != JsonValueKind.Object)
        {
            into.Refusals.Add(new Refusal(fileName, null, table.Single ? table.JsonKey : $"{table.JsonKey}[{index}]", "must be a JSON object."));
            return;
        }
        var cells = (Dictionary<string, string?>)row.Cells;
        var ok = true;
        foreach (var property in item.EnumerateObject())
        {
            var column = table.Columns.FirstOrDefault(c => PortTable.JsonColumn(c) == property.Name);
            if (column is null)
            {
                into.Refusals.Add(new Refusal(fileName, null, $"{(table.Single ? table.JsonKey : $"{table.JsonKey}[{index}]")}.{property.Name}",
                    $"is not a field of {table.JsonKey} (its fields: {string.Join(", ", table.Columns.Select(PortTable.JsonColumn))})."));
                ok = false;
                continue;
            }
            var value = property.Value;
            switch (value.ValueKind)
            {
                case JsonValueKind.Null: cells[column] = null; break;
                case JsonValueKind.String: cells[column] = value.GetString() is { Length: > 0 } s ? s : null; break;
                case JsonValueKind.Number: cells[column] = value.GetRawText(); break;
                case JsonValueKind.True: cells[column] = "true"; break;
                case JsonValueKind.False: cells[column] = "false"; break;
                default:
                    into.Refusals.Add(row.Refuse(column, "must be a string, a number, true/false or null."));
                    ok = false;
                    break;
            }
        }
        if (ok) into.Rows[table].Add(row);
    }
}

/// <summary>The JSON names of the export's tables and columns.</summary>
internal static class PortNames
{
    /// <summary>"key-results" → "keyResults", "owner_kind" → "ownerKind".</summary>
    public static string CamelOf(string name)
    {
        var parts = name.Split('-', '_');
        return parts[0] + string.Concat(parts[1..].Select(p => p.Length == 0 ? p : char.ToUpperInvariant(p[0]) + p[1..]));
    }
}
