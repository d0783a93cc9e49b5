-- 0008: Orleans cluster membership on PostgreSQL (Microsoft.Orleans.Clustering.AdoNet).
--
-- Like grain storage (0001), the clustering provider ships no SQL: at start it reads every row of orleansquery and
-- refuses to start unless these nine keys are there: GatewaysQueryKey, MembershipReadRowKey, MembershipReadAllKey,
-- InsertMembershipVersionKey, UpdateIAmAlivetimeKey, InsertMembershipKey, UpdateMembershipKey,
-- DeleteMembershipTableEntriesKey, CleanupDefunctSiloEntriesKey. Silos write and read the membership table through
-- them; clients read the gateways (active silos and their proxy ports) through GatewaysQueryKey.
--
-- Parameters the provider binds (written @Name below): DeploymentId (text: Orleans' ClusterId), Address (text, an
-- IP address), Port, Generation, Status (the SiloStatus number: 3 = Active, 6 = Dead), ProxyPort (int4), SiloName,
-- HostName (text), SuspectTimes (text, may be NULL: "silo,date|silo,date"), StartTime, IAmAliveTime (timestamptz,
-- UTC), Version (int4: the table version the writer read — the membership table's optimistic-concurrency etag).
--
-- What the provider reads back:
--   * read row / read all: one row per silo with columns Address, Port, Generation, SiloName, HostName, Status,
--     ProxyPort, SuspectTimes, StartTime, IAmAliveTime, and Version (the table's); a cluster with no silo yet still
--     gives one row — the version row, StartTime NULL — which is why it is a left join from the version table.
--   * insert version / insert row / update row: one row, one column, read as a boolean (1: done, 0: not).
--   * gateways: Address, ProxyPort, Generation of the silos with the given Status.
--   * delete all, cleanup defunct, I-am-alive: nothing is read.
--
-- The table and column names are ours (only these queries name them): lower-case and unquoted, like the rest of the
-- schema. Upstream's script uses plpgsql functions; here every query is one statement, so each is atomic on its own
-- (the provider sends each as a single auto-committed command).
--
-- Idempotent: safe to run again; the query texts are replaced by the ones in this file.

-- One row per cluster (DeploymentId): its version, bumped by every membership change. Writers pass the version they
-- read; a change only happens where it still matches, which serialises silos changing the table at the same time.
create table if not exists orleansmembershipversiontable
(
    deployment_id text        primary key,
    updated_at    timestamptz not null default now(),
    version       integer     not null default 0
);

-- One row per silo incarnation (address, port and generation: a restarted silo is a new row).
create table if not exists orleansmembershiptable
(
    deployment_id   text        not null references orleansmembershipversiontable (deployment_id),
    address         text        not null,
    port            integer     not null,
    generation      integer     not null,
    silo_name       text        not null,
    host_name       text        not null,
    status          integer     not null,
    proxy_port      integer     null,
    suspect_times   text        null,
    start_time      timestamptz not null,
    i_am_alive_time timestamptz not null,
    primary key (deployment_id, address, port, generation)
);

insert into orleansquery (querykey, querytext) values
(
    -- The cluster's version row, created by the first silo to start; 1 when this call created it, 0 when it was there.
    'InsertMembershipVersionKey',
    $q$
    with inserted as (
        insert into orleansmembershipversiontable (deployment_id) values (@DeploymentId)
        on conflict (deployment_id) do nothing
        returning 1
    )
    select count(*)::integer as "RowCount" from inserted
    $q$
),
(
    -- A silo joining: its row is added and the table version bumped, only while the version is still the one the
    -- silo read. The version row is updated first: a concurrent writer waits on its lock, re-reads it, finds another
    -- version and changes nothing (the provider then re-reads the table and tries again).
    'InsertMembershipKey',
    $q$
    with bumped as (
        update orleansmembershipversiontable v
        set version = v.version + 1, updated_at = now()
        where v.deployment_id = @DeploymentId and v.version = cast(@Version as integer)
        returning v.deployment_id
    ),
    inserted as (
        insert into orleansmembershiptable
            (deployment_id, address, port, generation, silo_name, host_name, status, proxy_port, start_time, i_am_alive_time)
        select b.deployment_id, @Address, @Port, @Generation, @SiloName, @HostName, @Status, @ProxyPort,
               cast(@StartTime as timestamptz), cast(@IAmAliveTime as timestamptz)
        from bumped b
        on conflict (deployment_id, address, port, generation) do nothing
        returning 1
    )
    select count(*)::integer as "RowCount" from inserted
    $q$
),
(
    -- A silo's status or suspicions changing (joining → active, a vote that another is dead, …): as for an insert,
    -- only under the version the writer read, and the version is bumped with it.
    'UpdateMembershipKey',
    $q$
    with bumped as (
        update orleansmembershipversiontable v
        set version = v.version + 1, updated_at = now()
        where v.deployment_id = @DeploymentId and v.version = cast(@Version as integer)
        returning v.deployment_id
    ),
    updated as (
        update orleansmembershiptable m
        set status = @Status,
            suspect_times = cast(@SuspectTimes as text),
            i_am_alive_time = cast(@IAmAliveTime as timestamptz)
        from bumped b
        where m.deployment_id = b.deployment_id
          and m.address = @Address and m.port = @Port and m.generation = @Generation
        returning 1
    )
    select count(*)::integer as "RowCount" from updated
    $q$
),
(
    -- The heartbeat each silo writes (every IAmAliveTablePublishTimeout); no version: it is not a membership change.
    'UpdateIAmAlivetimeKey',
    $q$
    update orleansmembershiptable
    set i_am_alive_time = cast(@IAmAliveTime as timestamptz)
    where deployment_id = @DeploymentId and address = @Address and port = @Port and generation = @Generation
    $q$
),
(
    'MembershipReadRowKey',
    $q$
    select v.deployment_id   as "DeploymentId",
           m.address         as "Address",
           m.port            as "Port",
           m.generation      as "Generation",
           m.silo_name       as "SiloName",
           m.host_name       as "HostName",
           m.status          as "Status",
           m.proxy_port      as "ProxyPort",
           m.suspect_times   as "SuspectTimes",
           m.start_time      as "StartTime",
           m.i_am_alive_time as "IAmAliveTime",
           v.version         as "Version"
    from orleansmembershipversiontable v
    left join orleansmembershiptable m
           on m.deployment_id = v.deployment_id
          and m.address = @Address and m.port = @Port and m.generation = @Generation
    where v.deployment_id = @DeploymentId
    $q$
),
(
    'MembershipReadAllKey',
    $q$
    select v.deployment_id   as "DeploymentId",
           m.address         as "Address",
           m.port            as "Port",
           m.generation      as "Generation",
           m.silo_name       as "SiloName",
           m.host_name       as "HostName",
           m.status          as "Status",
           m.proxy_port      as "ProxyPort",
           m.suspect_times   as "SuspectTimes",
           m.start_time      as "StartTime",
           m.i_am_alive_time as "IAmAliveTime",
           v.version         as "Version"
    from orleansmembershipversiontable v
    left join orleansmembershiptable m on m.deployment_id = v.deployment_id
    where v.deployment_id = @DeploymentId
    $q$
),
(
    -- Clients find the cluster's gateways here (Status = Active): no hand-kept list of gateways.
    'GatewaysQueryKey',
    $q$
    select address as "Address", proxy_port as "ProxyPort", generation as "Generation"
    from orleansmembershiptable
    where deployment_id = @DeploymentId and status = @Status and proxy_port > 0
    $q$
),
(
    -- The whole cluster's rows (tooling and tests that reset a cluster). One statement: the foreign key (no action) is
    -- checked at its end, when the silos' rows are gone too.
    'DeleteMembershipTableEntriesKey',
    $q$
    with silos as (
        delete from orleansmembershiptable where deployment_id = @DeploymentId
    )
    delete from orleansmembershipversiontable where deployment_id = @DeploymentId
    $q$
),
(
    -- Rows of silos that are long gone (not Active, no heartbeat since @IAmAliveTime): every restart of a silo adds a
    -- row, and the table would otherwise grow for ever (ClusterMembershipOptions.DefunctSiloExpiration).
    'CleanupDefunctSiloEntriesKey',
    $q$
    delete from orleansmembershiptable
    where deployment_id = @DeploymentId
      and i_am_alive_time < cast(@IAmAliveTime as timestamptz)
      and status <> 3
    $q$
)
on conflict (querykey) do update set querytext = excluded.querytext;
