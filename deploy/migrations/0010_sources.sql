-- 0010: data sources — key results and KPIs that update themselves.
--
-- A source feeds one key result or KPI: pushed to an ingest URL with its own token ('push'), or pulled on a schedule
-- from an HTTP JSON endpoint ('http') or a PostgreSQL query ('sql'). Each value it delivers is an ordinary check-in
-- (or measurement) in okr_journal, its actor 'source:{id}' and via 'source:{kind}'; this table holds the source's
-- settings and its status. A source grain (one per row) reads its row when it activates and writes status back after
-- each pull. Pull sources are kept running by every silo's keep-alive sweep over this table (no reminders table).
--
-- Secrets: the ingest token is never stored, only its SHA-256 (token_hash; null once revoked). An HTTP source's
-- auth header value and a SQL source's connection string are stored because every pull needs them; no API answer
-- and no log line carries them.
--
-- Idempotent: safe to run again.

create table if not exists okr_sources
(
    id                   text primary key,
    node_id              text             not null,  -- a key result "{cycle}:{local}" or a KPI id
    node_kind            text             not null check (node_kind in ('keyResult', 'kpi')),
    company_id           text             not null default '',
    name                 text             not null,
    kind                 text             not null check (kind in ('push', 'http', 'sql')),
    interval_seconds     int              null check (interval_seconds is null or interval_seconds > 0),
    url                  text             null,      -- http
    json_path            text             null,      -- http
    auth_header_name     text             null,      -- http
    auth_header_value    text             null,      -- http: secret
    connection_string    text             null,      -- sql: secret
    query                text             null,      -- sql
    token_hash           bytea            null,      -- push: SHA-256 of the ingest token; null: none (revoked)
    created_at           timestamptz      not null,
    created_by           text             not null,
    updated_at           timestamptz      not null,
    -- Status: what the last attempts gave.
    last_value           double precision null,
    last_value_at        timestamptz      null,      -- when that value was read (pull) or received (push)
    last_attempt_at      timestamptz      null,
    last_success_at      timestamptz      null,
    failing_since        timestamptz      null,      -- the first failure after the last success; null: not failing
    last_error           text             null,
    consecutive_failures int              not null default 0,
    last_written_value   double precision null       -- the value of the last check-in a pull wrote (unchanged: none)
);
create index if not exists okr_sources_node on okr_sources (node_id);
-- The keep-alive sweep reads the pull sources only.
create index if not exists okr_sources_pull on okr_sources (id) where kind <> 'push';

-- Audit entries of sources (created, edited, token rotated or revoked, deleted, failing, recovered) are numbered here.
create sequence if not exists okr_audit_sources_seq;
