-- The send window: ONE settings row that says when texts may go out, read by SQL and by the scheduler.
--
-- Why a table and not constants: the business edits it from the Supabase dashboard (a holiday, a later
-- opening) and every part of the system must agree at once. Times are compared as timestamptz; the
-- business time zone is used only to answer "is the window open" and to display local times.
-- Also holds the pacing, grace and retry settings the promotion and the listener API read.
-- The window functions are read-only and take an optional moment (default: the start of the statement).

create table public.send_window (
  id boolean primary key default true,
  time_zone text not null default 'America/Los_Angeles',
  opens_at time not null default '09:00',
  closes_at time not null default '20:00',
  week_days smallint[] not null default '{1,2,3,4,5}',
  catch_up_gap interval not null default '4 minutes',
  bubble_grace interval not null default '5 minutes',
  claim_lease interval not null default '10 minutes',
  max_attempts integer not null default 5,
  retry_base interval not null default '15 seconds',
  -- issue 13: recipient window: the global frequency cap (off when recipient_cap is null).
  recipient_cap integer,
  recipient_cap_period interval not null default '24 hours',
  updated_at timestamptz not null default now(),
  constraint send_window_singleton check (id),
  constraint send_window_opens_before_closes check (opens_at < closes_at),
  constraint send_window_week_days_iso check (
    cardinality(week_days) between 1 and 7
    and week_days <@ '{1,2,3,4,5,6,7}'::smallint[]
  ),
  -- Sane bounds: every setting is one the promotion, the claim and the views can work with.
  constraint send_window_catch_up_gap_bounds check (catch_up_gap between interval '0' and interval '1 day'),
  constraint send_window_bubble_grace_bounds check (bubble_grace between interval '0' and interval '1 hour'),
  constraint send_window_claim_lease_bounds
    check (claim_lease between interval '1 minute' and interval '1 day'),
  constraint send_window_max_attempts_bounds check (max_attempts between 1 and 1000),
  constraint send_window_retry_base_bounds check (retry_base between interval '1 millisecond' and interval '1 hour'),
  constraint send_window_time_zone_length check (length(time_zone) <= 64),
  constraint send_window_recipient_cap_bounds check (recipient_cap between 1 and 1000),
  constraint send_window_recipient_cap_period_bounds
    check (recipient_cap_period between interval '1 minute' and interval '366 days')
);

comment on table public.send_window is
  'Singleton settings row: when texts may be sent (time zone, opening and closing time, ISO week days '
  '1=Mon..7=Sun) and the pacing/retry settings. Edit it; never delete it.';
comment on column public.send_window.catch_up_gap is
  'Least spacing between two promotions of one campaign when messages are overdue (backlog after an outage).';
comment on column public.send_window.bubble_grace is
  'A message whose first bubble went out may finish this long after the window closes (never past the '
  'recipient''s legal hours: docs/recipient-windows.md).';
comment on column public.send_window.recipient_cap is
  'Global frequency cap: at most this many marketing messages per recipient per recipient_cap_period '
  '(null: off). The state caps are in recipient_rules (docs/recipient-windows.md).';

alter table public.send_window enable row level security;
revoke all on table public.send_window from public, anon, authenticated;
grant select, insert, update, delete on table public.send_window to service_role;

-- Validation with messages a person in the dashboard can act on.
create function internal.send_window_validate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    raise exception 'send_window: the settings row cannot be deleted; update it instead'
      using errcode = 'restrict_violation';
  end if;
  if new.time_zone is null
     or not exists (select 1 from pg_catalog.pg_timezone_names z where z.name = new.time_zone) then
    raise exception 'send_window.time_zone "%" is not a known IANA time zone name', new.time_zone
      using errcode = 'invalid_parameter_value',
            hint = 'Use a name such as America/Los_Angeles or America/New_York (see pg_timezone_names).';
  end if;
  if new.opens_at >= new.closes_at then
    raise exception 'send_window: opens_at % must be earlier than closes_at %', new.opens_at, new.closes_at
      using errcode = 'check_violation', constraint = 'send_window_opens_before_closes';
  end if;
  new.updated_at := pg_catalog.statement_timestamp();
  return new;
end
$$;

create function internal.send_window_refuse_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  raise exception 'send_window: the settings row cannot be truncated away; update it instead'
    using errcode = 'restrict_violation';
end
$$;

create trigger send_window_validate
  before insert or update or delete on public.send_window
  for each row execute function internal.send_window_validate();

create trigger send_window_refuse_truncate
  before truncate on public.send_window
  for each statement execute function internal.send_window_refuse_truncate();

revoke all on function internal.send_window_validate() from public, anon, authenticated, service_role;
revoke all on function internal.send_window_refuse_truncate() from public, anon, authenticated, service_role;

insert into public.send_window default values on conflict (id) do nothing;

-- Is the send window open at `at`? Opening time inclusive, closing time exclusive.
create function public.is_business_hours(at timestamptz default statement_timestamp())
returns boolean
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select extract(isodow from l.local_time)::integer = any (w.week_days)
            and l.local_time::time >= w.opens_at
            and l.local_time::time < w.closes_at
       from public.send_window w
       cross join lateral (select $1 at time zone w.time_zone as local_time) l
      where w.id),
    false)
$$;

comment on function public.is_business_hours(timestamptz) is
  'True when `at` (default: the start of the statement) is inside the send window: a listed ISO week day, opens_at <= local time < closes_at.';

-- The start of the next window strictly after `after` (today's opening if still ahead, else a later day).
create function public.next_window_opening(after timestamptz default statement_timestamp())
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select min(o.opening)
    from public.send_window w
    cross join lateral generate_series(0, 8) as d(n)
    cross join lateral (select ($1 at time zone w.time_zone)::date + d.n as day) l
    cross join lateral (select (l.day + w.opens_at) at time zone w.time_zone as opening) o
   where w.id
     and extract(isodow from l.day)::integer = any (w.week_days)
     and o.opening > $1
$$;

comment on function public.next_window_opening(timestamptz) is
  'The first moment strictly after `after` (default: the start of the statement) at which the send window opens.';

-- The moment the window that contains `at` closes (null when the window is closed at `at`).
create function public.window_closing(at timestamptz default statement_timestamp())
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select case when public.is_business_hours($1)
              then (($1 at time zone w.time_zone)::date + w.closes_at) at time zone w.time_zone
         end
    from public.send_window w
   where w.id
$$;

comment on function public.window_closing(timestamptz) is
  'When the window open at `at` closes; null when the window is closed at `at`.';

revoke execute on function public.is_business_hours(timestamptz) from public, anon, authenticated;
revoke execute on function public.next_window_opening(timestamptz) from public, anon, authenticated;
revoke execute on function public.window_closing(timestamptz) from public, anon, authenticated;
grant execute on function public.is_business_hours(timestamptz) to service_role;
grant execute on function public.next_window_opening(timestamptz) to service_role;
grant execute on function public.window_closing(timestamptz) to service_role;

-- The settings row for the functions that act on it (a clear error when someone deleted it).
create function internal.settings()
returns public.send_window
language plpgsql
stable
set search_path = ''
as $$
declare
  v_settings public.send_window;
begin
  select * into v_settings from public.send_window where id;
  if not found then
    raise exception 'send_window: the settings row is missing'
      using errcode = 'P0002',
            hint = 'insert into public.send_window default values; restores the defaults.';
  end if;
  return v_settings;
end
$$;

revoke all on function internal.settings() from public, anon, authenticated, service_role;
