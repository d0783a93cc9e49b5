namespace OkrGrid.Web.Apis;

/// <summary>
/// An owner as a client sends it, e.g. <c>{"kind": "team", "id": "growth"}</c>. For the company the id may be left
/// out: this host serves one company.
/// </summary>
public sealed record OwnerRequest(OwnerKind? Kind, string? Id)
{
    public Owner ToOwner(string field)
    {
        var kind = Require.Value(Kind, $"{field}.kind");
        if (kind == OwnerKind.Company) return Owner.Company(Id ?? Company.Id);
        return new Owner(kind, Require.Object(Id, $"{field}.id"));
    }
}

/// <summary>An alignment to a parent objective; the weight is 1 when left out.</summary>
public sealed record ParentLinkRequest(string? ParentId, double? Weight = null);

/// <summary>A weight of a child in its parent objective.</summary>
public sealed record WeightRequest(double? Weight);

/// <summary>
/// Fields a request must carry. A missing one is refused with 400 naming it (through <see cref="OkrProblems"/>),
/// never silently defaulted: request records have nullable fields so that "left out" can be told from "zero".
/// </summary>
public static class Require
{
    public static T Value<T>(T? value, string field) where T : struct =>
        value ?? throw OkrRejectedException.Invalid(field, "is required.");

    public static T Object<T>(T? value, string field) where T : class =>
        value ?? throw OkrRejectedException.Invalid(field, "is required.");

    /// <summary>Parent links in order; a null entry or a missing parent id is refused naming its index.</summary>
    public static ImmutableArray<ParentLink> Parents(IReadOnlyList<ParentLinkRequest?> parents, string field = "parents")
    {
        var links = ImmutableArray.CreateBuilder<ParentLink>(parents.Count);
        for (int i = 0; i < parents.Count; i++)
        {
            var p = parents[i] ?? throw OkrRejectedException.Invalid($"{field}[{i}]", "must not be null.");
            links.Add(new ParentLink(Object(p.ParentId, $"{field}[{i}].parentId"), p.Weight ?? 1.0));
        }
        return links.MoveToImmutable();
    }

    /// <summary>A query value of an enum, by name (any case); anything else is refused naming the parameter.</summary>
    public static T? EnumQuery<T>(string? value, string field) where T : struct, Enum
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        // Names only: Enum.TryParse would also take "7".
        if (Enum.GetNames<T>().FirstOrDefault(n => n.Equals(value.Trim(), StringComparison.OrdinalIgnoreCase)) is { } name)
            return Enum.Parse<T>(name);
        throw OkrRejectedException.Invalid(field, $"'{value}' is not one of {string.Join(", ", Enum.GetNames<T>().Select(JsonNames.Camel))}.");
    }

    /// <summary>
    /// An instant from the query ("at"): ISO 8601 with a time zone (2026-10-01T09:00:00Z) or a date (midnight UTC);
    /// absent → null. Anything else is refused naming the field.
    /// </summary>
    public static DateTimeOffset? InstantQuery(string? value, string field)
    {
        if (string.IsNullOrWhiteSpace(value)) return null;
        var text = value.Trim();
        // .NET's parser ignores a trailing NUL and some other odd characters: only printable ASCII is read at all (control characters, non-ASCII digits: refused).
        if (text.Length <= 40 && text.All(c => c is >= ' ' and < '\x7f') && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture,
                System.Globalization.DateTimeStyles.AssumeUniversal | System.Globalization.DateTimeStyles.AdjustToUniversal, out var at)
            && (text.Contains('-') && char.IsAsciiDigit(text[0])))
            return at;
        throw OkrRejectedException.Invalid(field, $"'{(text.Length > 40 ? text[..40] + "…" : text)}' is not an instant; give ISO 8601 such as 2026-10-01T09:00:00Z or 2026-10-01.");
    }
}

/// <summary>Names as they appear in JSON (camelCase), for messages.</summary>
public static class JsonNames
{
    public static string Camel(string name) => System.Text.Json.JsonNamingPolicy.CamelCase.ConvertName(name);
}

/// <summary>The cycle grain a node belongs to, from the node's id ("{cycleId}:{local}").</summary>
public static class NodeCycles
{
    /// <summary>
    /// Runs a structural command on the node's cycle. A malformed id, or one whose cycle does not exist, is "not
    /// found" for the node's own field rather than for a cycle the client never named.
    /// </summary>
    public static async Task<T> InCycleOfAsync<T>(this IGrainFactory grains, string field, string nodeId, Func<ICycleGrain, Task<T>> command)
    {
        var cycleId = NodeIds.CycleOf(nodeId) ?? throw OkrRejectedException.NotFound(field, nodeId);
        try
        {
            return await command(grains.GetGrain<ICycleGrain>(cycleId));
        }
        catch (OkrRejectedException e) when (e.Kind == RejectionKind.NotFound && e.Field == "cycleId")
        {
            throw OkrRejectedException.NotFound(field, nodeId);
        }
    }

    public static Task InCycleOfAsync(this IGrainFactory grains, string field, string nodeId, Func<ICycleGrain, Task> command) =>
        grains.InCycleOfAsync(field, nodeId, async cycle => { await command(cycle); return true; });

    /// <summary>The given cycle, else the current one (the open cycle containing now, see <see cref="Cycles.Current"/>).</summary>
    public static async Task<string> CycleOrCurrentAsync(this IGrainFactory grains, TimeProvider clock, string? cycleId)
    {
        if (!string.IsNullOrWhiteSpace(cycleId)) return cycleId;
        var organisation = await grains.GetGrain<IOrganisationGrain>(Company.Id).GetAsync();
        return Cycles.Current(organisation.Cycles, clock.GetUtcNow())?.Id
            ?? throw new OkrRejectedException(RejectionKind.NotFound, "cycleId", "there is no cycle yet; create one first.");
    }
}
