-- 0009: outbound webhooks and check-in reminders — subscriptions, a durable outbox of events and deliveries (at least
-- once: a delivery is leased with FOR UPDATE SKIP LOCKED, so any number of hosts may deliver), the log of attempts,
-- the last status each node was reported in (events are derived from it, so a change lost in a crash is found again),
-- and each team's check-in cadence with its next due time (a durable timer: the due row is claimed, its reminders
-- written and the next due time set in one transaction).
--
-- Idempotent: safe to run again.

-- A subscription. The secret signs every delivery (HMAC-SHA256), so it is kept as given; the API shows it once, at
-- creation. scope: 'company', 'team:{teamId}' (the team and the teams below it) or 'node:{nodeId}' (the node and
-- what rolls up into it). events: the event names it wants. format: 'json' (our payload), 'slack' or 'teams'.
create table if not exists okr_webhooks
(
    id          text primary key,
    name        text        not null,
    url         text        not null,
    secret      text        not null,
    format      text        not null default 'json' check (format in ('json', 'slack', 'teams')),
    scope       text        not null,
    events      text[]      not null,
    active      boolean     not null default true,
    created_at  timestamptz not null,
    created_by  text        not null,
    updated_at  timestamptz not null
);

-- What happened, once: event_key makes writing the same event again (two hosts, a retry, a sweep after a crash) a
-- no-op. scopes: every scope the event falls in ('company', 'team:…' of the owner's team and the teams above it,
-- 'node:…' of the node and the objectives above it); a subscription matches when its scope is one of them.
create table if not exists okr_webhook_events
(
    id         bigint generated always as identity primary key,
    event_key  text        not null,
    kind       text        not null,
    at         timestamptz not null,
    scopes     text[]      not null,
    data       jsonb       not null,
    constraint okr_webhook_events_key unique (event_key)
);
create index if not exists okr_webhook_events_at on okr_webhook_events (at);

-- One event to one subscription: the unit of delivery, identified to the receiver by id (OkrGrid-Delivery). state:
-- pending (next_at: when it may be tried — a lease while an attempt is under way), delivered, dead (gave up after the
-- configured attempts; an admin may redeliver it).
create table if not exists okr_webhook_deliveries
(
    id           uuid primary key,
    webhook_id   text        not null references okr_webhooks (id) on delete cascade,
    event_id     bigint      not null references okr_webhook_events (id) on delete cascade,
    state        text        not null default 'pending' check (state in ('pending', 'delivered', 'dead')),
    attempts     int         not null default 0,
    round_start  int         not null default 0,  -- attempts made before the current round (a redelivery starts one)
    next_at      timestamptz not null,
    created_at   timestamptz not null,
    finished_at  timestamptz null,
    last_status  int         null,
    last_error   text        null,
    constraint okr_webhook_deliveries_once unique (webhook_id, event_id)
);
create index if not exists okr_webhook_deliveries_due on okr_webhook_deliveries (next_at) where state = 'pending';
create index if not exists okr_webhook_deliveries_hook on okr_webhook_deliveries (webhook_id, created_at desc);

-- Every attempt: when, the answer's status (null: no answer), how long, why it failed.
create table if not exists okr_webhook_attempts
(
    delivery_id  uuid        not null references okr_webhook_deliveries (id) on delete cascade,
    attempt      int         not null,
    at           timestamptz not null,
    status       int         null,
    duration_ms  int         not null,
    error        text        null,
    primary key (delivery_id, attempt)
);

-- The status (objectives, key results: noData/onTrack/atRisk/offTrack) or state (KPIs: ok/dipped) each node was last
-- reported in, with the score version that said so: an event is written when a newer version says otherwise.
create table if not exists okr_webhook_node_status
(
    node_id     text primary key,
    status      text        not null,
    version     bigint      not null,
    updated_at  timestamptz not null
);

-- How far the audit trail has been read for events derived from it (cycle closed, scenario applied).
create table if not exists okr_webhook_cursors
(
    name      text primary key,
    position  bigint not null
);

-- A team's check-in cadence: weekly on day_of_week (0 = Sunday … 6) at at_time in the IANA time_zone. next_due_at is
-- the next such instant in UTC; the scheduler claims rows that are due, writes their reminders and moves it on.
create table if not exists okr_checkin_cadences
(
    team_id      text primary key,
    day_of_week  int         not null check (day_of_week between 0 and 6),
    at_time      text        not null,
    time_zone    text        not null,
    next_due_at  timestamptz not null,
    updated_at   timestamptz not null,
    updated_by   text        not null
);
create index if not exists okr_checkin_cadences_due on okr_checkin_cadences (next_due_at);
