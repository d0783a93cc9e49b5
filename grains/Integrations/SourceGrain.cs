using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using OkrGrid.Access;
using OkrGrid.Sources;

namespace OkrGrid.Engine.Integrations;

/// <summary>
/// A data source (see <see cref="ISourceGrain"/>). Its row of <c>okr_sources</c> is read when it activates; each change
/// is written with its audit entry before it is answered. A pull source polls on a grain timer that keeps it active;
/// every silo's <see cref="SourceKeepAlive"/> re-activates it after a restart or a silo's loss. A push is checked
/// against the token's hash in constant time, then rate limited. Values reach the key result or KPI as check-ins by
/// the source ("source:{id}", via "source:{kind}"), through the engine's one path: journaled, idempotent, cascaded.
/// </summary>
public sealed class SourceGrain(SourceStore store, SourceFetcher fetcher, IOptions<SourceOptions> options, TimeProvider time, ILogger<SourceGrain> logger)
    : Grain, ISourceGrain
{
    private const string TokenPrefix = "okri_";

    private SourceRow? _row;
    private IGrainTimer? _poll;
    private DateTimeOffset? _nextPollAt;
    private double _pushAllowance = -1;
    private DateTimeOffset _allowanceAt;
    /// <summary>A push's status waits this long to be written with the pushes after it (the journal has each value already).</summary>
    private static readonly TimeSpan PushStatusDelay = TimeSpan.FromSeconds(2);
    private bool _pushStatusDirty;
    private IGrainTimer? _pushStatusSave;

    private string Id => this.GetPrimaryKeyString();
    private SourceOptions Options => options.Value;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        if (SourceRules.IsId(Id)) _row = await store.ReadAsync(Id);
        Arm();
    }

    public override async Task OnDeactivateAsync(DeactivationReason reason, CancellationToken cancellationToken)
    {
        if (_pushStatusDirty) await SavePushStatusAsync();
        _poll?.Dispose();
        _pushStatusSave?.Dispose();
        await base.OnDeactivateAsync(reason, cancellationToken);
    }

    // ---- Managing ----------------------------------------------------------------------------------------------

    async Task<SourceCreated> ISourceGrain.CreateAsync(SourceDraft draft, Actor? actor)
    {
        if (!SourceRules.IsId(Id)) throw OkrRejectedException.Invalid("id", "must be 'src_' and 20 lower-case letters or digits.");
        if (_row is not null) throw OkrRejectedException.Conflict("id", $"source '{Id}' exists.");
        var (owner, companyId) = await OwnerAsync(draft.NodeKind, draft.NodeId, draft.CompanyId, forCreate: true);
        await EnsureMayManageAsync(actor, owner, companyId, draft.Kind, draft.NodeKind);
        var now = time.GetUtcNow();
        var row = Validated(new SourceRow(Id, draft.NodeId, draft.NodeKind, companyId, draft.Name, draft.Kind, draft.IntervalSeconds,
            draft.Url, draft.JsonPath, draft.AuthHeaderName, draft.AuthHeaderValue, draft.ConnectionString, draft.Query,
            null, now, actor?.Id ?? Actor.System.Id, now, SourceStatus.None, null), creating: true);
        await CheckResolvedAsync(row);
        string? token = null;
        if (row.Kind == SourceKind.Push) (token, row) = WithNewToken(row);
        if (!await store.InsertAsync(row, new SourceAudit(actor, SourceAuditActions.Created, row.NodeId, null, AuditOf(row))))
            throw OkrRejectedException.Conflict("id", $"source '{Id}' exists.");
        _row = row;
        Arm();
        logger.SourceCreated(Id, row.Kind, row.NodeId, actor?.Id ?? "system");
        return new SourceCreated(View(row, canManage: true), token);
    }

    async Task<SourceView> ISourceGrain.GetAsync(Actor? actor)
    {
        var row = Row();
        return View(row, await MayManageAsync(actor, row));
    }

    async Task<SourceView> ISourceGrain.EditAsync(SourceEdit edit, Actor? actor)
    {
        var row = await ManagedRowAsync(actor);
        var removeHeader = edit.RemoveAuthHeader && edit.AuthHeaderValue is null;
        var edited = Validated(row with
        {
            Name = edit.Name ?? row.Name,
            IntervalSeconds = edit.IntervalSeconds ?? row.IntervalSeconds,
            Url = edit.Url ?? row.Url,
            JsonPath = edit.JsonPath ?? row.JsonPath,
            AuthHeaderName = removeHeader ? null : edit.AuthHeaderName ?? row.AuthHeaderName,
            AuthHeaderValue = removeHeader ? null : edit.AuthHeaderValue ?? row.AuthHeaderValue,
            ConnectionString = edit.ConnectionString ?? row.ConnectionString,
            Query = edit.Query ?? row.Query,
            UpdatedAt = time.GetUtcNow(),
        }, creating: false);
        if (edit.ConnectionString is not null) await CheckResolvedAsync(edited);
        await store.UpdateSettingsAsync(edited, new SourceAudit(actor, SourceAuditActions.Edited, row.NodeId, AuditOf(row), AuditOf(edited)));
        _row = edited;
        // Where it reads from or how often changed: poll on the new settings now rather than at the old schedule.
        if (edited.Kind != SourceKind.Push) Arm(pollNow: true);
        return View(edited, canManage: true);
    }

    async Task<SourceCreated> ISourceGrain.RotateTokenAsync(Actor? actor)
    {
        var row = await ManagedRowAsync(actor);
        if (row.Kind != SourceKind.Push) throw OkrRejectedException.Conflict("kind", $"a {SourceRules.Name(row.Kind)} source has no ingest token.");
        var (token, rotated) = WithNewToken(row with { UpdatedAt = time.GetUtcNow() });
        await store.UpdateSettingsAsync(rotated, new SourceAudit(actor, SourceAuditActions.TokenRotated, row.NodeId, AuditOf(row), AuditOf(rotated)));
        _row = rotated;
        return new SourceCreated(View(rotated, canManage: true), token);
    }

    async Task<SourceView> ISourceGrain.RevokeTokenAsync(Actor? actor)
    {
        var row = await ManagedRowAsync(actor);
        if (row.Kind != SourceKind.Push) throw OkrRejectedException.Conflict("kind", $"a {SourceRules.Name(row.Kind)} source has no ingest token.");
        if (row.TokenHash is null) return View(row, canManage: true);
        var revoked = row with { TokenHash = null, UpdatedAt = time.GetUtcNow() };
        await store.UpdateSettingsAsync(revoked, new SourceAudit(actor, SourceAuditActions.TokenRevoked, row.NodeId, AuditOf(row), AuditOf(revoked)));
        _row = revoked;
        return View(revoked, canManage: true);
    }

    async Task ISourceGrain.DeleteAsync(Actor? actor)
    {
        var row = await ManagedRowAsync(actor);
        await store.DeleteAsync(Id, time.GetUtcNow(), new SourceAudit(actor, SourceAuditActions.Deleted, row.NodeId, AuditOf(row), null));
        _row = null;
        _pushStatusDirty = false;
        Arm();
        DeactivateOnIdle();
    }

    async Task<SourceFetch> ISourceGrain.TestAsync(Actor? actor)
    {
        var row = await ManagedRowAsync(actor);
        if (row.Kind == SourceKind.Push)
            throw OkrRejectedException.Conflict("kind", "a push source has nothing to fetch: POST a value to its ingest URL.");
        return await fetcher.FetchAsync(row, time.GetUtcNow());
    }

    async Task<SourceView> ISourceGrain.SyncAsync(Actor? actor)
    {
        var row = await ManagedRowAsync(actor);
        if (row.Kind == SourceKind.Push)
            throw OkrRejectedException.Conflict("kind", "a push source has nothing to fetch: POST a value to its ingest URL.");
        await PollOnceAsync();
        Arm(); // the schedule starts again from this pull
        return View(_row ?? row, canManage: true);
    }

    Task ISourceGrain.KeepAliveAsync()
    {
        if (_row is null) DeactivateOnIdle();
        return Task.CompletedTask;
    }

    // ---- Pulling ------------------------------------------------------------------------------------------------

    /// <summary>(Re-)arms the poll timer of a pull source: due when the last attempt's interval ends (at once when it never ran).</summary>
    private void Arm(bool pollNow = false)
    {
        _poll?.Dispose();
        _poll = null;
        _nextPollAt = null;
        if (_row is not { Kind: SourceKind.Http or SourceKind.Sql } row) return;
        var interval = IntervalOf(row);
        var now = time.GetUtcNow();
        var due = pollNow || row.Status.LastAttemptAt is not { } last ? TimeSpan.Zero
            : TimeSpan.FromTicks(Math.Clamp((last + interval - now).Ticks, 0, interval.Ticks));
        _nextPollAt = now + due;
        // KeepAlive: a polling source stays active between its pulls (idle collection would stop its schedule).
        _poll = this.RegisterGrainTimer(PollAsync, new GrainTimerCreationOptions(due, interval) { KeepAlive = true });
    }

    private TimeSpan IntervalOf(SourceRow row) =>
        TimeSpan.FromSeconds(Math.Max(row.IntervalSeconds ?? (int)Options.DefaultInterval.TotalSeconds, Options.MinimumInterval.TotalSeconds));

    private async Task PollAsync(CancellationToken ct)
    {
        if (_row is not { Kind: SourceKind.Http or SourceKind.Sql }) return;
        await PollOnceAsync();
        if (_row is { } row) _nextPollAt = time.GetUtcNow() + IntervalOf(row);
    }

    /// <summary>
    /// One pull: the number is written as a check-in when it differs from the last one this source wrote (a value that
    /// stays the same makes no new check-in, but counts as a success); a failure writes no check-in, only the status —
    /// and an audit entry when the source starts or stops failing.
    /// </summary>
    private async Task PollOnceAsync()
    {
        var row = _row!;
        var at = time.GetUtcNow();
        var fetch = await fetcher.FetchAsync(row, at);
        var error = fetch.Error;
        var written = row.LastWrittenValue;
        if (fetch.Ok && fetch.Value is { } value && written != value)
        {
            try
            {
                await DeliverAsync(row, $"src:{Id}:{at.UtcTicks}", value, at, "");
                written = value;
            }
            catch (OkrRejectedException e)
            {
                error = $"the {(row.NodeKind == SourceNodeKind.Kpi ? "KPI" : "key result")} refused the value {Fmt(value)}: {e.Reason}";
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                error = $"the value {Fmt(value)} could not be recorded ({e.GetType().Name}); it is tried again at the next pull";
                logger.SourceValueNotRecorded(e, Id);
            }
        }
        if (_row is null) return; // deleted meanwhile
        var before = row.Status;
        var status = error is null
            ? before with { LastValue = fetch.Value, LastValueAt = at, LastAttemptAt = at, LastSuccessAt = at, FailingSince = null, LastError = null, ConsecutiveFailures = 0 }
            : before with { LastAttemptAt = at, FailingSince = before.FailingSince ?? at, LastError = error, ConsecutiveFailures = before.ConsecutiveFailures + 1 };
        SourceAudit? audit = null;
        if (error is not null && before.FailingSince is null)
            audit = new SourceAudit(SourceActor(row), SourceAuditActions.Failing, row.NodeId, null, new { error, failingSince = at });
        else if (error is null && before.FailingSince is not null)
            audit = new SourceAudit(SourceActor(row), SourceAuditActions.Recovered, row.NodeId, new { failingSince = before.FailingSince, before.ConsecutiveFailures }, new { value = fetch.Value });
        if (error is not null)
            logger.SourceFailed(Id, status.ConsecutiveFailures, error);
        _row = _row with { Status = status, LastWrittenValue = written };
        try { await store.SaveStatusAsync(Id, status, written, at, audit); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // The status in memory is right; the row catches up with the next pull.
            logger.SourceStatusNotWritten(e, Id);
        }
    }

    // ---- Pushing ------------------------------------------------------------------------------------------------

    async Task<PushResult> ISourceGrain.PushAsync(SourcePush push)
    {
        if (_row is not { Kind: SourceKind.Push, TokenHash: { } hash } row)
        {
            if (_row is null) DeactivateOnIdle();
            return new PushResult(PushOutcome.Unauthorized);
        }
        if (!CryptographicOperations.FixedTimeEquals(Hash(push.Token), hash)) return new PushResult(PushOutcome.Unauthorized);
        var now = time.GetUtcNow();
        if (!TakePushAllowance(now, out var retryAfter)) return new PushResult(PushOutcome.RateLimited, RetryAfter: retryAfter);

        var clientId = push.EntryId is { } entry ? $"src:{Id}:{entry}" : $"src:{Id}:{Guid.NewGuid():N}";
        var applied = await DeliverAsync(row, clientId, push.Value, push.At ?? default, push.Note);
        var at = push.At ?? now;
        if (applied && _row is { } current)
        {
            _row = current with { Status = current.Status with { LastValue = push.Value, LastValueAt = at, LastAttemptAt = now, LastSuccessAt = now } };
            _pushStatusDirty = true;
            _pushStatusSave ??= this.RegisterGrainTimer(SavePushStatusAsync, new GrainTimerCreationOptions(PushStatusDelay, Timeout.InfiniteTimeSpan));
        }
        return new PushResult(applied ? PushOutcome.Applied : PushOutcome.Replayed, row.NodeId, push.Value, at);
    }

    private async Task SavePushStatusAsync()
    {
        _pushStatusSave?.Dispose();
        _pushStatusSave = null;
        if (!_pushStatusDirty || _row is not { } row) return;
        _pushStatusDirty = false;
        try { await store.SaveStatusAsync(Id, row.Status, row.LastWrittenValue, time.GetUtcNow(), null); }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            _pushStatusDirty = true;
            logger.SourceStatusNotWritten(e, Id);
        }
    }

    /// <summary>A token bucket: <see cref="SourceOptions.PushBurst"/> at once, <see cref="SourceOptions.PushesPerSecond"/> sustained.</summary>
    private bool TakePushAllowance(DateTimeOffset now, out TimeSpan retryAfter)
    {
        var rate = Math.Max(0.001, Options.PushesPerSecond);
        var burst = Math.Max(1, Options.PushBurst);
        _pushAllowance = _pushAllowance < 0 ? burst : Math.Min(burst, _pushAllowance + (now - _allowanceAt).TotalSeconds * rate);
        _allowanceAt = now;
        if (_pushAllowance >= 1)
        {
            _pushAllowance -= 1;
            retryAfter = TimeSpan.Zero;
            return true;
        }
        retryAfter = TimeSpan.FromSeconds(Math.Ceiling((1 - _pushAllowance) / rate));
        return false;
    }

    // ---- Shared -------------------------------------------------------------------------------------------------

    /// <summary>
    /// Writes a value as a check-in (or measurement) by this source. The engine itself sends it (no actor): the source
    /// was allowed when a manager made it; its name, id and kind become the check-in's author, actor and via.
    /// </summary>
    private async Task<bool> DeliverAsync(SourceRow row, string clientId, double value, DateTimeOffset at, string note)
    {
        var actorId = SourceRules.ActorId(Id);
        var via = SourceRules.Via(row.Kind);
        if (row.NodeKind == SourceNodeKind.Kpi)
            return (await GrainFactory.GetGrain<IKpiGrain>(row.NodeId).RecordAsync(new Measurement(clientId, value, at, note, row.Name, actorId, via), null)).Applied;
        return (await GrainFactory.GetGrain<IKeyResultGrain>(row.NodeId).CheckInAsync(new CheckIn(clientId, value, null, note, row.Name, at, null, actorId, via), null)).Applied;
    }

    private Actor SourceActor(SourceRow row) => new(SourceRules.ActorId(Id), row.Name, SourceRules.Via(row.Kind), Role.Viewer, AccessScope.CheckIn);

    private static (string Token, SourceRow Row) WithNewToken(SourceRow row)
    {
        var token = TokenPrefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (token, row with { TokenHash = Hash(token) });
    }

    private static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private SourceRow Row() => _row ?? throw NotFound();

    private OkrRejectedException NotFound()
    {
        DeactivateOnIdle();
        return OkrRejectedException.NotFound("sourceId", Id);
    }

    private async Task<SourceRow> ManagedRowAsync(Actor? actor)
    {
        var row = Row();
        var (owner, companyId) = await OwnerAsync(row.NodeKind, row.NodeId, row.CompanyId, forCreate: false);
        await EnsureMayManageAsync(actor, owner, companyId, row.Kind, row.NodeKind);
        return row;
    }

    private async Task<bool> MayManageAsync(Actor? actor, SourceRow row)
    {
        if (actor is null) return true;
        if (actor.Scope < AccessScope.Write || actor.Role < Role.Lead) return false;
        if (actor.Role == Role.Admin) return SourceRules.MayManage(actor, Owner.Company(""), row.Kind, _ => null);
        try
        {
            var (owner, companyId) = await OwnerAsync(row.NodeKind, row.NodeId, row.CompanyId, forCreate: false);
            if (owner is null) return false;
            var teamOf = await TeamOfAsync(actor, owner, companyId);
            return SourceRules.MayManage(actor, owner, row.Kind, _ => teamOf);
        }
        catch (OkrRejectedException) { return false; } // the key result or KPI is gone: only admins manage what is left
    }

    private async Task EnsureMayManageAsync(Actor? actor, Owner? owner, string companyId, SourceKind kind, SourceNodeKind nodeKind)
    {
        if (actor is null) return;
        if (kind == SourceKind.Sql && actor.Role != Role.Admin)
            throw AccessChecks.Refusal(actor, "kind", "may not manage a SQL source: it runs a query on a database the server reaches, which takes an admin");
        var teamOf = owner is null ? null : await TeamOfAsync(actor, owner, companyId);
        if (!SourceRules.MayManage(actor, owner ?? Owner.Company(companyId), kind, _ => teamOf))
        {
            var what = nodeKind == SourceNodeKind.Kpi ? "a KPI" : "a key result";
            throw AccessChecks.Refusal(actor, "sourceId", owner is null
                ? $"may not manage data sources of {what} that no longer exists: that takes an admin"
                : $"may not manage data sources of {what} owned by {Permissions.Describe(owner)}: that takes an admin or a lead of its team");
        }
    }

    private async Task<string?> TeamOfAsync(Actor actor, Owner owner, string companyId) =>
        actor.Role == Role.Lead && owner.Kind == OwnerKind.Person && owner.Id != actor.PersonId && companyId.Length > 0
            ? await GrainFactory.GetGrain<IOrganisationGrain>(companyId).GetTeamOfAsync(owner.Id)
            : null;

    /// <summary>
    /// The owner and company of the key result or KPI a source feeds. Creating refuses one that does not exist (404) or
    /// takes its value elsewhere; afterwards a vanished node gives no owner (then only admins manage the source).
    /// </summary>
    private async Task<(Owner? Owner, string CompanyId)> OwnerAsync(SourceNodeKind kind, string nodeId, string companyId, bool forCreate)
    {
        var field = kind == SourceNodeKind.Kpi ? "kpiId" : "keyResultId";
        try
        {
            if (kind == SourceNodeKind.Kpi)
            {
                var kpi = await GrainFactory.GetGrain<IKpiGrain>(nodeId).GetViewAsync();
                return (kpi.Definition.Owner, companyId);
            }
            var setup = NodeIds.CycleOf(nodeId) is { } cycleId ? await GrainFactory.GetGrain<ICycleGrain>(cycleId).GetKeyResultSetupAsync(nodeId) : null;
            if (setup is null) throw OkrRejectedException.NotFound(field, nodeId);
            if (forCreate && setup.Definition.Kind == KeyResultKind.KpiLinked)
                throw OkrRejectedException.Invalid(field, $"takes its value from KPI '{setup.Definition.KpiId}': add the source to that KPI.");
            return (setup.Definition.Owner, setup.CompanyId.Length > 0 ? setup.CompanyId : companyId);
        }
        catch (OkrRejectedException e) when (e.Kind == RejectionKind.NotFound)
        {
            if (forCreate) throw OkrRejectedException.NotFound(field, nodeId);
            return (null, companyId);
        }
    }

    /// <summary>A SQL source's hosts resolved now (with private networks closed): a name that points inside is refused at once.</summary>
    private async Task CheckResolvedAsync(SourceRow row)
    {
        if (row.Kind != SourceKind.Sql) return;
        using var timeout = new CancellationTokenSource(fetcher.Outbound.Timeout);
        if (await fetcher.ValidateResolvedHostsAsync(row.ConnectionString!, timeout.Token) is { } problem)
            throw OkrRejectedException.Invalid("connectionString", problem + ".");
    }

    /// <summary>The row's settings checked for its kind (each refusal names the request field); normalised.</summary>
    private SourceRow Validated(SourceRow row, bool creating)
    {
        var name = Check.Title("name", row.Name, SourceRules.MaxName);
        static void Absent(object? value, string field, string kind)
        {
            if (value is not null) throw OkrRejectedException.Invalid(field, $"is not a setting of a {kind} source.");
        }
        var kind = SourceRules.Name(row.Kind);
        int? interval = null;
        if (row.Kind != SourceKind.Push)
        {
            var seconds = row.IntervalSeconds ?? (int)Options.DefaultInterval.TotalSeconds;
            var min = (int)Math.Ceiling(Options.MinimumInterval.TotalSeconds);
            if (seconds < min || seconds > SourceRules.MaxIntervalSeconds)
                throw OkrRejectedException.Invalid("intervalSeconds", $"must be between {min} and {SourceRules.MaxIntervalSeconds} (a day).");
            interval = seconds;
        }
        else Absent(row.IntervalSeconds, "intervalSeconds", kind);

        if (row.Kind == SourceKind.Http)
        {
            if (fetcher.ValidateUrl(row.Url) is { } urlProblem) throw OkrRejectedException.Invalid("url", urlProblem + ".");
            if (JsonPathLite.TryParse(row.JsonPath, out var pathProblem) is null) throw OkrRejectedException.Invalid("jsonPath", pathProblem + ".");
            var headerName = row.AuthHeaderName?.Trim();
            if (headerName is not null && SourceFetcher.ValidateHeaderName(headerName) is { } headerProblem) throw OkrRejectedException.Invalid("authHeaderName", headerProblem + ".");
            if (row.AuthHeaderValue is not null && SourceFetcher.ValidateHeaderValue(row.AuthHeaderValue) is { } valueProblem) throw OkrRejectedException.Invalid("authHeaderValue", valueProblem + ".");
            if (headerName is not null && row.AuthHeaderValue is null) throw OkrRejectedException.Invalid("authHeaderValue", "is required with authHeaderName.");
            row = row with { AuthHeaderName = row.AuthHeaderValue is null ? null : headerName ?? "Authorization" };
        }
        else
        {
            Absent(row.Url, "url", kind);
            Absent(row.JsonPath, "jsonPath", kind);
            Absent(row.AuthHeaderName, "authHeaderName", kind);
            Absent(row.AuthHeaderValue, "authHeaderValue", kind);
        }

        if (row.Kind == SourceKind.Sql)
        {
            if (fetcher.ValidateConnectionString(row.ConnectionString) is { } connectionProblem) throw OkrRejectedException.Invalid("connectionString", connectionProblem + ".");
            if (SourceFetcher.ValidateQuery(row.Query) is { } queryProblem) throw OkrRejectedException.Invalid("query", queryProblem + ".");
            row = row with { Query = row.Query!.Trim() };
        }
        else
        {
            Absent(row.ConnectionString, "connectionString", kind);
            Absent(row.Query, "query", kind);
        }
        _ = creating;
        return row with { Name = name, IntervalSeconds = interval };
    }

    private SourceView View(SourceRow row, bool canManage)
    {
        var push = row.Kind == SourceKind.Push;
        var http = row.Kind == SourceKind.Http;
        var sql = row.Kind == SourceKind.Sql;
        return new SourceView(row.Id, row.NodeId, row.NodeKind, row.Name, row.Kind, push ? null : (int)IntervalOf(row).TotalSeconds,
            row.Status with { NextPollAt = _nextPollAt }, row.CreatedAt, row.CreatedBy, canManage,
            IngestPath: push ? SourceRules.IngestPath(row.Id) : null,
            HasToken: push ? row.TokenHash is not null : null,
            Url: canManage && http ? row.Url : null,
            JsonPath: canManage && http ? row.JsonPath : null,
            AuthHeaderName: canManage && http ? row.AuthHeaderName : null,
            HasAuthHeader: canManage && http ? row.AuthHeaderValue is not null : null,
            SqlTarget: canManage && sql ? SourceFetcher.SqlTarget(row.ConnectionString) : null,
            Query: canManage && sql ? row.Query : null);
    }

    /// <summary>What the audit keeps of a source: anyone who reads the node's activity may see it, so no address and no secret.</summary>
    private static object AuditOf(SourceRow row) => new
    {
        sourceId = row.Id,
        name = row.Name,
        kind = SourceRules.Name(row.Kind),
        intervalSeconds = row.IntervalSeconds,
        hasToken = row.Kind == SourceKind.Push ? row.TokenHash is not null : (bool?)null,
    };

    private static string Fmt(double value) => value.ToString("0.######", System.Globalization.CultureInfo.InvariantCulture);
}
