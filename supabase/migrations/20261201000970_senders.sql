-- Senders (issue 14): a bank of modems, one row per SIM, and which SIM each recipient hears from.
--
-- Why in SQL: several listeners (one per modem, on one or several boxes) claim from the same queue. A
-- customer must only ever hear from one number: every bubble of a message from the same SIM, and a
-- recipient keeps the SIM that first texted them, for every later campaign (their reply reaches that
-- SIM). Carriers quietly cap consumer SIMs (reports of blocks after 100-250 new recipients a month, or
-- after bursts), so each SIM has its own limits. Only the claim can enforce all of this for any number
-- of listeners, so the routing is decided inside claim_next_bubble (20261201000600_listener_api.sql,
-- block "issue 14: sticky SIM"), with the helpers below; docs/sql-listener-api.md, "Senders".
--
-- Objects:
--   public.sender_settings       singleton: alive_after, handover_after
--   public.senders               one row per SIM: identity, worker, status, limits, health
--   public.recipient_senders     recipient -> SIM (sticky; pinned by a person or not)
--   public.recipient_sender_moves  every assignment and move: who, from, to, when, why (append-only)
--   messages.sender_id           the SIM that has (sending) or had (sent, failed, unknown) a bubble
--   internal.sender_counters     per SIM: claims this hour/day, new recipients this day/month
--   public.register_sender(), public.pin_recipient(), public.sender_status(), two dashboard views
--
-- Decisions (docs/sql-listener-api.md says them to people):
--   * A worker without a sender row is its own sender: its first claim registers it (auto_registered,
--     no identity). When that worker later calls register_sender with a SIM nobody registered yet, the
--     row is adopted (its recipients stay). So a single modem works without identity reading.
--   * Limits count claims (a released bubble is given back), per calendar hour, day and month in the
--     business time zone (send_window.time_zone): what carriers count are days and months, not rolling
--     windows, and a person can see exactly when a limit rolls over. null = off (the default).
--   * A new recipient goes to the alive SIM with the most room for new recipients (unlimited beats
--     any number; ties go to whoever claims first). Assigned at claim time: insert ... on conflict do
--     nothing on the assignment's primary key, then re-read, so two claimers cannot both win one.
--   * A SIM away (not seen, or status away) longer than handover_after, or disabled, hands over its
--     waiting recipients one by one: the next alive SIM with room that claims one of their bubbles takes
--     the recipient, and the move is recorded. Pinned recipients are never moved automatically.
--   * A started message continues only from the SIM that sent its earlier bubbles, unless that SIM is
--     handed over (then the move says so): the message still progresses (invariant d).
--   * Reply bubbles (scheduled_message_id null, issue 12) go from the recipient's SIM like any bubble
--     and pass the per-SIM message limits (an opt-out confirmation is owed right away); they count.

-- ---------------------------------------------------------------------------------------------
-- Settings
-- ---------------------------------------------------------------------------------------------
create table public.sender_settings (
  id boolean primary key default true,
  alive_after interval not null default '2 minutes',
  handover_after interval not null default '30 minutes',
  updated_at timestamptz not null default now(),
  constraint sender_settings_singleton check (id),
  constraint sender_settings_alive_after_bounds
    check (alive_after between interval '10 seconds' and interval '1 day'),
  constraint sender_settings_handover_after_bounds
    check (handover_after between interval '1 minute' and interval '90 days')
);

comment on table public.sender_settings is
  'Singleton: a SIM is alive when seen (heartbeat, registration or claim) within alive_after; a SIM away or '
  'not seen for longer than handover_after hands its waiting recipients to other SIMs. Edit it; never delete it.';

alter table public.sender_settings enable row level security;
revoke all on table public.sender_settings from public, anon, authenticated;
grant select, insert, update, delete on table public.sender_settings to service_role;

create function internal.sender_settings_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'sender_settings: the settings row cannot be deleted; update it instead'
      using errcode = 'restrict_violation';
  end if;
  new.updated_at := pg_catalog.statement_timestamp();
  return new;
end
$$;

create trigger sender_settings_guard
  before insert or update or delete on public.sender_settings
  for each row execute function internal.sender_settings_guard();

insert into public.sender_settings default values on conflict (id) do nothing;

-- The settings row, or the defaults when someone removed it with triggers off (the claim never fails for it).
-- (PL/pgSQL, here and in the other helpers the claim calls: a SQL function with a SET clause is never
-- inlined and is planned again on every call; PL/pgSQL keeps its plans for the session.)
create function internal.sender_settings()
returns public.sender_settings
language plpgsql
stable
set search_path = ''
as $$
declare
  v_settings public.sender_settings;
begin
  select * into v_settings from public.sender_settings s where s.id;
  if not found then
    v_settings := row(true, interval '2 minutes', interval '30 minutes', pg_catalog.statement_timestamp());
  end if;
  return v_settings;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- senders: one row per SIM
