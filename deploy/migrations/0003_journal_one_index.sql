-- 0003: the journal keeps one secondary index.
--
-- The unique (node_id, entry_id) index already finds a node's entries for replay on activation (the few rows
-- of one node are then sorted by seq), so the separate (node_id, seq) index only cost every append a third
-- index update. Appends are the hot path; replays happen once per activation.
--
-- Idempotent: safe to run again.

drop index if exists okr_journal_node_seq;
