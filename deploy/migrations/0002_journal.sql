-- 0002: the check-in / measurement journal.
--
-- Every check-in is appended here (in batches: many grains' check-ins per transaction, each acknowledged
-- when its batch commits); grain state is written less often and rebuilt from the journal on activation.
-- entry_id is supplied by the client, so a retried check-in with the same id is applied once:
--   insert ... on conflict on constraint okr_journal_node_entry do nothing
--
-- Idempotent: safe to run again.

create table if not exists okr_journal
(
    seq         bigint generated always as identity primary key,
    node_id     text             not null,
    entry_id    text             not null,          -- client-supplied id; a retry with the same id applies once
    value       double precision not null,
    confidence  double precision null,
    note        text             not null default '',
    author      text             not null default '',
    at          timestamptz      not null,
    recorded_at timestamptz      not null default now(),
    constraint okr_journal_node_entry unique (node_id, entry_id)
);

-- Replaying one node's journal in order on activation ("where node_id = @n and seq > @after order by seq").
create index if not exists okr_journal_node_seq on okr_journal (node_id, seq);
