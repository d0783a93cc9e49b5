-- 0004: trust — accounts (ASP.NET Core Identity on our own tables), API tokens and wall links, the audit trail,
-- and who made each check-in and measurement.
--
-- Idempotent: safe to run again.

-- What this database is. 'mode' is 'demo' (seeded with the demo company: anyone may sign in as its people) or
-- 'production'; it is set once, on the first start, and never by configuration afterwards — so a production database
-- can never offer the demo sign-in.
create table if not exists okr_settings
(
    key        text primary key,
    value      text        not null,
    updated_at timestamptz not null default now()
);

-- Local and external (OpenID Connect) accounts. A user maps to a person of the organisation (person_id) and has
-- one role; a lead leads the team of their person.
create table if not exists okr_users
(
    id                   text primary key,
    user_name            text        not null,
    normalized_user_name text        not null,
    email                text        null,
    normalized_email     text        null,
    display_name         text        not null,
    password_hash        text        null,      -- null: signs in through an external provider only
    security_stamp       text        not null,  -- changes with the password, the role or the person: sessions re-check it
    concurrency_stamp    text        not null,
    role                 text        not null check (role in ('viewer', 'member', 'lead', 'admin')),
    person_id            text        null,
    disabled             boolean     not null default false,
    lockout_end          timestamptz null,
    access_failed_count  int         not null default 0,
    created_at           timestamptz not null default now(),
    constraint okr_users_name unique (normalized_user_name)
);
create unique index if not exists okr_users_email on okr_users (normalized_email) where normalized_email is not null;

-- External sign-ins linked to an account: (provider, subject) → user.
create table if not exists okr_user_logins
(
    login_provider        text not null,
    provider_key          text not null,
    provider_display_name text null,
    user_id               text not null references okr_users (id) on delete cascade,
    primary key (login_provider, provider_key)
);
create index if not exists okr_user_logins_user on okr_user_logins (user_id);

-- API tokens (personal: act as their user; service: act as a service, as admin or as lead of team_id) and wall
-- links (read one scorecard). Only the SHA-256 of the secret is kept: the token is shown once, at creation.
create table if not exists okr_access_tokens
(
    id           text primary key,
    kind         text        not null check (kind in ('personal', 'service', 'wall')),
    name         text        not null,
    user_id      text        null references okr_users (id) on delete cascade,
    scope        text        not null,  -- personal/service: read | checkIn | write | admin; wall: company | team:{id}
    team_id      text        null,      -- service: the team it acts for (as its lead); null: the whole company
    secret_hash  bytea       not null,
    created_at   timestamptz not null default now(),
    created_by   text        not null,
    expires_at   timestamptz null,
    revoked_at   timestamptz null,
    revoked_by   text        null,
    last_used_at timestamptz null
);
create index if not exists okr_access_tokens_user on okr_access_tokens (user_id);

-- The audit trail: append-only. Grains number their own entries (source, source_seq), so an entry written twice —
-- after a crash between a change and its audit write — is kept once. Check-ins and measurements are not copied
-- here: the journal row is their audit entry (see okr_journal.actor and .via).
create table if not exists okr_audit
(
    seq         bigint generated always as identity primary key,
    source      text        not null,
    source_seq  bigint      not null,
    at          timestamptz not null,
    actor       text        not null,
    actor_name  text        not null,
    via         text        not null,
    action      text        not null,
    subject     text        null,
    cycle_id    text        null,
    before      jsonb       null,
    after       jsonb       null,
    recorded_at timestamptz not null default now(),
    constraint okr_audit_source_seq unique (source, source_seq)
);
create index if not exists okr_audit_subject on okr_audit (subject, at);
create index if not exists okr_audit_actor on okr_audit (actor, at);
create index if not exists okr_audit_at on okr_audit (at);
create sequence if not exists okr_audit_access_seq;

-- Who made each check-in and measurement, and through what. A constant default: adding them rewrites nothing.
alter table okr_journal add column if not exists actor text not null default '';
alter table okr_journal add column if not exists via text not null default '';
-- The audit reads check-ins by time; a BRIN index on the append order costs appends almost nothing.
create index if not exists okr_journal_recorded_brin on okr_journal using brin (recorded_at);

-- ASP.NET Core Data Protection keys (cookies, antiforgery), shared by every web host of the service.
create table if not exists okr_dataprotection_keys
(
    name       text primary key,
    xml        text        not null,
    created_at timestamptz not null default now()
);
