-- 0007: the journal answers "the latest facts of a whole cycle as of an instant" cheaply.
--
-- Time travel over a cycle nobody has looked at lately (its key results asleep), and the snapshot of such a cycle, ask
-- for the latest entry of each of up to a million key results at or before an instant (and, when that one gave no
-- confidence, the latest that did).
--
-- 1. Node ids sort bytewise (collation "C"): they are machine identifiers, and "{cycleId}:..." is then one contiguous
--    range of the index, so a cycle's entries can be read in one ordered scan instead of a probe per node (the journal
--    chooses by the table's statistics). Changing a column's collation rewrites no rows; its indexes are rebuilt.
-- 2. The as-of index carries value and confidence, so probes and scans are answered from the index alone
--    (index-only; the journal is append-only, so autovacuum keeps its pages all-visible). Measured on 88k nodes /
--    1.17M entries, one connection: probes 570 → 375 ms; the scan 205–255 ms.
-- The index is about a fifth larger; the bench's check-in figures measure its cost to appends.
--
-- On a large journal this locks appends while the indexes are rebuilt (seconds per million entries on 2 cores): run it
-- in a quiet moment. Idempotent: safe to run again.

drop index if exists okr_journal_node_at;
alter table okr_journal alter column node_id type text collate "C";
create index if not exists okr_journal_node_at_facts on okr_journal (node_id, at, seq) include (value, confidence);
