-- 0001: Orleans AdoNet grain storage on PostgreSQL (>= 15).
--
-- Microsoft.Orleans.Persistence.AdoNet ships no SQL. At silo start it runs
--   SELECT QueryKey, QueryText FROM OrleansQuery WHERE QueryKey = ...
-- so the table and its columns are lower-case and unquoted here. The state table is ours; only the
-- query texts below refer to it. Parameters bound by the provider (DbType in brackets):
--   @GrainIdHash (int4), @GrainIdN0 (int8), @GrainIdN1 (int8), @GrainTypeHash (int4),
--   @GrainTypeString (text: the state name from [PersistentState]), @GrainIdExtensionString (text, may be NULL),
--   @ServiceId (text); Write adds @GrainStateVersion (int4, NULL on a first write) and @PayloadBinary (bytea);
--   Clear and Delete add @GrainStateVersion.
-- The ETag Orleans keeps is the version number as a string. A grain is identified by its natural key
-- (service, state name, N0, N1, extension); the hashes are stored for diagnostics only, so a change of
-- hasher can never make a row unreachable. Nullable parameters are cast so that the statements also
-- work when a caller binds an untyped NULL.
--
-- Idempotent: safe to run again; the query texts are replaced by the ones in this file.

create table if not exists orleansquery
(
    querykey  varchar(64) primary key,
    querytext text not null
);

create table if not exists okr_grain_state
(
    service_id                text        not null,
    grain_type_string         text        not null,
    grain_id_n0               bigint      not null,
    grain_id_n1               bigint      not null,
    grain_id_extension_string text        null,     -- NULL for integer and GUID keys
    grain_id_hash             integer     not null,
    grain_type_hash           integer     not null,
    payload_binary            bytea       null,     -- NULL after ClearStateAsync
    version                   integer     not null, -- the ETag; 1 on the first write
    modified_on               timestamptz not null default now(),
    -- One row per grain state. NULLS NOT DISTINCT: two rows with a NULL extension and the same
    -- integer/GUID key would otherwise both be allowed.
    constraint okr_grain_state_key unique nulls not distinct
        (grain_id_n0, grain_id_n1, grain_type_string, grain_id_extension_string, service_id)
)
-- Rows are rewritten in place all the time; leave room on each page for HOT updates (no indexed
-- column ever changes, so updates need no index maintenance).
with (fillfactor = 80);

-- The lookup index. "extension is not distinct from @x" is the exact rule, but PostgreSQL cannot use it
-- as an index condition: string keys all have N0 = N1 = 0, so every read or write of a string-keyed grain
-- would scan all string-keyed rows of its state type. Each query therefore also says
-- "coalesce(extension, '') = coalesce(@x, '')", which this index serves in custom and generic plans alike
-- (the "is not distinct from" filter then tells NULL from '').
create index if not exists okr_grain_state_lookup
    on okr_grain_state (grain_id_n0, grain_id_n1, grain_type_string, coalesce(grain_id_extension_string, ''), service_id);

insert into orleansquery (querykey, querytext) values
(
    'ReadFromStorageKey',
    $q$
    select s.payload_binary as "PayloadBinary",
           s.version        as "Version"
    from okr_grain_state s
    where s.grain_id_n0 = @GrainIdN0
      and s.grain_id_n1 = @GrainIdN1
      and s.grain_type_string = @GrainTypeString
      and coalesce(s.grain_id_extension_string, '') = coalesce(cast(@GrainIdExtensionString as text), '')
      and s.grain_id_extension_string is not distinct from cast(@GrainIdExtensionString as text)
      and s.service_id = @ServiceId
    $q$
),
(
    -- First write (@GrainStateVersion NULL): insert version 1 and return it; if the row exists already
    -- (another activation wrote first), return no row, which Orleans turns into an InconsistentStateException.
    -- Update: only where the stored version equals @GrainStateVersion; return version + 1, else no row.
    'WriteToStorageKey',
    $q$
    with updated as (
        update okr_grain_state s
        set payload_binary = @PayloadBinary,
            version = s.version + 1,
            modified_on = now()
        where cast(@GrainStateVersion as integer) is not null
          and s.grain_id_n0 = @GrainIdN0
          and s.grain_id_n1 = @GrainIdN1
          and s.grain_type_string = @GrainTypeString
          and coalesce(s.grain_id_extension_string, '') = coalesce(cast(@GrainIdExtensionString as text), '')
      and s.grain_id_extension_string is not distinct from cast(@GrainIdExtensionString as text)
          and s.service_id = @ServiceId
          and s.version = cast(@GrainStateVersion as integer)
        returning s.version
    ),
    inserted as (
        insert into okr_grain_state
            (service_id, grain_type_string, grain_id_n0, grain_id_n1, grain_id_extension_string,
             grain_id_hash, grain_type_hash, payload_binary, version, modified_on)
        select @ServiceId, @GrainTypeString, @GrainIdN0, @GrainIdN1, cast(@GrainIdExtensionString as text),
               @GrainIdHash, @GrainTypeHash, @PayloadBinary, 1, now()
        where cast(@GrainStateVersion as integer) is null
        on conflict on constraint okr_grain_state_key do nothing
        returning version
    )
    select version as "NewGrainStateVersion" from updated
    union all
    select version as "NewGrainStateVersion" from inserted
    $q$
),
(
    -- Clear (DeleteStateOnClear = false): on a matching version, drop the payload and bump the version;
    -- the row stays so the version keeps counting. Returns the new version, or no row on a conflict.
    'ClearStorageKey',
    $q$
    update okr_grain_state s
    set payload_binary = null,
        version = s.version + 1,
        modified_on = now()
    where s.grain_id_n0 = @GrainIdN0
      and s.grain_id_n1 = @GrainIdN1
      and s.grain_type_string = @GrainTypeString
      and coalesce(s.grain_id_extension_string, '') = coalesce(cast(@GrainIdExtensionString as text), '')
      and s.grain_id_extension_string is not distinct from cast(@GrainIdExtensionString as text)
      and s.service_id = @ServiceId
      and s.version = cast(@GrainStateVersion as integer)
    returning s.version as "NewGrainStateVersion"
    $q$
),
(
    -- Delete (DeleteStateOnClear = true): on a matching version, remove the row and return the old
    -- version + 1 (Orleans only checks that it differs from the ETag); no row on a conflict.
    'DeleteStorageKey',
    $q$
    delete from okr_grain_state s
    where s.grain_id_n0 = @GrainIdN0
      and s.grain_id_n1 = @GrainIdN1
      and s.grain_type_string = @GrainTypeString
      and coalesce(s.grain_id_extension_string, '') = coalesce(cast(@GrainIdExtensionString as text), '')
      and s.grain_id_extension_string is not distinct from cast(@GrainIdExtensionString as text)
      and s.service_id = @ServiceId
      and s.version = cast(@GrainStateVersion as integer)
    returning s.version + 1 as "NewGrainStateVersion"
    $q$
)
on conflict (querykey) do update set querytext = excluded.querytext;