-- ---------------------------------------------------------------------------------------------
create table public.senders (
  id bigint generated always as identity primary key,
  label text,
  imsi text,
  iccid text,
  own_number text,
  worker_id text,
  status text not null default 'active',
  status_note text,
  auto_registered boolean not null default false,
  per_hour integer,
  per_day integer,
  new_recipients_per_day integer,
  new_recipients_per_month integer,
  modem_health jsonb not null default '{}'::jsonb,
  last_error text,
  last_seen_at timestamptz,
  registered_at timestamptz,
  status_changed_at timestamptz not null default now(),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint senders_imsi_unique unique (imsi),
  constraint senders_iccid_unique unique (iccid),
  constraint senders_worker_id_unique unique (worker_id),
  constraint senders_status_check check (status in ('active', 'away', 'disabled')),
  constraint senders_identity_known check (imsi is not null or iccid is not null or auto_registered),
  constraint senders_imsi_digits check (imsi ~ '^[0-9]{5,15}$'),
  constraint senders_iccid_digits check (iccid ~ '^[0-9]{18,22}$'),
  constraint senders_own_number_e164 check (own_number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint senders_worker_id_length check (length(btrim(worker_id)) between 1 and 100),
  constraint senders_texts_bounded check (length(label) <= 100 and length(status_note) <= 500
                                          and length(last_error) <= 2000),
  constraint senders_limits_bounds check (
    (per_hour is null or per_hour between 0 and 100000)
    and (per_day is null or per_day between 0 and 1000000)
    and (new_recipients_per_day is null or new_recipients_per_day between 0 and 100000)
    and (new_recipients_per_month is null or new_recipients_per_month between 0 and 1000000)),
  constraint senders_modem_health_is_object
    check (jsonb_typeof(modem_health) = 'object' and pg_column_size(modem_health) <= 16384),
  constraint senders_moments_finite
    check (isfinite(status_changed_at) and (last_seen_at is null or isfinite(last_seen_at))
           and (registered_at is null or isfinite(registered_at)))
);

comment on table public.senders is
  'One row per SIM (issue 14): identity (IMSI, ICCID; own_number null = unknown until a person or SIM_NUMBER '
  'sets it), the worker using it, status (active; away: out for now, its recipients wait handover_after; '
  'disabled by a person: its recipients move at once), limits (null = off), health. register_sender() writes it.';
comment on column public.senders.per_hour is
  'Most bubbles this SIM may claim per calendar hour (business time zone); null = no limit.';
comment on column public.senders.per_day is
  'Most bubbles this SIM may claim per calendar day (business time zone); null = no limit.';
comment on column public.senders.new_recipients_per_day is
  'Most recipients this SIM may start texting per calendar day (business time zone); null = no limit.';
comment on column public.senders.new_recipients_per_month is
  'Most recipients this SIM may start texting per calendar month (business time zone); null = no limit. '
  'Carriers are reported to block consumer SIMs after 100-250 a month.';
comment on column public.senders.auto_registered is
  'Registered by its worker''s first claim (no identity known); register_sender adopts it.';

alter table public.senders enable row level security;
revoke all on table public.senders from public, anon, authenticated;
grant select, insert, update, delete on table public.senders to service_role;

-- The claim's pacing is kept per campaign and SIM (20261201000600_listener_api.sql): it goes with its SIM.
alter table internal.campaign_claims
  add constraint campaign_claims_sender_id_fkey foreign key (sender_id) references public.senders (id)
    on delete cascade;
revoke truncate, references, trigger on table public.senders from service_role;
revoke all on sequence public.senders_id_seq from public, anon, authenticated;
grant usage, select on sequence public.senders_id_seq to service_role;

-- Validation with errors a person in the dashboard can act on; identities normalised.
create function internal.senders_validate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_problem text;
begin
  new.imsi := nullif(pg_catalog.regexp_replace(coalesce(new.imsi, ''), '\s', '', 'g'), '');
  new.iccid := nullif(pg_catalog.regexp_replace(pg_catalog.upper(coalesce(new.iccid, '')), '\s|F$', '', 'g'), '');
  new.own_number := nullif(pg_catalog.btrim(coalesce(new.own_number, '')), '');
  new.worker_id := nullif(pg_catalog.btrim(coalesce(new.worker_id, '')), '');
  new.label := nullif(pg_catalog.btrim(coalesce(new.label, '')), '');
  if new.imsi is not null and new.imsi !~ '^[0-9]{5,15}$' then
    perform internal.refuse_value('senders', new.id, 'imsi',
      format('"%s" is not an IMSI (5 to 15 digits)', pg_catalog.left(new.imsi, 40)), 'AT+CIMI prints it.');
  end if;
  if new.iccid is not null and new.iccid !~ '^[0-9]{18,22}$' then
    perform internal.refuse_value('senders', new.id, 'iccid',
      format('"%s" is not an ICCID (18 to 22 digits, a trailing F is dropped)', pg_catalog.left(new.iccid, 40)),
      'AT+CCID, AT^ICCID? or AT+QCCID prints it.');
  end if;
  if new.imsi is null and new.iccid is null and not new.auto_registered then
    perform internal.refuse_value('senders', new.id, 'imsi',
      'a SIM needs an IMSI or an ICCID', 'register_sender() fills them from the modem.');
  end if;
  v_problem := internal.phone_problem(new.own_number);
  if new.own_number is not null and v_problem is not null then
    perform internal.refuse_value('senders', new.id, 'own_number', v_problem,
      'Write the SIM''s number in E.164 (+12095550100), or leave it empty when unknown.');
  end if;
  if new.status is null or new.status not in ('active', 'away', 'disabled') then
    perform internal.refuse_value('senders', new.id, 'status',
      format('"%s" is not a status', coalesce(new.status, 'null')), 'One of active, away, disabled.');
  end if;
  if (new.per_hour < 0 or new.per_hour > 100000) or (new.per_day < 0 or new.per_day > 1000000)
     or (new.new_recipients_per_day < 0 or new.new_recipients_per_day > 100000)
     or (new.new_recipients_per_month < 0 or new.new_recipients_per_month > 1000000) then
    perform internal.refuse_value('senders', new.id, 'limits',
      'a limit must be empty (off) or between 0 and 100,000 (per_day, new_recipients_per_month: 1,000,000)',
      'docs/sql-listener-api.md suggests values.');
  end if;
  if tg_op = 'UPDATE' and new.status is distinct from old.status then
    new.status_changed_at := pg_catalog.statement_timestamp();
  elsif tg_op = 'INSERT' then
    new.status_changed_at := pg_catalog.statement_timestamp();
  end if;
  new.updated_at := pg_catalog.statement_timestamp();
  return new;
end
$$;

create trigger senders_validate
  before insert or update on public.senders
  for each row execute function internal.senders_validate();

-- A SIM that has recipients or sent bubbles is never deleted (its history points at it): disable it.
create function internal.senders_refuse_delete()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if exists (select 1 from public.recipient_senders a where a.sender_id = old.id)
     or exists (select 1 from public.recipient_sender_moves v where old.id in (v.from_sender_id, v.to_sender_id))
     or exists (select 1 from public.messages m where m.sender_id = old.id) then
    raise exception 'senders row %: cannot delete a SIM that has recipients, moves or bubbles', old.id
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'update public.senders set status = ''disabled'' where id = ...; its recipients move to other SIMs.';
  end if;
  return old;
end
$$;

create trigger senders_refuse_delete
  before delete on public.senders
  for each row execute function internal.senders_refuse_delete();

-- ---------------------------------------------------------------------------------------------
-- Usage counters (internal: kept by the claim, read by sender_status)
-- ---------------------------------------------------------------------------------------------
create table internal.sender_counters (
  sender_id bigint primary key references public.senders (id) on delete cascade,
  hour_start timestamptz not null,
  sent_this_hour integer not null default 0,
  day date not null,
  sent_today integer not null default 0,
  new_today integer not null default 0,
  month date not null,
  new_this_month integer not null default 0,
  last_claim_at timestamptz
);

comment on table internal.sender_counters is
  'Per SIM: bubbles claimed in the current calendar hour and day, recipients started today and this month '
  '(business time zone). A row of an earlier period counts as zero.';

revoke all on table internal.sender_counters from public, anon, authenticated, service_role;

-- The calendar periods (business time zone) that contain `moment`, and when the next of each starts (the
-- moment a limit of that period rolls over; next_bubble_due_at wakes a SIM at its limit then).
create function internal.sender_periods(moment timestamptz, out hour_start timestamptz, out day date, out month date,
                                        out next_hour timestamptz, out next_day timestamptz, out next_month timestamptz)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_zone text;
  v_local timestamp;
begin
  select w.time_zone into v_zone from public.send_window w where w.id;
  v_zone := coalesce(v_zone, 'America/Los_Angeles');
  v_local := $1 at time zone v_zone;
  hour_start := pg_catalog.date_trunc('hour', v_local) at time zone v_zone;
  day := v_local::date;
  month := pg_catalog.date_trunc('month', v_local)::date;
  next_hour := hour_start + interval '1 hour';
  next_day := (day + 1)::timestamp at time zone v_zone;
  next_month := (month + interval '1 month')::timestamp at time zone v_zone;
end
$$;

-- Count one claim (and `new_recipients` recipients started) for a SIM, rolling the periods over.
create function internal.count_claim(sender_id bigint, moment timestamptz, new_recipients integer)
returns void
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  insert into internal.sender_counters as c
         (sender_id, hour_start, sent_this_hour, day, sent_today, new_today, month, new_this_month, last_claim_at)
  select $1, p.hour_start, 1, p.day, 1, $3, p.month, $3, $2
    from internal.sender_periods($2) p
  on conflict on constraint sender_counters_pkey do update
     set sent_this_hour = case when c.hour_start = excluded.hour_start then c.sent_this_hour + 1 else 1 end,
         hour_start = excluded.hour_start,
         sent_today = case when c.day = excluded.day then c.sent_today + 1 else 1 end,
         new_today = case when c.day = excluded.day then c.new_today + $3 else $3 end,
         day = excluded.day,
         new_this_month = case when c.month = excluded.month then c.new_this_month + $3 else $3 end,
         month = excluded.month,
         last_claim_at = greatest(c.last_claim_at, $2);
end
$$;

-- Count `new_recipients` recipients started by a SIM without a claim (a pin by a person).
create function internal.count_new_recipient(sender_id bigint, moment timestamptz)
returns void
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
begin
  insert into internal.sender_counters as c
         (sender_id, hour_start, sent_this_hour, day, sent_today, new_today, month, new_this_month)
  select $1, p.hour_start, 0, p.day, 0, 1, p.month, 1
    from internal.sender_periods($2) p
  on conflict on constraint sender_counters_pkey do update
     set sent_this_hour = case when c.hour_start = excluded.hour_start then c.sent_this_hour else 0 end,
         hour_start = excluded.hour_start,
         sent_today = case when c.day = excluded.day then c.sent_today else 0 end,
         new_today = case when c.day = excluded.day then c.new_today + 1 else 1 end,
         day = excluded.day,
         new_this_month = case when c.month = excluded.month then c.new_this_month + 1 else 1 end,
         month = excluded.month;
end
$$;

-- Every SIM with what it may still do at `moment`: the one place that applies the limits, liveness and
-- handover rules (the claim and sender_status both read it). 64 SIMs = 64 rows: cheap per claim.
--   alive        status active and seen (heartbeat, registration, claim) within alive_after
--   messages_left  least(per_hour - this hour, per_day - today), null = no limit
--   new_left     least(new per day - today, new per month - this month), null = no limit
--   handover     disabled, or away / not seen for longer than handover_after: its recipients may move
create function internal.sender_usage(moment timestamptz)
returns table (sender_id bigint, status text, alive boolean, seen_at timestamptz, away_since timestamptz,
               handover boolean, sent_this_hour integer, sent_today integer, new_today integer,
               new_this_month integer, messages_left integer, new_left integer, idle_reason text)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return query
  select s.id, s.status, u.alive, u.seen_at, u.away_since,
         h.handover_at <= $1,  -- the one rule of internal.sender_handovers
         u.sent_this_hour, u.sent_today, u.new_today, u.new_this_month,
         -- least/greatest skip nulls: a limit that is off does not count, both off = null (no limit).
         case when coalesce(s.per_hour, s.per_day) is not null
              then greatest(least(s.per_hour - u.sent_this_hour, s.per_day - u.sent_today), 0) end,
         case when coalesce(s.new_recipients_per_day, s.new_recipients_per_month) is not null
              then greatest(least(s.new_recipients_per_day - u.new_today,
                                  s.new_recipients_per_month - u.new_this_month), 0) end,
         case
           when s.status = 'disabled' then
             'disabled by a person' || coalesce(': ' || s.status_note, '')
           when s.status = 'away' then
             format('away since %s%s', to_char(s.status_changed_at at time zone w.time_zone, 'YYYY-MM-DD HH24:MI'),
                    coalesce(': ' || s.status_note, ''))
           when not u.alive and s.modem_health ->> 'available' = 'false' then
             format('its listener %s runs without its modem since %s%s', s.worker_id,
                    coalesce(to_char(u.seen_at at time zone w.time_zone, 'YYYY-MM-DD HH24:MI:SS'), 'registration'),
                    coalesce(': ' || pg_catalog.left(s.last_error, 200), ''))
           when not u.alive then
             format('not seen since %s', coalesce(to_char(u.seen_at at time zone w.time_zone, 'YYYY-MM-DD HH24:MI:SS'),
                                                  'registration'))
           when s.per_hour is not null and u.sent_this_hour >= s.per_hour then
             format('hourly limit reached (%s of %s); rolls over at %s', u.sent_this_hour, s.per_hour,
                    to_char((p.hour_start + interval '1 hour') at time zone w.time_zone, 'HH24:MI'))
           when s.per_day is not null and u.sent_today >= s.per_day then
             format('daily limit reached (%s of %s); rolls over at midnight', u.sent_today, s.per_day)
         end
    from public.senders s
   cross join public.send_window w
   cross join internal.sender_settings() cfg
   cross join internal.sender_periods($1) p
    join internal.sender_handovers() h on h.sender_id = s.id
    left join internal.sender_counters c on c.sender_id = s.id
   cross join lateral (
     select greatest(s.last_seen_at, c.last_claim_at) as seen_at,
            case when c.hour_start = p.hour_start then c.sent_this_hour else 0 end as sent_this_hour,
            case when c.day = p.day then c.sent_today else 0 end as sent_today,
            case when c.day = p.day then c.new_today else 0 end as new_today,
            case when c.month = p.month then c.new_this_month else 0 end as new_this_month
   ) k
   cross join lateral (
     select s.status = 'active' and coalesce(k.seen_at >= $1 - cfg.alive_after, false) as alive,
            k.seen_at,
            h.away_since,
            coalesce(k.sent_this_hour, 0) as sent_this_hour, coalesce(k.sent_today, 0) as sent_today,
            coalesce(k.new_today, 0) as new_today, coalesce(k.new_this_month, 0) as new_this_month
   ) u
   where w.id;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- recipient_senders: which SIM a recipient hears from (sticky), and the history of every assignment
-- ---------------------------------------------------------------------------------------------
create table public.recipient_senders (
  phone_number text primary key,
  sender_id bigint not null references public.senders (id),
  assigned_at timestamptz not null default now(),
  pinned boolean not null default false,
  why text not null default 'assigned by a person',
  constraint recipient_senders_phone_number_e164 check (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint recipient_senders_why_length check (length(why) between 1 and 500),
  constraint recipient_senders_assigned_at_finite check (isfinite(assigned_at))
);

comment on table public.recipient_senders is
  'Which SIM each recipient hears from: set by the first claim of a bubble for them (the alive SIM with the '
  'most room), kept for every later campaign, moved only when its SIM is handed over (away/disabled; never '
  'when pinned) or by a person (pin_recipient). Every change is in recipient_sender_moves.';

create index recipient_senders_sender_idx on public.recipient_senders (sender_id);

alter table public.recipient_senders enable row level security;
revoke all on table public.recipient_senders from public, anon, authenticated;
grant select, insert, update, delete on table public.recipient_senders to service_role;
revoke truncate, references, trigger on table public.recipient_senders from service_role;

create table public.recipient_sender_moves (
  id bigint generated always as identity primary key,
  phone_number text not null,
  from_sender_id bigint references public.senders (id),
  to_sender_id bigint references public.senders (id),
  kind text not null,
  reason text not null,
  moved_by text not null,
  message_id bigint,
  moved_at timestamptz not null default statement_timestamp(),
  constraint recipient_sender_moves_kind_check check (kind in ('first', 'handover', 'pin', 'person'))
);

comment on table public.recipient_sender_moves is
  'Append-only history of recipient_senders: kind first (first text), handover (its SIM was away or '
  'disabled), pin (pin_recipient), person (a direct edit); from/to SIM, when, why, who (moved_by: the '
  'claiming worker, or the database role of the person), the bubble whose claim made it.';

create index recipient_sender_moves_phone_idx on public.recipient_sender_moves (phone_number, moved_at);
create index recipient_sender_moves_moved_idx on public.recipient_sender_moves (moved_at) where kind <> 'first';

alter table public.recipient_sender_moves enable row level security;
-- Written only by the functions and triggers below (owner postgres): service_role reads it.
revoke all on table public.recipient_sender_moves from public, anon, authenticated, service_role;
grant select on table public.recipient_sender_moves to service_role;
revoke all on sequence public.recipient_sender_moves_id_seq from public, anon, authenticated, service_role;

create function internal.moves_append_only()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  raise exception 'recipient_sender_moves row %: the history of moves is append-only', old.id
    using errcode = 'object_not_in_prerequisite_state';
end
$$;

create trigger recipient_sender_moves_append_only
  before update or delete on public.recipient_sender_moves
  for each row execute function internal.moves_append_only();

-- The writer name of the functions that assign recipients (internal.writer(): a person's plain
-- statement on recipient_senders is guarded and recorded by the trigger below; these record their own).
insert into internal.writers (writer, function_name) values
  ('route', 'internal.take_recipient'),
  ('route', 'internal.reroute_new'),
  ('route', 'internal.reroute_all'),
  ('route', 'public.pin_recipient'),
  ('route', 'internal.assign_recipient_if_new');

-- ---------------------------------------------------------------------------------------------
-- messages.sender_id: while queued, the SIM the bubble is routed to (its recipient's; null = their SIM
-- is not known yet); once claimed, the SIM that has or had it. Kept by the claim and the routing
-- functions only: it is what "served by one SIM" is checked against, and each SIM's claims walk their
-- own route (index messages_route_idx) instead of the whole queue. The route is a hint the claim always
-- checks against recipient_senders: a wrong route can delay a bubble, never send it from another SIM.
-- ---------------------------------------------------------------------------------------------
alter table public.messages add column sender_id bigint references public.senders (id);
comment on column public.messages.sender_id is
  'Queued: the SIM the bubble is routed to (null = its recipient has no SIM yet); claimed: the SIM that has '
  'or had it. Kept by claim_next_bubble and the routing functions only.';
-- sender_status: sent today per SIM; the handover check: a recipient's bubble being sent; the reply
-- bubbles a SIM at its message limit may still claim.
-- Each SIM's queue, in claim order; coalesce(sender_id, 0): the bubbles not routed yet (new recipients).
create index messages_route_idx on public.messages ((coalesce(sender_id, 0)), id) where status = 'queued';
create index messages_sender_sent_idx on public.messages (sender_id, sent_at) where status = 'sent';
create index messages_live_phone_idx on public.messages (phone_number) where status in ('queued', 'sending');
create index messages_queued_replies_idx on public.messages (id)
  where status = 'queued' and scheduled_message_id is null;

-- Has this recipient a message under way: a bubble with a modem, or a queued one whose earlier bubble
-- of the same message went out (or may have)? Moving them now would split that message across SIMs.
create function internal.message_under_way(phone_number text)
returns bigint
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
begin
  return (
  select m.id
    from public.messages m
   where m.phone_number = $1
     and m.status in ('queued', 'sending')
     and (m.status = 'sending'
          or exists (select 1 from public.messages e
                      where e.scheduled_message_id = m.scheduled_message_id
                        and e.bubble_index < m.bubble_index
                        and e.status in ('sent', 'unknown')))
   order by m.id
   limit 1);
end
$$;

create function internal.messages_sender_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_periods record;
begin
  if old.status = 'sending' and new.status = 'queued' then
    -- Back in the queue (nothing left the modem), routed to the same SIM. A release does not count the
    -- attempt, so it does not count against the SIM's limits either.
    if new.attempts < old.attempts and old.sender_id is not null then
      select * into v_periods from internal.sender_periods(old.claimed_at);
      update internal.sender_counters c
         set sent_this_hour = case when c.hour_start = v_periods.hour_start then greatest(c.sent_this_hour - 1, 0)
                                   else c.sent_this_hour end,
             sent_today = case when c.day = v_periods.day then greatest(c.sent_today - 1, 0) else c.sent_today end
       where c.sender_id = old.sender_id;
    end if;
  end if;
  if new.sender_id is distinct from old.sender_id and internal.writer() not in ('claim', 'route') then
    raise exception 'messages row %: sender_id is kept by claim_next_bubble (the SIM that has the bubble)', old.id
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'To change which SIM a recipient hears from, use pin_recipient().';
  end if;
  return new;
end
$$;

create trigger messages_sender_guard
  before update on public.messages
  for each row execute function internal.messages_sender_guard();

-- A new bubble (promotion) is routed to its recipient's SIM, if they have one.
create function internal.messages_route_inserted()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.sender_id := (select a.sender_id from public.recipient_senders a where a.phone_number = new.phone_number);
  return new;
end
$$;

create trigger messages_route_inserted
  before insert on public.messages
  for each row execute function internal.messages_route_inserted();

-- Route a recipient's unrouted queued bubbles to their new SIM. Rows another claimer holds are skipped
-- (never waited for: it may be waiting for us); they stay unrouted, which the claim handles.
create function internal.reroute_new(phone_number text, sender_id bigint)
returns void
language plpgsql
volatile
set search_path = ''
set sms.writer = 'route'
as $$
begin
  update public.messages m
     set sender_id = $2
   where m.id in (select q.id from public.messages q
                   where q.phone_number = $1 and q.status = 'queued' and q.sender_id is null
                     for update skip locked);
end
$$;

-- Route every queued bubble of a recipient to `sender_id` (null: unrouted), all or nothing: false (and
-- nothing changed) when a claimer holds one of them right now. Never waits, so no deadlock with a claimer
-- that holds a bubble and waits for the assignment row its caller has locked.
create function internal.reroute_all(phone_number text, sender_id bigint)
returns boolean
language plpgsql
volatile
set search_path = ''
set sms.writer = 'route'
as $$
begin
  begin
    perform 1 from public.messages q where q.phone_number = $1 and q.status = 'queued' for update nowait;
  exception when lock_not_available then
    return false;
  end;
  update public.messages m
     set sender_id = $2
   where m.phone_number = $1 and m.status = 'queued' and m.sender_id is distinct from $2;
  return true;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- Assignments made by the claim
-- ---------------------------------------------------------------------------------------------
-- The sender row of a worker, registering the worker as its own sender on its first claim.
create function internal.worker_sender(worker_id text)
returns public.senders
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_sender public.senders;
begin
  select * into v_sender from public.senders s where s.worker_id = $1;
  if found then
    return v_sender;
  end if;
  insert into public.senders (worker_id, auto_registered, label, last_seen_at, registered_at)
  values ($1, true, pg_catalog.left('worker ' || $1, 100), pg_catalog.statement_timestamp(),
          pg_catalog.statement_timestamp())
  on conflict on constraint senders_worker_id_unique do nothing;
  select * into v_sender from public.senders s where s.worker_id = $1;
  return v_sender;
end
$$;

-- When each SIM's waiting recipients may be handed over to other SIMs: at once when disabled, else
-- handover_after after it went away (status away) or was last seen (heartbeat, registration, claim). A SIM
-- is handed over while handover_at <= now. The one copy of the rule: read by sender_usage (for people and
-- take_recipient), by the claim (claim_route) and by next_bubble_due_at (the moment another SIM's
-- recipients would come free).
create function internal.sender_handovers()
returns table (sender_id bigint, away_since timestamptz, handover_at timestamptz)
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_settings public.sender_settings;
begin
  v_settings := internal.sender_settings();
  return query
  select s.id, a.away_since,
         case when s.status = 'disabled' then '-infinity'::timestamptz
              else a.away_since + v_settings.handover_after end
    from public.senders s
    left join internal.sender_counters c on c.sender_id = s.id
   cross join lateral (
     select case when s.status = 'away' then s.status_changed_at
                 else coalesce(greatest(s.last_seen_at, c.last_claim_at), s.created_at) end as away_since
   ) a;
end
$$;

-- What one SIM's limits leave it at `moment` (read-only; the rules of sender_usage, for one row: this runs
-- on every claim). The one place the claim (claim_route) and next_bubble_due_at read them:
--   at_limit          a message limit (per_hour, per_day) is reached: only reply bubbles go
--   messages_free_at  when at_limit: when the limits reached roll over (calendar periods of sender_periods;
--                     null: a limit of 0, never)
--   new_left          recipients it may still start (null = no limit)
--   new_free_at       when new_left = 0: when the new-recipient limits reached roll over (null: never)
--   most_room         no other alive SIM that may still send has more room for new recipients (unlimited
--                     counts as more than any number; ties go to whoever claims first)
--   can_take_new      it may start a new recipient now: not at_limit, room left, most_room
--   handover_from     the other SIMs handed over now (sender_handovers): their unpinned recipients may move
create function internal.sender_room(sender_id bigint, moment timestamptz)
returns table (at_limit boolean, messages_free_at timestamptz, new_left integer, new_free_at timestamptz,
               most_room boolean, can_take_new boolean, handover_from bigint[])
language plpgsql
stable
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_sender public.senders;
  v_own record;
  v_best_other integer;
  v_room integer;
begin
  select * into v_sender from public.senders s where s.id = $1;
  if not found then
    raise exception 'sender_room: no senders row %', coalesce($1::text, 'null') using errcode = 'P0002';
  end if;
  select case when coalesce(v_sender.per_hour, v_sender.per_day) is not null
              then greatest(least(v_sender.per_hour - k.sent_this_hour, v_sender.per_day - k.sent_today), 0) end
           as messages_left,
         case when coalesce(v_sender.new_recipients_per_day, v_sender.new_recipients_per_month) is not null
              then greatest(least(v_sender.new_recipients_per_day - k.new_today,
                                  v_sender.new_recipients_per_month - k.new_this_month), 0) end
           as new_left,
         -- greatest() skips nulls: the later rollover of the limits that are reached.
         greatest(case when v_sender.per_hour - k.sent_this_hour <= 0 then p.next_hour end,
                  case when v_sender.per_day - k.sent_today <= 0 then p.next_day end) as messages_free_at,
         greatest(case when v_sender.new_recipients_per_day - k.new_today <= 0 then p.next_day end,
                  case when v_sender.new_recipients_per_month - k.new_this_month <= 0 then p.next_month end)
           as new_free_at
    into v_own
    from internal.sender_periods($2) p
    left join internal.sender_counters c on c.sender_id = v_sender.id
   cross join lateral (
     select case when c.hour_start = p.hour_start then c.sent_this_hour else 0 end as sent_this_hour,
            case when c.day = p.day then c.sent_today else 0 end as sent_today,
            case when c.day = p.day then c.new_today else 0 end as new_today,
            case when c.month = p.month then c.new_this_month else 0 end as new_this_month
   ) k;
  at_limit := v_own.messages_left is not null and v_own.messages_left <= 0;
  -- A limit of 0 never rolls over into room.
  messages_free_at := case when at_limit and coalesce(v_sender.per_hour, 1) > 0 and coalesce(v_sender.per_day, 1) > 0
                           then v_own.messages_free_at end;
  new_left := v_own.new_left;
  new_free_at := case when new_left = 0 and coalesce(v_sender.new_recipients_per_day, 1) > 0
                           and coalesce(v_sender.new_recipients_per_month, 1) > 0
                      then v_own.new_free_at end;
  -- Room for new recipients: unlimited (null) counts as more than any number, so an unlimited SIM need
  -- not look at the others; a limited one compares with every other alive SIM that may still send.
  v_room := coalesce(new_left, 2147483647);
  if new_left is not null then
    select max(coalesce(u.new_left, 2147483647)) into v_best_other
      from internal.sender_usage($2) u
     where u.sender_id <> v_sender.id and u.alive and coalesce(u.messages_left, 1) > 0;
  end if;
  most_room := v_room >= coalesce(v_best_other, 0);
  can_take_new := not at_limit and v_room > 0 and most_room;
  select coalesce(array_agg(h.sender_id), '{}'::bigint[]) into handover_from
    from internal.sender_handovers() h
   where h.sender_id <> v_sender.id and h.handover_at <= $2;
  return next;
end
$$;

-- What the claiming worker's SIM may take now (one row): sender_id null = nothing (disabled, away, or at
-- a message limit with no reply waiting); can_take_new = it may start a new recipient (it has room, and
-- no other alive SIM has more); handover_from = the SIMs whose waiting recipients may be taken over.
-- Volatile only because worker_sender registers a worker on its first claim; the rules are sender_room's.
create function internal.claim_route(worker_id text, moment timestamptz)
returns table (sender_id bigint, can_take_new boolean, at_limit boolean, handover_from bigint[])
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_sender public.senders;
  v_room record;
