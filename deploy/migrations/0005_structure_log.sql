-- 0005: a cycle's structure as an append-only log.
--
-- Until now a cycle's whole structure (every objective, key result and edge) was one grain-state row, rewritten on
-- every structural change (~620 ms at 100k nodes) and losing the past. Now each change is one small row of
-- okr_structure_log — its ops (Orleans binary, the types carry stable aliases), the instant it takes effect and its
-- audit entry — and a whole structure is written now and then to okr_structure_snapshot so an activation replays
-- only the log's tail. Time travel reads the nearest snapshot at or before an instant and the log up to it.
-- A cycle still stored the old way is converted by its grain when it first activates (a snapshot of what the old
-- row holds, effective from the cycle's start); the old row is left as it was.
--
-- Idempotent: safe to run again.

create table if not exists okr_structure_log
(
    cycle_id    text        not null,
    seq         bigint      not null,         -- gapless per cycle; the primary key makes two writers of one seq fail
    at          timestamptz not null,         -- when the change takes effect; never earlier than the previous row's
    ops         bytea       not null,
    audit       bytea       null,             -- the change's audit entry, handed to okr_audit after the commit
    recorded_at timestamptz not null default now(),
    constraint okr_structure_log_pk primary key (cycle_id, seq)
);

create table if not exists okr_structure_snapshot
(
    cycle_id    text        not null,
    seq         bigint      not null,         -- the last change the snapshot includes
    at          timestamptz not null,
    state       bytea       not null,
    recorded_at timestamptz not null default now(),
    constraint okr_structure_snapshot_pk primary key (cycle_id, seq)
);
