using OkrGrid.Access;

namespace OkrGrid.Engine;

/// <summary>
/// <see cref="Permissions"/> as grains apply them: a refusal is an <see cref="OkrRejectedException"/> of kind
/// Forbidden naming the field and saying who may not do what. A null actor is the engine itself (seeding, the
/// operator's imports, tests of the engine), which may do anything; every request from outside carries an actor.
/// </summary>
internal static class AccessChecks
{
    /// <summary>Throws unless the actor may change a node (or KPI) with this owner.</summary>
    public static async Task EnsureMayChangeAsync(IGrainFactory grains, string companyId, Actor? actor, Owner owner, string field, string what)
    {
        if (actor is null) return;
        var teamOf = await TeamOfAsync(grains, companyId, actor, owner);
        if (!Permissions.MayChange(actor, owner, _ => teamOf))
            throw Refusal(actor, field, $"may not change {what} owned by {Permissions.Describe(owner)}");
    }

    /// <summary>Throws unless the actor may check in on a key result (or measure a KPI) with this owner.</summary>
    public static async Task EnsureMayCheckInAsync(IGrainFactory grains, string companyId, Actor? actor, Owner owner, string field, string what)
    {
        if (actor is null) return;
        var teamOf = await TeamOfAsync(grains, companyId, actor, owner);
        if (!Permissions.MayCheckIn(actor, owner, _ => teamOf))
            throw Refusal(actor, field, $"may not record progress on {what} owned by {Permissions.Describe(owner)}");
    }

    public static void EnsureMayAdminister(Actor? actor, string field, string what)
    {
        if (actor is null || Permissions.MayAdminister(actor)) return;
        throw Refusal(actor, field, $"may not {what}: that takes an admin");
    }

    public static OkrRejectedException Refusal(Actor actor, string field, string what) =>
        OkrRejectedException.Forbidden(field, $"{actor.Name} ({RoleName(actor)}) {what}.");

    private static string RoleName(Actor actor)
    {
        var role = actor.Role == Role.Lead ? "team lead" : actor.Role.ToString().ToLowerInvariant();
        return actor.Scope < Permissions.MaxScope(actor.Role) ? $"{role}, token scope {actor.Scope.ToString().ToLowerInvariant()}" : role;
    }

    /// <summary>
    /// A person's team is needed only when a lead touches another person's node; the organisation grain answers
    /// that (an interleaving read), so the common cases — admins, one's own, a team's — cost no extra call.
    /// </summary>
    private static async Task<string?> TeamOfAsync(IGrainFactory grains, string companyId, Actor actor, Owner owner) =>
        actor.Role == Role.Lead && owner.Kind == OwnerKind.Person && owner.Id != actor.PersonId && companyId.Length > 0
            ? await grains.GetGrain<IOrganisationGrain>(companyId).GetTeamOfAsync(owner.Id)
            : null;
}

/// <summary>Idempotency keys: a retry carries the same content; the same key with other content is refused.</summary>
internal static class Idempotent
{
    /// <summary>Throws (Mismatch, 422) unless the new request says what the earlier one said. A time left out (default) matches any.</summary>
    public static void EnsureSame(string clientId, (double Value, double? Confidence, string Note, DateTimeOffset At) earlier,
        (double Value, double? Confidence, string Note, DateTimeOffset At) now)
    {
        var differs = new List<string>();
        if (earlier.Value != now.Value) differs.Add($"value {earlier.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (earlier.Confidence != now.Confidence) differs.Add("confidence");
        if (earlier.Note != (now.Note ?? "")) differs.Add("note");
        if (now.At != default && Check.Instant(now.At) != earlier.At) differs.Add($"at {earlier.At:O}");
        if (differs.Count > 0)
            throw OkrRejectedException.Mismatch("clientId",
                $"'{clientId}' was already used for a different request ({string.Join(", ", differs)} differ); a retry must repeat it exactly, a new one needs a new key.");
    }
}
