-- 0007: the "latest fact as of an instant" index carries the value and the confidence.
--
-- Time travel over a cycle nobody has looked at lately asks, for each of up to a million key results and KPIs, for
-- the latest entry at or before an instant (and, when that one gave no confidence, the latest that did). With 0006's
-- index each of those probes also fetched its row from the table: one random heap page per node. Carrying value and
-- confidence in the index lets PostgreSQL answer from the index alone (index-only scans; the journal is append-only,
-- so autovacuum keeps its pages all-visible). Measured on 88k nodes / 1.17M entries, one connection: 570 → 375 ms.
-- The index is about a fifth larger; the bench's check-in figures measure its cost to appends.
--
-- Building it locks appends for its duration (about 2 s per million entries on 2 cores): run it in a quiet moment on
-- a large journal. Idempotent: safe to run again.

create index if not exists okr_journal_node_at_facts on okr_journal (node_id, at, seq) include (value, confidence);
drop index if exists okr_journal_node_at;