begin
  v_sender := internal.worker_sender($1);
  if v_sender.status is distinct from 'active' then
    return;  -- away or disabled: it claims nothing (sender_status says why)
  end if;
  select * into v_room from internal.sender_room(v_sender.id, $2);
  at_limit := v_room.at_limit;
  if at_limit and not exists (select 1 from public.messages m
                               where m.status = 'queued' and m.scheduled_message_id is null) then
    return;  -- only reply bubbles pass the message limits, and none is waiting
  end if;
  sender_id := v_sender.id;
  can_take_new := v_room.can_take_new;
  handover_from := v_room.handover_from;
  return next;
end
$$;

-- Make `sender_id` the recipient's SIM when they have none (seen_owner null: a first text) or when their
-- SIM `seen_owner` is handed over; returns the recipient's SIM afterwards (another one when a concurrent
-- claimer won, or seen_owner when a bubble of theirs is still with a modem). Two claimers cannot both
-- win: the insert waits for a concurrent insert of the same phone number (primary key) and then does
-- nothing; the move locks the row and re-checks its owner.
create function internal.take_recipient(phone_number text, sender_id bigint, seen_owner bigint, moment timestamptz,
                                        message_id bigint, worker_id text)
returns bigint
language plpgsql
volatile
set search_path = ''
set sms.writer = 'route'
as $$
declare
  v_owner bigint;
  v_pinned boolean;
  v_usage record;
  v_reason text;
