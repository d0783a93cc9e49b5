-- 0006: the journal answers "latest fact of each node as of an instant" by index.
--
-- Time travel (a cycle's scorecard as of a past instant) and the snapshot of a cold cycle read, for every key result
-- and KPI, the latest entry dated at or before an instant. Without an index on the date that query sorted every entry
-- of every node (seconds for a cycle with a million check-ins); with it each node is one short backward index scan.
-- This is the journal's second secondary index (see 0003): it costs each append one more index update, which the
-- bench's check-in figures measure.
--
-- Idempotent: safe to run again.

create index if not exists okr_journal_node_at on okr_journal (node_id, at, seq);