begin
  if $3 is null then
    insert into public.recipient_senders as a (phone_number, sender_id, assigned_at, pinned, why)
    values ($1, $2, $4, false, 'first texted by this SIM')
    on conflict on constraint recipient_senders_pkey do nothing;
    if found then
      insert into public.recipient_sender_moves (phone_number, from_sender_id, to_sender_id, kind, reason, moved_by,
                                                 message_id, moved_at)
      values ($1, null, $2, 'first', 'first text: the alive SIM with the most room for new recipients',
              'worker ' || $6, $5, $4);
      perform internal.reroute_new($1, $2);
      return $2;
    end if;
    select a.sender_id into v_owner from public.recipient_senders a where a.phone_number = $1;
    return v_owner;
  end if;

  select a.sender_id, a.pinned into v_owner, v_pinned
    from public.recipient_senders a where a.phone_number = $1 for update;
  if v_owner is distinct from $3 or v_pinned then
    return v_owner;
  end if;
  if exists (select 1 from public.messages m where m.phone_number = $1 and m.status = 'sending') then
    return v_owner;  -- a bubble of theirs is with a modem (it becomes unknown after the claim lease)
  end if;
  select * into v_usage from internal.sender_usage($4) u where u.sender_id = $3;
  v_reason := case when v_usage.status = 'disabled' then format('sender %s disabled by a person', $3)
                   else format('sender %s away since %s (longer than sender_settings.handover_after)', $3,
                               to_char(v_usage.away_since at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"')) end;
  if internal.message_under_way($1) is not null then
    v_reason := v_reason || '; a message under way continues from the new SIM';
  end if;
  if not internal.reroute_all($1, $2) then
    return v_owner;  -- another claimer holds one of their bubbles right now: a later claim moves them
  end if;
  update public.recipient_senders a
     set sender_id = $2, assigned_at = $4, why = pg_catalog.left(v_reason, 500)
   where a.phone_number = $1;
  insert into public.recipient_sender_moves (phone_number, from_sender_id, to_sender_id, kind, reason, moved_by,
                                             message_id, moved_at)
  values ($1, $3, $2, 'handover', v_reason, 'worker ' || $6, $5, $4);
  return $2;
end
$$;

-- For the inbound side (issue 12): a number that texted a SIM before we ever texted them is that SIM's
-- recipient (their replies and our answers stay on one number). Does nothing when they have a SIM.
create function internal.assign_recipient_if_new(phone_number text, worker_id text, why text)
returns bigint
language plpgsql
volatile
set search_path = ''
set sms.writer = 'route'
as $$
declare
  v_sender public.senders;
  v_owner bigint;
begin
  if internal.phone_problem($1) is not null then
    return null;
  end if;
  v_sender := internal.worker_sender(pg_catalog.btrim($2));
  insert into public.recipient_senders (phone_number, sender_id, assigned_at, why)
  values ($1, v_sender.id, pg_catalog.statement_timestamp(), pg_catalog.left(coalesce($3, 'texted this SIM first'), 500))
  on conflict on constraint recipient_senders_pkey do nothing;
  if found then
    insert into public.recipient_sender_moves (phone_number, from_sender_id, to_sender_id, kind, reason, moved_by)
    values ($1, null, v_sender.id, 'first', coalesce($3, 'texted this SIM first'), 'worker ' || $2);
    perform internal.count_new_recipient(v_sender.id, pg_catalog.statement_timestamp());
    perform internal.reroute_new($1, v_sender.id);
  end if;
  select a.sender_id into v_owner from public.recipient_senders a where a.phone_number = $1;
  return v_owner;
end
$$;

-- A person's plain statement on recipient_senders (the dashboard): refused while it would split a message
-- under way across SIMs, and recorded in the moves. Writers that record their own moves pass.
create function internal.recipient_senders_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_phone constant text := case when tg_op = 'DELETE' then old.phone_number else new.phone_number end;
  v_bubble bigint;
begin
  if internal.writer() <> 'person' then
    return case when tg_op = 'DELETE' then old else new end;
  end if;
  if tg_op = 'UPDATE' and new.phone_number is distinct from old.phone_number then
    raise exception 'recipient_senders: the phone number of an assignment cannot change (%)', pg_catalog.left(old.phone_number, 6) || '…'
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Delete it and insert the other number, or use pin_recipient().';
  end if;
  if tg_op = 'INSERT' or (tg_op = 'UPDATE' and new.sender_id is distinct from old.sender_id) or tg_op = 'DELETE' then
    v_bubble := internal.message_under_way(v_phone);
    if v_bubble is not null then
      raise exception 'recipient_senders: cannot move this recipient now: their message is under way (messages row %), and every bubble of a message leaves from one SIM', v_bubble
        using errcode = 'object_not_in_prerequisite_state',
              hint = 'Wait until that message is sent (or cancel it), then move them; pin_recipient() says the same.';
    end if;
  end if;
  if tg_op <> 'DELETE' then
    if not exists (select 1 from public.senders s where s.id = new.sender_id and s.status <> 'disabled') then
      raise exception 'recipient_senders: sender % does not exist or is disabled', new.sender_id
        using errcode = 'foreign_key_violation';
    end if;
    new.why := coalesce(nullif(pg_catalog.btrim(new.why), ''), 'assigned by a person');
  end if;
  if tg_op = 'INSERT' then
    perform internal.reroute_new(new.phone_number, new.sender_id);
  elsif (tg_op = 'DELETE' or new.sender_id is distinct from old.sender_id)
        and not internal.reroute_all(v_phone, case when tg_op = 'DELETE' then null else new.sender_id end) then
    raise exception 'recipient_senders: a listener is claiming a bubble of this recipient right now; try again in a moment'
      using errcode = 'lock_not_available';
  end if;
  if tg_op = 'DELETE' or new.sender_id is distinct from old.sender_id or tg_op = 'INSERT' then
    insert into public.recipient_sender_moves (phone_number, from_sender_id, to_sender_id, kind, reason, moved_by)
    values (v_phone,
            case when tg_op = 'INSERT' then null else old.sender_id end,
            case when tg_op = 'DELETE' then null else new.sender_id end,
            'person',
            case when tg_op = 'DELETE' then 'assignment deleted by a person: the next claim assigns them anew'
                 else pg_catalog.left(new.why, 500) end,
            session_user);
  end if;
  return case when tg_op = 'DELETE' then old else new end;
end
$$;

create trigger recipient_senders_guard
  before insert or update or delete on public.recipient_senders
  for each row execute function internal.recipient_senders_guard();

-- ---------------------------------------------------------------------------------------------
-- Heartbeats keep the sender row alive: record_listener_heartbeat() writes listener_status, and the SIM
-- used by that worker gets the same health (merged: the registration's keys stay) and, only while the
-- listener says its modem is there ("available" not false), the same moment: a box that keeps running
-- after its modem was unplugged (or its SIM taken out) must not keep that SIM alive, or its recipients
-- would wait for it for ever instead of being handed over after sender_settings.handover_after.
-- ---------------------------------------------------------------------------------------------
create function internal.listener_status_to_sender()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.senders s
     set last_seen_at = case when (new.modem_health ->> 'available') is distinct from 'false'
                             then greatest(s.last_seen_at, new.last_seen_at) else s.last_seen_at end,
         modem_health = case when pg_column_size(s.modem_health || new.modem_health) <= 16384
                             then s.modem_health || new.modem_health else new.modem_health end,
         last_error = case when new.modem_health ? 'last_error'
                           then pg_catalog.left(new.modem_health ->> 'last_error', 2000) else s.last_error end
   where s.worker_id = new.worker_id;
  return null;
end
$$;

create trigger listener_status_to_sender
  after insert or update on public.listener_status
  for each row execute function internal.listener_status_to_sender();

-- ---------------------------------------------------------------------------------------------
-- register_sender: a listener at start (and with its heartbeat, if it likes) says which SIM it uses.
-- ---------------------------------------------------------------------------------------------
create function public.register_sender(worker_id text, imsi text, iccid text, own_number text, modem jsonb)
returns public.senders
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_worker constant text := pg_catalog.btrim(coalesce(register_sender.worker_id, ''));
  v_imsi constant text := nullif(pg_catalog.regexp_replace(coalesce(register_sender.imsi, ''), '\s', '', 'g'), '');
  v_iccid constant text := nullif(pg_catalog.regexp_replace(pg_catalog.upper(coalesce(register_sender.iccid, '')),
                                                            '\s|F$', '', 'g'), '');
  v_number constant text := nullif(pg_catalog.btrim(coalesce(register_sender.own_number, '')), '');
  v_modem constant jsonb := coalesce(register_sender.modem, '{}'::jsonb);
  v_moment constant timestamptz := pg_catalog.statement_timestamp();
  v_by_imsi public.senders;
  v_by_iccid public.senders;
  v_row public.senders;
begin
  if v_worker = '' or pg_catalog.length(v_worker) > 100 then
    raise exception 'register_sender: worker_id must be 1 to 100 characters' using errcode = '22023';
  end if;
  if v_imsi is null and v_iccid is null then
    raise exception 'register_sender (worker %): the SIM has neither an IMSI nor an ICCID', v_worker
      using errcode = '22023',
            hint = 'Read AT+CIMI and AT+CCID (AT^ICCID? on Huawei, AT+QCCID on Quectel); a worker that cannot is '
                   'registered as its own sender by its first claim.';
  end if;
  if v_imsi !~ '^[0-9]{5,15}$' then
    raise exception 'register_sender (worker %): imsi "%" is not an IMSI (5 to 15 digits)', v_worker, pg_catalog.left(v_imsi, 40)
      using errcode = '22023', hint = 'AT+CIMI prints it; pass null when the modem cannot read it.';
  end if;
  if v_iccid !~ '^[0-9]{18,22}$' then
    raise exception 'register_sender (worker %): iccid "%" is not an ICCID (18 to 22 digits, a trailing F is dropped)',
      v_worker, pg_catalog.left(v_iccid, 40)
      using errcode = '22023', hint = 'AT+CCID, AT^ICCID? or AT+QCCID prints it; pass null when the modem cannot read it.';
  end if;
  if jsonb_typeof(v_modem) <> 'object' then
    raise exception 'register_sender (worker %): modem must be a JSON object, not %', v_worker, jsonb_typeof(v_modem)
      using errcode = '22023';
  end if;
  if v_number is not null and internal.phone_problem(v_number) is not null then
    raise exception 'register_sender (worker %): own_number: %', v_worker, internal.phone_problem(v_number)
      using errcode = '22023', hint = 'Pass null when the SIM does not know its number (SIM_NUMBER sets it).';
  end if;

  -- Serialise registrations (rare): the IMSI/ICCID/worker matching below must see one state.
  perform pg_catalog.pg_advisory_xact_lock(1397572436, 0);
  if v_imsi is not null then
    select * into v_by_imsi from public.senders s where s.imsi = v_imsi;
  end if;
  if v_iccid is not null then
    select * into v_by_iccid from public.senders s where s.iccid = v_iccid;
  end if;
  if v_by_imsi.id is not null and v_by_iccid.id is not null and v_by_imsi.id <> v_by_iccid.id then
    raise exception 'register_sender (worker %): IMSI % is senders row % but ICCID % is senders row %', v_worker,
      v_imsi, v_by_imsi.id, v_iccid, v_by_iccid.id
      using errcode = '23505', hint = 'A person must merge or correct the two rows in public.senders.';
  end if;
  v_row := coalesce(v_by_imsi, v_by_iccid);
  if v_row.id is null then
    -- A SIM nobody registered: adopt this worker's self-registered row (it already texts its recipients).
    select * into v_row from public.senders s where s.worker_id = v_worker and s.auto_registered;
  end if;
  -- The worker now uses this SIM: no other row is its.
  update public.senders s set worker_id = null
   where s.worker_id = v_worker and s.id is distinct from v_row.id;

  if v_row.id is null then
    insert into public.senders (imsi, iccid, own_number, worker_id, modem_health, last_error, last_seen_at,
                                registered_at)
    values (v_imsi, v_iccid, v_number, v_worker, v_modem, pg_catalog.left(v_modem ->> 'last_error', 2000),
            v_moment, v_moment)
    returning * into v_row;
  else
    update public.senders s
       set imsi = coalesce(v_imsi, s.imsi),
           iccid = coalesce(v_iccid, s.iccid),
           own_number = coalesce(v_number, s.own_number),
           worker_id = v_worker,
           auto_registered = false,
           label = case when s.auto_registered and s.label = pg_catalog.left('worker ' || v_worker, 100) then null
                        else s.label end,
           status = case when s.status = 'disabled' then 'disabled' else 'active' end,
           modem_health = case when pg_column_size(s.modem_health || v_modem) <= 16384 then s.modem_health || v_modem
                               else v_modem end,
           last_error = case when v_modem ? 'last_error' then pg_catalog.left(v_modem ->> 'last_error', 2000)
                             else s.last_error end,
           last_seen_at = v_moment,
           registered_at = v_moment
     where s.id = v_row.id
    returning * into v_row;
  end if;
  return v_row;
end
$$;

comment on function public.register_sender(text, text, text, text, jsonb) is
  'A listener says which SIM it uses: upsert by IMSI, else ICCID (own_number null = unknown, keeps a known one; '
  'modem = health JSON). The worker leaves any other row; a disabled SIM stays disabled. Returns the row.';
revoke all on function public.register_sender(text, text, text, text, jsonb) from public, anon, authenticated;
grant execute on function public.register_sender(text, text, text, text, jsonb) to service_role;

-- ---------------------------------------------------------------------------------------------
-- pin_recipient: a person decides which SIM a recipient hears from; automatic moves leave them alone.
-- ---------------------------------------------------------------------------------------------
create function public.pin_recipient(phone_number text, sender_id bigint, note text)
returns public.recipient_senders
language plpgsql
volatile
security definer
set search_path = ''
set sms.writer = 'route'
as $$
declare
  v_phone constant text := pg_catalog.btrim(coalesce(pin_recipient.phone_number, ''));
  v_note constant text := pg_catalog.left(coalesce(nullif(pg_catalog.btrim(coalesce(pin_recipient.note, '')), ''),
                                                   'pinned by a person'), 500);
  v_moment constant timestamptz := pg_catalog.statement_timestamp();
  v_sender public.senders;
  v_usage record;
  v_old public.recipient_senders;
  v_row public.recipient_senders;
  v_bubble bigint;
begin
  if internal.phone_problem(v_phone) is not null then
    raise exception 'pin_recipient: %', internal.phone_problem(v_phone) using errcode = '22023';
  end if;
  select * into v_sender from public.senders s where s.id = pin_recipient.sender_id;
  if not found then
    raise exception 'pin_recipient: no sender %', coalesce(pin_recipient.sender_id::text, 'null')
      using errcode = 'P0002', hint = 'select id, own_number, worker_id from public.sender_status();';
  end if;
  if v_sender.status = 'disabled' then
    raise exception 'pin_recipient: sender % is disabled', v_sender.id using errcode = '55000';
  end if;
  select * into v_old from public.recipient_senders a where a.phone_number = v_phone for update;
  if v_old.sender_id is distinct from v_sender.id then
    v_bubble := internal.message_under_way(v_phone);
    if v_bubble is not null then
      raise exception 'pin_recipient: their message is under way from sender % (messages row %): every bubble of a message leaves from one SIM',
        v_old.sender_id, v_bubble
        using errcode = '55000', hint = 'Pin them once that message is sent (or cancelled).';
    end if;
    select * into v_usage from internal.sender_usage(v_moment) u where u.sender_id = v_sender.id;
    if v_usage.new_left is not null and v_usage.new_left <= 0 then
      raise exception 'pin_recipient: sender % has no room for a new recipient (limits new_recipients_per_day %, per_month %)',
        v_sender.id, coalesce(v_sender.new_recipients_per_day::text, 'off'), coalesce(v_sender.new_recipients_per_month::text, 'off')
        using errcode = '55000', hint = 'Raise its limit, wait for the period to roll over, or pin another SIM.';
    end if;
  end if;
  if not internal.reroute_all(v_phone, v_sender.id) then
    raise exception 'pin_recipient: a listener is claiming a bubble of this recipient right now; try again in a moment'
      using errcode = 'lock_not_available';
  end if;
  insert into public.recipient_senders as a (phone_number, sender_id, assigned_at, pinned, why)
  values (v_phone, v_sender.id, v_moment, true, v_note)
  on conflict on constraint recipient_senders_pkey do update
     set sender_id = excluded.sender_id,
         assigned_at = case when a.sender_id = excluded.sender_id then a.assigned_at else excluded.assigned_at end,
         pinned = true, why = excluded.why
  returning * into v_row;
  insert into public.recipient_sender_moves (phone_number, from_sender_id, to_sender_id, kind, reason, moved_by)
  values (v_phone, v_old.sender_id, v_sender.id, 'pin', v_note, session_user);
  if v_old.sender_id is distinct from v_sender.id then
    perform internal.count_new_recipient(v_sender.id, v_moment);
  end if;
  return v_row;
end
$$;

comment on function public.pin_recipient(text, bigint, text) is
  'A person pins a recipient to a SIM (recorded in recipient_sender_moves with the note); refused while a '
  'message of theirs is under way or when that SIM has no room for a new recipient. Pinned recipients are '
  'never moved automatically.';
revoke all on function public.pin_recipient(text, bigint, text) from public, anon, authenticated;
grant execute on function public.pin_recipient(text, bigint, text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- sender_status(): the operator's table (python -m listener status prints it), one row per SIM.
-- ---------------------------------------------------------------------------------------------
create function public.sender_status()
returns table (
  sender_id bigint, label text, own_number text, imsi text, iccid text, worker_id text, status text,
  alive boolean, last_seen_at timestamptz, signal integer, signal_word text, registration text,
  sent_today integer, delivered_today integer, sent_this_hour integer, messages_left integer,
  new_recipients_today integer, new_recipients_this_month integer, new_recipients_left integer,
  recipients integer, waiting integer, idle_reason text, last_error text
)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_moment constant timestamptz := pg_catalog.statement_timestamp();
  v_day_start timestamptz;
  v_window_open boolean := public.is_business_hours(v_moment);
  v_opening timestamptz;
  v_zone text;
begin
  select (p.day::timestamp at time zone w.time_zone), w.time_zone into v_day_start, v_zone
    from internal.sender_periods(v_moment) p cross join public.send_window w where w.id;
  if not v_window_open then
    v_opening := public.next_window_opening(v_moment);
  end if;
  return query
  select s.id, s.label, s.own_number, s.imsi, s.iccid, s.worker_id, s.status, u.alive,
         u.seen_at,
         case when s.modem_health ->> 'signal' ~ '^[0-9]{1,3}$' then (s.modem_health ->> 'signal')::integer end,
         s.modem_health ->> 'signal_word', s.modem_health ->> 'registration',
         coalesce(t.sent, 0)::integer, coalesce(t.delivered, 0)::integer, u.sent_this_hour, u.messages_left,
         u.new_today, u.new_this_month, u.new_left,
         coalesce(r.recipients, 0)::integer, coalesce(q.waiting, 0)::integer,
         coalesce(u.idle_reason,
                  case when not v_window_open then
                    format('send window closed; opens %s', to_char(v_opening at time zone v_zone, 'Dy YYYY-MM-DD HH24:MI'))
                  end,
                  case when u.new_left = 0 then 'new recipients: limit reached; only its own recipients until it rolls over'
                  end),
         s.last_error
    from public.senders s
    join internal.sender_usage(v_moment) u on u.sender_id = s.id
    left join lateral (
      -- delivery_status arrives with issue 12 (delivery reports); read through jsonb until then.
      select count(*) as sent,
             count(*) filter (where pg_catalog.to_jsonb(m) ->> 'delivery_status' = 'delivered') as delivered
        from public.messages m
       where m.sender_id = s.id and m.status = 'sent' and m.sent_at >= v_day_start
    ) t on true
    left join lateral (select count(*) as recipients from public.recipient_senders a where a.sender_id = s.id) r on true
    left join lateral (
      select count(*) as waiting from public.messages m where coalesce(m.sender_id, 0) = s.id and m.status = 'queued'
    ) q on true
   order by s.id;
end
$$;

comment on function public.sender_status() is
  'One row per SIM for the operator: identity, number (null = unknown), worker, alive, signal, registration, '
  'sent/delivered today, what its limits leave, its recipients and their waiting bubbles, why it is idle '
  '(null = it can claim), last error.';
revoke all on function public.sender_status() from public, anon, authenticated;
grant execute on function public.sender_status() to service_role;

-- Dashboard views (the table editor shows views): the senders, and the recipients that were moved.
create view public.dashboard_senders
with (security_invoker = true)
as
select * from public.sender_status();

comment on view public.dashboard_senders is 'Every SIM with its health, usage, limits left and why it is idle (sender_status()).';

create view public.dashboard_recipient_moves
with (security_invoker = true)
as
select v.moved_at,
       v.phone_number,
       v.kind,
       v.from_sender_id,
       coalesce(f.own_number, f.label, f.imsi) as from_sender,
       v.to_sender_id,
       coalesce(t.own_number, t.label, t.imsi) as to_sender,
       v.reason,
       v.moved_by,
       v.message_id
  from public.recipient_sender_moves v
  left join public.senders f on f.id = v.from_sender_id
  left join public.senders t on t.id = v.to_sender_id
 where v.kind <> 'first'
 order by v.moved_at desc, v.id desc;

comment on view public.dashboard_recipient_moves is
  'Recipients moved to another SIM (handover, pin, a person''s edit), newest first, with why and by whom.';

revoke all on table public.dashboard_senders from public, anon, authenticated, service_role;
revoke all on table public.dashboard_recipient_moves from public, anon, authenticated, service_role;
grant select on table public.dashboard_senders to service_role;
grant select on table public.dashboard_recipient_moves to service_role;

revoke all on function internal.sender_settings_guard() from public, anon, authenticated, service_role;
revoke all on function internal.sender_settings() from public, anon, authenticated, service_role;
revoke all on function internal.senders_validate() from public, anon, authenticated, service_role;
revoke all on function internal.senders_refuse_delete() from public, anon, authenticated, service_role;
revoke all on function internal.sender_periods(timestamptz) from public, anon, authenticated, service_role;
revoke all on function internal.count_claim(bigint, timestamptz, integer) from public, anon, authenticated, service_role;
revoke all on function internal.count_new_recipient(bigint, timestamptz) from public, anon, authenticated, service_role;
revoke all on function internal.sender_usage(timestamptz) from public, anon, authenticated, service_role;
revoke all on function internal.moves_append_only() from public, anon, authenticated, service_role;
revoke all on function internal.message_under_way(text) from public, anon, authenticated, service_role;
revoke all on function internal.messages_sender_guard() from public, anon, authenticated, service_role;
revoke all on function internal.messages_route_inserted() from public, anon, authenticated, service_role;
revoke all on function internal.reroute_new(text, bigint) from public, anon, authenticated, service_role;
revoke all on function internal.reroute_all(text, bigint) from public, anon, authenticated, service_role;
revoke all on function internal.worker_sender(text) from public, anon, authenticated, service_role;
revoke all on function internal.claim_route(text, timestamptz) from public, anon, authenticated, service_role;
revoke all on function internal.sender_handovers() from public, anon, authenticated, service_role;
revoke all on function internal.sender_room(bigint, timestamptz) from public, anon, authenticated, service_role;
revoke all on function internal.take_recipient(text, bigint, bigint, timestamptz, bigint, text)
  from public, anon, authenticated, service_role;
revoke all on function internal.assign_recipient_if_new(text, text, text) from public, anon, authenticated, service_role;
revoke all on function internal.recipient_senders_guard() from public, anon, authenticated, service_role;
revoke all on function internal.listener_status_to_sender() from public, anon, authenticated, service_role;
