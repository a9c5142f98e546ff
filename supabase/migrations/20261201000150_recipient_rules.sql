-- Recipient windows: the law looks at the recipient's clock, not the business's (issue 13).
--
-- Why: the send window (0100) is the business's (Pacific 9:00-20:00, Mon-Fri), but the federal rule for
-- marketing texts is 8:00-21:00 at the recipient's location (47 CFR 64.1200(c)(1)) and several states
-- are stricter. A New York customer texted at 18:30 Pacific gets it at 21:30 Eastern. So every send
-- decision (promotion, claim, next_bubble_due_at, the views, the scheduler) uses one effective window per
-- recipient: the business window ∩ the recipient's quiet-hours rules in every time zone of the number's
-- region, minus the blackout dates. docs/recipient-windows.md lists every rule with its source.
--
-- Why data and not code: the rules, blackout dates and caps are tables a person edits in the Supabase
-- dashboard, checked by triggers whose errors name the row and the problem. The number -> time zones
-- and region table is generated from `phonenumbers` (sms_common/recipient_prefixes.py) because the
-- database cannot call Python; a unit test fails when the committed rows drift from phonenumbers.
--
-- Time: as in 0100, moments are compared as timestamptz; local time (`at time zone`) is used only to
-- decide whether a local day and time are inside a rule. The window functions are read-only and take an
-- optional moment. Promotion and the claim do not call a function per row: each scheduled message
-- carries a recipient key (0500) and they compute the open keys once per call (internal.open_keys).

-- ---------------------------------------------------------------------------------------------------
-- Quiet-hour rules. A rule applies to a region: `US` to every US number, `US-FL` to Florida's in
-- addition (the windows are intersected, so a state rule can only narrow the federal one), `default` to
-- a number whose country has no rule. Per-weekday hours are rows of recipient_rule_hours; a week day no
-- row of a rule lists is closed under that rule.
-- ---------------------------------------------------------------------------------------------------
create table public.recipient_rules (
  rule text primary key,
  description text not null,
  source text not null,
  max_messages integer,
  per_period interval,
  updated_at timestamptz not null default now(),
  constraint recipient_rules_rule_format check (rule = 'default' or rule ~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$'),
  constraint recipient_rules_cap_pair check ((max_messages is null) = (per_period is null))
);

comment on table public.recipient_rules is
  'Quiet-hour rules by region (ISO 3166: US, US-FL, ...; default = countries without a rule), each with '
  'its legal source and an optional frequency cap (max_messages per per_period). Hours: recipient_rule_hours.';
comment on column public.recipient_rules.max_messages is
  'At most this many marketing messages per recipient per per_period (null: no cap from this rule).';

alter table public.recipient_rules enable row level security;
revoke all on table public.recipient_rules from public, anon, authenticated;
grant select, insert, update, delete on table public.recipient_rules to service_role;

create table public.recipient_rule_hours (
  id bigint generated always as identity primary key,
  rule text not null references public.recipient_rules (rule) on update cascade on delete cascade,
  iso_days smallint[] not null,
  opens_at time not null,
  closes_at time not null
);

comment on table public.recipient_rule_hours is
  'The open hours of a rule on some ISO week days (1=Mon..7=Sun), recipient local time: opens_at '
  'inclusive, closes_at exclusive (24:00 = midnight). A day no row of the rule lists is closed.';

create index recipient_rule_hours_rule_idx on public.recipient_rule_hours (rule);
alter table public.recipient_rule_hours enable row level security;
revoke all on table public.recipient_rule_hours from public, anon, authenticated;
grant select, insert, update, delete on table public.recipient_rule_hours to service_role;
revoke all on sequence public.recipient_rule_hours_id_seq from public, anon, authenticated;
grant usage, select on sequence public.recipient_rule_hours_id_seq to service_role;

create function internal.recipient_rules_validate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if tg_op = 'DELETE' then
    if old.rule = 'default' then
      raise exception 'recipient_rules row "default": cannot delete it: numbers without a rule of their own use it'
        using errcode = 'restrict_violation', hint = 'Edit its hours in recipient_rule_hours instead.';
    end if;
    return old;
  end if;
  if tg_op = 'UPDATE' and old.rule = 'default' and new.rule <> 'default' then
    raise exception 'recipient_rules row "default": cannot rename it' using errcode = 'restrict_violation';
  end if;
  if new.rule is null or not (new.rule = 'default' or new.rule ~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$') then
    raise exception 'recipient_rules row "%": rule must be "default" or an ISO 3166 region such as US or US-FL',
      coalesce(new.rule, '(null)')
      using errcode = 'check_violation', constraint = 'recipient_rules_rule_format';
  end if;
  if coalesce(pg_catalog.btrim(new.source), '') = '' or coalesce(pg_catalog.btrim(new.description), '') = '' then
    raise exception 'recipient_rules row "%": description and source must not be empty', new.rule
      using errcode = 'check_violation', constraint = 'recipient_rules_source',
            hint = 'Name the statute or regulation, e.g. Fla. Stat. 501.059(8).';
  end if;
  if (new.max_messages is null) <> (new.per_period is null) then
    raise exception 'recipient_rules row "%": max_messages and per_period go together (both set, or both null)',
      new.rule
      using errcode = 'check_violation', constraint = 'recipient_rules_cap_pair';
  end if;
  if new.max_messages is not null
     and (new.max_messages not between 1 and 1000
          or new.per_period not between interval '1 minute' and interval '366 days') then
    raise exception 'recipient_rules row "%": the cap must be 1 to 1000 messages per 1 minute to 366 days, got % per %',
      new.rule, new.max_messages, new.per_period
      using errcode = 'check_violation', constraint = 'recipient_rules_cap_bounds';
  end if;
  new.updated_at := pg_catalog.statement_timestamp();
  return new;
end
$$;

create trigger recipient_rules_validate
  before insert or update or delete on public.recipient_rules
  for each row execute function internal.recipient_rules_validate();
revoke all on function internal.recipient_rules_validate() from public, anon, authenticated, service_role;

create function internal.recipient_rule_hours_validate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_row constant text := coalesce(new.id::text, '(new)');
  v_clash record;
begin
  if new.iso_days is null or cardinality(new.iso_days) not between 1 and 7
     or not new.iso_days <@ '{1,2,3,4,5,6,7}'::smallint[]
     or (select count(distinct d) from unnest(new.iso_days) d) <> cardinality(new.iso_days)
     or array_position(new.iso_days, null) is not null then
    raise exception 'recipient_rule_hours row % (rule %): iso_days must list distinct ISO week days 1 (Mon) to 7 (Sun), got %',
      v_row, new.rule, coalesce(new.iso_days::text, 'null')
      using errcode = 'check_violation', constraint = 'recipient_rule_hours_iso_days';
  end if;
  if new.opens_at >= new.closes_at then
    raise exception 'recipient_rule_hours row % (rule %): opens_at % must be earlier than closes_at %',
      v_row, new.rule, new.opens_at, new.closes_at
      using errcode = 'check_violation', constraint = 'recipient_rule_hours_opens_before_closes',
            hint = 'Use 24:00 for midnight at the end of the day.';
  end if;
  select h.id, d.day into v_clash
    from public.recipient_rule_hours h
   cross join lateral unnest(h.iso_days) d(day)
   where h.rule = new.rule and h.id is distinct from new.id and d.day = any (new.iso_days)
   order by d.day
   limit 1;
  if found then
    raise exception 'recipient_rule_hours row % (rule %): ISO day % already has hours in row %',
      v_row, new.rule, v_clash.day, v_clash.id
      using errcode = 'unique_violation', constraint = 'recipient_rule_hours_one_row_per_day',
            hint = 'One row per week day and rule: edit that row, or remove the day from it first.';
  end if;
  return new;
end
$$;

create trigger recipient_rule_hours_validate
  before insert or update on public.recipient_rule_hours
  for each row execute function internal.recipient_rule_hours_validate();
revoke all on function internal.recipient_rule_hours_validate() from public, anon, authenticated, service_role;

insert into public.recipient_rules (rule, description, source, max_messages, per_period) values
  ('default', 'Numbers outside the US whose country has no rule here: the US federal hours, every day',
   'No law: the federal hours of 47 CFR 64.1200(c)(1) used as a default; add a rule for the country to change it',
   null, null),
  ('US', 'Federal: telephone solicitation only 8:00-21:00 at the recipient''s location',
   '47 CFR 64.1200(c)(1)', null, null),
  ('US-FL', 'Florida: 8:00-20:00; at most 3 messages per 24 hours on one subject',
   'Fla. Stat. 501.059(8)', 3, '24 hours'),
  ('US-OK', 'Oklahoma: 8:00-20:00; at most 3 messages per 24 hours on one subject',
   '15 O.S. 775C.4', 3, '24 hours'),
  ('US-MD', 'Maryland: 8:00-20:00; at most 3 messages per 24 hours on one subject',
   'Md. Code, Com. Law 14-4503', 3, '24 hours'),
  ('US-WA', 'Washington: 8:00-20:00', 'RCW 80.36.390', null, null),
  ('US-CT', 'Connecticut: 9:00-20:00', 'Conn. Gen. Stat. 42-288a', null, null),
  ('US-TX', 'Texas: 9:00-21:00 Monday to Saturday, 12:00-21:00 Sunday', 'Tex. Bus. & Com. Code 301.051',
   null, null);

insert into public.recipient_rule_hours (rule, iso_days, opens_at, closes_at) values
  ('default', '{1,2,3,4,5,6,7}', '08:00', '21:00'),
  ('US', '{1,2,3,4,5,6,7}', '08:00', '21:00'),
  ('US-FL', '{1,2,3,4,5,6,7}', '08:00', '20:00'),
  ('US-OK', '{1,2,3,4,5,6,7}', '08:00', '20:00'),
  ('US-MD', '{1,2,3,4,5,6,7}', '08:00', '20:00'),
  ('US-WA', '{1,2,3,4,5,6,7}', '08:00', '20:00'),
  ('US-CT', '{1,2,3,4,5,6,7}', '09:00', '20:00'),
  ('US-TX', '{1,2,3,4,5,6}', '09:00', '21:00'),
  ('US-TX', '{7}', '12:00', '21:00');

-- ---------------------------------------------------------------------------------------------------
-- Number -> region and time zones (generated from phonenumbers; see sms_common/recipient_prefixes.py).
-- A number uses the row of its longest matching prefix: `1208` (NANP area code 208), `44` (a country
-- calling code), `1` (a NANP area code without data). Empty time_zones (or no row at all) = the
-- business zone (send_window.time_zone). When a row lists several zones the window must hold in all.
-- ---------------------------------------------------------------------------------------------------
create table public.recipient_number_prefixes (
  prefix text primary key,
  region text,
  time_zones text[] not null default '{}',
  description text not null default '',
  constraint recipient_number_prefixes_prefix_digits check (prefix ~ '^[1-9][0-9]{0,3}$'),
  constraint recipient_number_prefixes_region_format check (region ~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$')
);

comment on table public.recipient_number_prefixes is
  'Generated from phonenumbers: a number''s region (ISO 3166, e.g. US-FL) and time zones by its longest '
  'prefix (NANP area code 1NPA, or country calling code). Empty time_zones: the business zone is used. '
  'Editable (e.g. narrow a country to the zone your customers live in); regenerate with '
  'python -m sms_common.recipient_prefixes --write.';

alter table public.recipient_number_prefixes enable row level security;
revoke all on table public.recipient_number_prefixes from public, anon, authenticated;
grant select, insert, update, delete on table public.recipient_number_prefixes to service_role;

create function internal.recipient_number_prefixes_validate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_bad text;
begin
  if new.prefix is null or new.prefix !~ '^[1-9][0-9]{0,3}$' then
    raise exception 'recipient_number_prefixes row "%": prefix must be 1 to 4 digits (country code, or 1 + area code)',
      coalesce(new.prefix, '(null)')
      using errcode = 'check_violation', constraint = 'recipient_number_prefixes_prefix_digits';
  end if;
  if new.region is not null and new.region !~ '^[A-Z]{2}(-[A-Z0-9]{1,3})?$' then
    raise exception 'recipient_number_prefixes row "%": region "%" is not an ISO 3166 code such as US-FL or GB',
      new.prefix, new.region
      using errcode = 'check_violation', constraint = 'recipient_number_prefixes_region_format';
  end if;
  select z into v_bad
    from unnest(coalesce(new.time_zones, '{}')) z
   where z is null or z = 'Etc/Unknown'
      or not exists (select 1 from pg_catalog.pg_timezone_names n where n.name = z)
   limit 1;
  if found or new.time_zones is null then
    raise exception 'recipient_number_prefixes row "%": time zone "%" is not a known IANA time zone name',
      new.prefix, coalesce(v_bad, '(null)')
      using errcode = 'invalid_parameter_value',
            hint = 'Use names such as America/New_York; leave time_zones empty ({}) to use the business zone.';
  end if;
  new.time_zones := array(select distinct z from unnest(new.time_zones) z order by z);
  return new;
end
$$;

create trigger recipient_number_prefixes_validate
  before insert or update on public.recipient_number_prefixes
  for each row execute function internal.recipient_number_prefixes_validate();
revoke all on function internal.recipient_number_prefixes_validate() from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------------
-- Blackout dates: whole days (in the business zone, send_window.time_zone) on which nothing is sent.
-- Fill from the `holidays` package: docs/recipient-windows.md.
-- ---------------------------------------------------------------------------------------------------
create table public.blackout_dates (
  day date primary key,
  name text not null,
  created_at timestamptz not null default now(),
  constraint blackout_dates_day_range check (day >= '2000-01-01' and day < '2200-01-01'),
  constraint blackout_dates_name_length check (length(name) between 1 and 200)
);

comment on table public.blackout_dates is
  'Days (business local date, send_window.time_zone) on which no marketing text is sent: holidays.';

alter table public.blackout_dates enable row level security;
revoke all on table public.blackout_dates from public, anon, authenticated;
grant select, insert, update, delete on table public.blackout_dates to service_role;

create function internal.blackout_dates_validate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if new.day is null or not pg_catalog.isfinite(new.day) or new.day < '2000-01-01' or new.day >= '2200-01-01' then
    raise exception 'blackout_dates row %: day must be a date in the years 2000-2199', coalesce(new.day::text, '(null)')
      using errcode = 'check_violation', constraint = 'blackout_dates_day_range';
  end if;
  if coalesce(pg_catalog.btrim(new.name), '') = '' or length(new.name) > 200 then
    raise exception 'blackout_dates row %: name must be 1 to 200 characters (e.g. Christmas Day)', new.day
      using errcode = 'check_violation', constraint = 'blackout_dates_name_length';
  end if;
  return new;
end
$$;

create trigger blackout_dates_validate
  before insert or update on public.blackout_dates
  for each row execute function internal.blackout_dates_validate();
revoke all on function internal.blackout_dates_validate() from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------------
-- Internals: where a number is, which rules apply, is the window open.
-- ---------------------------------------------------------------------------------------------------

-- Raise a clear error for a number that is not E.164 (the window functions' argument check).
create function internal.check_recipient(phone_number text, function_name text)
returns text
language plpgsql
immutable
set search_path = ''
as $$
begin
  if internal.phone_problem($1) is not null then
    raise exception '%: %', $2, internal.phone_problem($1)
      using errcode = 'invalid_parameter_value', hint = 'Write it as + country code and digits, e.g. +12095550123.';
  end if;
  return $1;
end
$$;

-- The longest prefix row of a number ('' when none matches).
create function internal.recipient_prefix(phone_number text)
returns text
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select p.prefix
       from public.recipient_number_prefixes p
      where p.prefix in (substr($1, 2, 1), substr($1, 2, 2), substr($1, 2, 3), substr($1, 2, 4))
      order by length(p.prefix) desc
      limit 1),
    '')
$$;

-- A number's region and time zones as stored (empty zones: unknown, the business zone applies).
create function internal.recipient_place(phone_number text, out region text, out time_zones text[])
language sql
stable
set search_path = ''
as $$
  select p.region, coalesce(p.time_zones, '{}'::text[])
    from (select internal.recipient_prefix($1) as prefix) x
    left join public.recipient_number_prefixes p on p.prefix = x.prefix
$$;

-- The zones a window is evaluated in: the given ones, or the business zone when there are none.
create function internal.zones_or_business(time_zones text[])
returns text[]
language sql
stable
set search_path = ''
as $$
  select case when cardinality(coalesce($1, '{}'::text[])) > 0 then $1
              else array[(select w.time_zone from public.send_window w where w.id)] end
$$;

-- The rules that apply to a region: its country's and its own (e.g. US and US-FL), else `default`.
create function internal.rules_for(region text)
returns text[]
language sql
stable
set search_path = ''
as $$
  select coalesce(
    (select array_agg(r.rule order by length(r.rule), r.rule)
       from public.recipient_rules r
      where r.rule in (split_part($1, '-', 1), $1)),
    array['default'])
$$;

-- Is the business window open at `at` and `at` not on a blackout date (business local date)?
create function internal.business_open(at timestamptz)
returns boolean
language sql
stable
set search_path = ''
as $$
  select public.is_business_hours($1)
         and not exists (select 1
                           from public.blackout_dates b
                           join public.send_window w on w.id
                          where b.day = ($1 at time zone w.time_zone)::date)
$$;

-- Do the recipient's rules allow `at` in every one of its zones (the legal hours; no business window)?
create function internal.legal_open(region text, time_zones text[], at timestamptz)
returns boolean
language sql
stable
set search_path = ''
as $$
  select not exists (
    select 1
      from unnest(internal.zones_or_business($2)) z(zone)
     cross join unnest(internal.rules_for($1)) r(rule)
     cross join lateral (select $3 at time zone z.zone as local_time) l
     where not exists (
             select 1
               from public.recipient_rule_hours h
              where h.rule = r.rule
                and extract(isodow from l.local_time)::integer = any (h.iso_days)
                and l.local_time::time >= h.opens_at
                and (h.closes_at = '24:00' or l.local_time::time < h.closes_at)
           )
  )
$$;

-- The effective window of a region and its zones over [from_at, until_at) as a multirange: the business
-- window on days that are not blackout dates ∩ each applicable rule in each zone. Open intervals are
-- built from local dates and times (`date + time at time zone zone`), so they follow DST like
-- next_window_opening does.
create function internal.window_ranges(region text, time_zones text[], from_at timestamptz, until_at timestamptz)
returns tstzmultirange
language sql
stable
set search_path = ''
as $$
  with w as (
    select * from public.send_window where id
  ),
  business as (
    select coalesce(range_agg(tstzrange(o.opens, greatest(o.opens, o.closes))), '{}'::tstzmultirange) as m
      from w
     cross join lateral generate_series((($3 at time zone w.time_zone)::date - 1)::timestamp,
                                        (($4 at time zone w.time_zone)::date + 1)::timestamp,
                                        interval '1 day') d(day)
     cross join lateral (select (d.day::date + w.opens_at) at time zone w.time_zone as opens,
                                (d.day::date + w.closes_at) at time zone w.time_zone as closes) o
     where extract(isodow from d.day)::integer = any (w.week_days)
       and not exists (select 1 from public.blackout_dates b where b.day = d.day::date)
  ),
  legal as (
    select (select coalesce(range_agg(tstzrange(o.opens, greatest(o.opens, o.closes))), '{}'::tstzmultirange)
              from generate_series((($3 at time zone z.zone)::date - 1)::timestamp,
                                   (($4 at time zone z.zone)::date + 1)::timestamp,
                                   interval '1 day') d(day)
              join public.recipient_rule_hours h
                on h.rule = r.rule and extract(isodow from d.day)::integer = any (h.iso_days)
             cross join lateral (select (d.day::date + h.opens_at) at time zone z.zone as opens,
                                        (d.day::date + h.closes_at) at time zone z.zone as closes) o) as m
      from unnest(internal.zones_or_business($2)) z(zone)
     cross join unnest(internal.rules_for($1)) r(rule)
  )
  select range_intersect_agg(x.m) * tstzmultirange(tstzrange($3, $4))
    from (select m from business union all select m from legal) x
$$;

-- The first moment strictly after `after` at which the window opens (searched up to about a year ahead).
create function internal.window_next_opening(region text, time_zones text[], after timestamptz)
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
  v_from timestamptz;
  v_opening timestamptz;
begin
  for i in 0..10 loop
    v_from := $3 - interval '1 day' + i * interval '35 days';
    select min(lower(r)) into v_opening
      from unnest(internal.window_ranges($1, $2, v_from, v_from + interval '36 days')) r
     where lower(r) > $3 and lower(r) > v_from;
    if v_opening is not null then
      return v_opening;
    end if;
  end loop;
  return null;
end
$$;

-- When the window open at `at` closes (null when it is closed at `at`).
create function internal.window_closing(region text, time_zones text[], at timestamptz)
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
  v_until timestamptz;
  v_range tstzrange;
begin
  for i in 1..11 loop
    v_until := $3 + i * interval '35 days';
    select r into v_range
      from unnest(internal.window_ranges($1, $2, $3 - interval '1 day', v_until)) r
     where r @> $3;
    if v_range is null then
      return null;
    end if;
    if upper(v_range) < v_until then
      return upper(v_range);
    end if;
  end loop;
  return null;
end
$$;

create function internal.rule_label(region text)
returns text
language sql
stable
set search_path = ''
as $$
  select array_to_string(internal.rules_for($1), ' + ')
$$;

create function internal.rule_sources(region text)
returns text
language sql
stable
set search_path = ''
as $$
  select string_agg(r.rule || ': ' || r.source, '; ' order by length(r.rule), r.rule)
    from unnest(internal.rules_for($1)) x(rule)
    join public.recipient_rules r on r.rule = x.rule
$$;

-- Recipient keys: one per (region, time zones) a scheduled message was planned for (0500 stores the id on
-- scheduled_messages at insert). Promotion and the claim compute the open keys once per call.
create table internal.recipient_keys (
  id integer generated always as identity primary key,
  region text,
  time_zones text[] not null,
  constraint recipient_keys_place unique nulls not distinct (region, time_zones)
);

comment on table internal.recipient_keys is
  'The distinct (region, time zones) of scheduled recipients; scheduled_messages.recipient_key points here.';
revoke all on table internal.recipient_keys from public, anon, authenticated, service_role;

-- The key of a number (created on first use).
create function internal.recipient_key(phone_number text)
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_place record;
  v_id integer;
begin
  select * into v_place from internal.recipient_place($1);
  select k.id into v_id from internal.recipient_keys k
   where k.region is not distinct from v_place.region and k.time_zones = v_place.time_zones;
  if v_id is null then
    insert into internal.recipient_keys (region, time_zones) values (v_place.region, v_place.time_zones)
    on conflict on constraint recipient_keys_place do nothing
    returning id into v_id;
    if v_id is null then
      select k.id into v_id from internal.recipient_keys k
       where k.region is not distinct from v_place.region and k.time_zones = v_place.time_zones;
    end if;
  end if;
  return v_id;
end
$$;

-- The keys whose effective window is open at `at` (business window, no blackout, every zone's rules).
create function internal.open_keys(at timestamptz)
returns integer[]
language sql
stable
set search_path = ''
as $$
  select case when internal.business_open($1)
              then coalesce((select array_agg(k.id order by k.id) from internal.recipient_keys k
                              where internal.legal_open(k.region, k.time_zones, $1)), '{}'::integer[])
              else '{}'::integer[] end
$$;

-- The keys where the rest of a started message may still go out at `at`: the window was open `grace`
-- ago and the legal hours of every zone still allow `at` (grace never runs past 21:00 recipient time).
create function internal.grace_keys(at timestamptz, grace interval)
returns integer[]
language sql
stable
set search_path = ''
as $$
  select case when $2 > interval '0' and internal.business_open($1 - $2)
              then coalesce((select array_agg(k.id order by k.id) from internal.recipient_keys k
                              where internal.legal_open(k.region, k.time_zones, $1)
                                and internal.legal_open(k.region, k.time_zones, $1 - $2)), '{}'::integer[])
              else '{}'::integer[] end
$$;

-- Is the effective window of key `key` open at `at`?
create function internal.key_open(key integer, at timestamptz)
returns boolean
language sql
stable
set search_path = ''
as $$
  select internal.business_open($2)
         and coalesce((select internal.legal_open(k.region, k.time_zones, $2)
                         from internal.recipient_keys k where k.id = $1), internal.legal_open(null, '{}', $2))
$$;

create function internal.key_next_opening(key integer, after timestamptz)
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select coalesce((select internal.window_next_opening(k.region, k.time_zones, $2)
                     from internal.recipient_keys k where k.id = $1),
                  internal.window_next_opening(null, '{}', $2))
$$;

-- The frequency caps of a key: the global one (send_window.recipient_cap) and its rules' caps.
create function internal.key_caps(key integer, out max_messages integer, out per_period interval)
returns setof record
language sql
stable
set search_path = ''
as $$
  select w.recipient_cap, w.recipient_cap_period
    from public.send_window w where w.id and w.recipient_cap is not null
  union all
  select r.max_messages, r.per_period
    from internal.recipient_keys k
   cross join unnest(internal.rules_for(k.region)) x(rule)
    join public.recipient_rules r on r.rule = x.rule
   where k.id = $1 and r.max_messages is not null
$$;

-- The keys under some cap (promotion checks the cap only for their rows).
create function internal.capped_keys()
returns integer[]
language sql
stable
set search_path = ''
as $$
  select coalesce(array_agg(k.id order by k.id), '{}'::integer[])
    from internal.recipient_keys k
   where exists (select 1 from internal.key_caps(k.id))
$$;

revoke all on function internal.check_recipient(text, text) from public, anon, authenticated, service_role;
revoke all on function internal.recipient_prefix(text) from public, anon, authenticated, service_role;
revoke all on function internal.recipient_place(text) from public, anon, authenticated, service_role;
revoke all on function internal.zones_or_business(text[]) from public, anon, authenticated, service_role;
revoke all on function internal.rules_for(text) from public, anon, authenticated, service_role;
revoke all on function internal.business_open(timestamptz) from public, anon, authenticated, service_role;
revoke all on function internal.legal_open(text, text[], timestamptz) from public, anon, authenticated, service_role;
revoke all on function internal.window_ranges(text, text[], timestamptz, timestamptz)
  from public, anon, authenticated, service_role;
revoke all on function internal.window_next_opening(text, text[], timestamptz)
  from public, anon, authenticated, service_role;
revoke all on function internal.window_closing(text, text[], timestamptz) from public, anon, authenticated, service_role;
revoke all on function internal.rule_label(text) from public, anon, authenticated, service_role;
revoke all on function internal.rule_sources(text) from public, anon, authenticated, service_role;
revoke all on function internal.recipient_key(text) from public, anon, authenticated, service_role;
revoke all on function internal.open_keys(timestamptz) from public, anon, authenticated, service_role;
revoke all on function internal.grace_keys(timestamptz, interval) from public, anon, authenticated, service_role;
revoke all on function internal.key_open(integer, timestamptz) from public, anon, authenticated, service_role;
revoke all on function internal.key_next_opening(integer, timestamptz) from public, anon, authenticated, service_role;
revoke all on function internal.key_caps(integer) from public, anon, authenticated, service_role;
revoke all on function internal.capped_keys() from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------------
-- The public API (docs/recipient-windows.md). Read-only; each takes an optional moment.
-- ---------------------------------------------------------------------------------------------------

create function public.recipient_window_open(phone_number text, at timestamptz default statement_timestamp())
returns boolean
language sql
stable
security definer
set search_path = ''
as $$
  select internal.business_open($2) and internal.legal_open(p.region, p.time_zones, $2)
    from internal.recipient_place(internal.check_recipient($1, 'recipient_window_open')) p
$$;

comment on function public.recipient_window_open(text, timestamptz) is
  'True when `at` (default: the start of the statement) is inside the number''s effective window: the send '
  'window, not a blackout date, and its quiet-hour rules in every time zone of its region.';

create function public.recipient_next_window_opening(phone_number text,
                                                     after timestamptz default statement_timestamp())
returns timestamptz
language sql
stable
security definer
set search_path = ''
as $$
  select internal.window_next_opening(p.region, p.time_zones, $2)
    from internal.recipient_place(internal.check_recipient($1, 'recipient_next_window_opening')) p
$$;

comment on function public.recipient_next_window_opening(text, timestamptz) is
  'The first moment strictly after `after` at which the number''s effective window opens (null: none within a year).';

create function public.recipient_window_closing(phone_number text, at timestamptz default statement_timestamp())
returns timestamptz
language sql
stable
security definer
set search_path = ''
as $$
  select internal.window_closing(p.region, p.time_zones, $2)
    from internal.recipient_place(internal.check_recipient($1, 'recipient_window_closing')) p
$$;

comment on function public.recipient_window_closing(text, timestamptz) is
  'When the number''s effective window open at `at` closes; null when it is closed at `at`.';

create function public.recipient_windows(phone_numbers text[], from_at timestamptz, until_at timestamptz)
returns table (phone_number text, time_zones text[], rule text, opens_at timestamptz, closes_at timestamptz)
language plpgsql
stable
security definer
set search_path = ''
as $$
#variable_conflict use_column
begin
  if from_at is null or until_at is null or internal.moment_problem(from_at) is not null
     or internal.moment_problem(until_at) is not null or until_at <= from_at then
    raise exception 'recipient_windows: from_at and until_at must be real moments with from_at < until_at, got % and %',
      from_at, until_at using errcode = 'invalid_parameter_value';
  end if;
  if until_at - from_at > interval '400 days' then
    raise exception 'recipient_windows: the range must be at most 400 days, got %', until_at - from_at
      using errcode = 'invalid_parameter_value', hint = 'Ask for the windows in several calls.';
  end if;
  return query
  with numbers as (
    select distinct internal.check_recipient(n, 'recipient_windows') as phone_number
      from unnest(phone_numbers) n
  ),
  places as (
    select n.phone_number, p.region, p.time_zones
      from numbers n cross join lateral internal.recipient_place(n.phone_number) p
  ),
  windows as (
    select k.region, k.time_zones, r.r
      from (select distinct region, time_zones from places) k
     cross join lateral unnest(internal.window_ranges(k.region, k.time_zones, from_at - interval '2 days',
                                                      until_at + interval '2 days')) r(r)
     where r.r && tstzrange(from_at, until_at)
  )
  select p.phone_number, internal.zones_or_business(p.time_zones), internal.rule_label(p.region),
         lower(w.r), upper(w.r)
    from places p
    join windows w on w.region is not distinct from p.region and w.time_zones = p.time_zones
   order by 1, 4;
end
$$;

comment on function public.recipient_windows(text[], timestamptz, timestamptz) is
  'Every open interval of each number''s effective window (send window ∩ its rules in all its zones, '
  'blackout dates removed) overlapping [from_at, until_at), one row per interval, by number then opens_at. '
  'Intervals are not cut at the range (true opening and closing), except beyond 2 days outside it.';

create function public.recipient_profile(phone_number text)
returns table (time_zones text[], region text, rule text, source text)
language sql
stable
security definer
set search_path = ''
as $$
  select internal.zones_or_business(p.time_zones), p.region, internal.rule_label(p.region),
         internal.rule_sources(p.region)
         || case when cardinality(p.time_zones) = 0 then '; time zone unknown: the business zone is used' else '' end
    from internal.recipient_place(internal.check_recipient($1, 'recipient_profile')) p
$$;

comment on function public.recipient_profile(text) is
  'Where a number is for the window: its time zones (the business zone when unknown), region (ISO 3166), '
  'the rules that apply (e.g. US + US-FL) and their sources.';

revoke all on function public.recipient_window_open(text, timestamptz) from public, anon, authenticated;
revoke all on function public.recipient_next_window_opening(text, timestamptz) from public, anon, authenticated;
revoke all on function public.recipient_window_closing(text, timestamptz) from public, anon, authenticated;
revoke all on function public.recipient_windows(text[], timestamptz, timestamptz) from public, anon, authenticated;
revoke all on function public.recipient_profile(text) from public, anon, authenticated;
grant execute on function public.recipient_window_open(text, timestamptz) to service_role;
grant execute on function public.recipient_next_window_opening(text, timestamptz) to service_role;
grant execute on function public.recipient_window_closing(text, timestamptz) to service_role;
grant execute on function public.recipient_windows(text[], timestamptz, timestamptz) to service_role;
grant execute on function public.recipient_profile(text) to service_role;

-- ---------------------------------------------------------------------------------------------------
-- The generated rows (last, so the triggers above check them too).
-- ---------------------------------------------------------------------------------------------------
-- BEGIN GENERATED recipient_number_prefixes (python -m sms_common.recipient_prefixes --write)
-- phonenumbers 9.0.43: 657 rows. Do not edit by hand; regenerate.
insert into public.recipient_number_prefixes (prefix, region, time_zones, description) values
  ('1', 'US', '{}', 'NANP area code without time zone data (toll-free, unassigned): business zone'),
  ('1201', 'US-NJ', '{America/New_York}', 'New Jersey'),
  ('1202', 'US-DC', '{America/New_York}', 'Washington D.C.'),
  ('1203', 'US-CT', '{America/New_York}', ''),
  ('1204', 'CA', '{America/Winnipeg}', 'Manitoba'),
  ('1205', 'US-AL', '{America/Chicago}', 'Alabama'),
  ('1206', 'US-WA', '{America/Los_Angeles}', 'Washington State'),
  ('1207', 'US-ME', '{America/New_York}', 'Maine'),
  ('1208', 'US-ID', '{America/Boise,America/Denver,America/Los_Angeles}', 'Idaho'),
  ('1209', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1210', 'US-TX', '{America/Chicago}', 'San Antonio, TX'),
  ('1212', 'US-NY', '{America/New_York}', 'New York, NY'),
  ('1213', 'US-CA', '{America/Los_Angeles}', 'Los Angeles, CA'),
  ('1214', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1215', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1216', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1217', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1218', 'US-MN', '{America/Chicago}', 'Minnesota'),
  ('1219', 'US-IN', '{America/Chicago,America/New_York}', 'Indiana'),
  ('1220', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1223', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1224', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1225', 'US-LA', '{America/Chicago}', 'Louisiana'),
  ('1226', 'CA', '{America/Toronto}', 'Ontario'),
  ('1227', 'US-MD', '{America/New_York}', 'Maryland'),
  ('1228', 'US-MS', '{America/Chicago}', 'Mississippi'),
  ('1229', 'US-GA', '{America/New_York}', 'Georgia'),
  ('1231', 'US-MI', '{America/New_York}', 'Michigan'),
  ('1234', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1235', 'US-MO', '{America/Chicago}', 'Missouri'),
  ('1236', 'CA', '{America/Vancouver}', 'British Columbia'),
  ('1239', 'US-FL', '{America/New_York}', 'Florida'),
  ('1240', 'US-MD', '{America/New_York}', 'Maryland'),
  ('1242', 'BS', '{America/Nassau}', ''),
  ('1246', 'BB', '{America/Barbados}', ''),
  ('1248', 'US-MI', '{America/New_York}', 'Michigan'),
  ('1249', 'CA', '{America/Toronto}', 'Ontario'),
  ('1250', 'CA', '{America/Edmonton,America/Vancouver}', 'British Columbia'),
  ('1251', 'US-AL', '{America/Chicago}', 'Alabama'),
  ('1252', 'US-NC', '{America/New_York}', 'North Carolina'),
  ('1253', 'US-WA', '{America/Los_Angeles}', 'Washington State'),
  ('1254', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1256', 'US-AL', '{America/Chicago}', 'Alabama'),
  ('1257', 'CA', '{America/Vancouver}', 'British Colombia'),
  ('1260', 'US-IN', '{America/New_York}', 'Indiana'),
  ('1262', 'US-WI', '{America/Chicago}', 'Wisconsin'),
  ('1263', 'CA', '{America/Toronto}', 'Montreal, QC'),
  ('1264', 'AI', '{America/Anguilla}', ''),
  ('1267', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1268', 'AG', '{America/Antigua}', ''),
  ('1269', 'US-MI', '{America/New_York}', 'Michigan'),
  ('1270', 'US-KY', '{America/Chicago,America/New_York}', 'Kentucky'),
  ('1272', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1273', 'CA', '{America/Toronto}', 'Quebec'),
  ('1274', 'US-WI', '{America/Chicago}', 'Wisconsin'),
  ('1276', 'US-VA', '{America/New_York}', 'Virginia'),
  ('1279', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1281', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1283', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1284', 'VG', '{America/Tortola}', ''),
  ('1289', 'CA', '{America/Toronto}', 'Ontario'),
  ('1301', 'US-MD', '{America/New_York}', 'Maryland'),
  ('1302', 'US-DE', '{America/New_York}', 'Delaware'),
  ('1303', 'US-CO', '{America/Denver}', 'Colorado'),
  ('1304', 'US-WV', '{America/New_York}', 'West Virginia'),
  ('1305', 'US-FL', '{America/New_York}', 'Florida'),
  ('1306', 'CA', '{America/Regina}', 'Saskatchewan'),
  ('1307', 'US-WY', '{America/Denver}', 'Wyoming'),
  ('1308', 'US-NE', '{America/Chicago,America/Denver}', 'Nebraska'),
  ('1309', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1310', 'US-CA', '{America/Los_Angeles}', ''),
  ('1312', 'US-IL', '{America/Chicago}', 'Chicago, IL'),
  ('1313', 'US-MI', '{America/New_York}', 'Michigan'),
  ('1314', 'US-MO', '{America/Chicago}', 'Missouri'),
  ('1315', 'US-NY', '{America/New_York}', 'New York'),
  ('1316', 'US-KS', '{America/Chicago}', 'Kansas'),
  ('1317', 'US-IN', '{America/New_York}', 'Indiana'),
  ('1318', 'US-LA', '{America/Chicago}', 'Louisiana'),
  ('1319', 'US-IA', '{America/Chicago}', 'Iowa'),
  ('1320', 'US-MN', '{America/Chicago}', 'Minnesota'),
  ('1321', 'US-FL', '{America/New_York}', 'Florida'),
  ('1323', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1324', 'US-FL', '{America/New_York}', 'Florida'),
  ('1325', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1326', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1327', 'US-AR', '{America/Chicago}', 'Arkansas'),
  ('1329', 'US-NY', '{America/New_York}', 'New York'),
  ('1330', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1331', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1332', 'US-NY', '{America/New_York}', 'New York, NY'),
  ('1334', 'US-AL', '{America/Chicago}', 'Alabama'),
  ('1336', 'US-NC', '{America/New_York}', 'North Carolina'),
  ('1337', 'US-LA', '{America/Chicago}', 'Louisiana'),
  ('1339', 'US-MA', '{America/New_York}', 'Massachusetts'),
  ('1340', 'US-VI', '{America/St_Thomas}', ''),
  ('1341', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1343', 'CA', '{America/Toronto}', 'Ontario'),
  ('1345', 'KY', '{America/Cayman}', ''),
  ('1346', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1347', 'US-NY', '{America/New_York}', 'New York'),
  ('1350', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1351', 'US-MA', '{America/New_York}', 'Massachusetts'),
  ('1352', 'US-FL', '{America/New_York}', 'Florida'),
  ('1353', 'US-WI', '{America/Chicago}', 'Wisconsin'),
  ('1354', 'CA', '{America/Toronto}', 'Quebec'),
  ('1360', 'US-WA', '{America/Los_Angeles}', 'Washington State'),
  ('1361', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1363', 'US-NY', '{America/New_York}', 'New York'),
  ('1364', 'US-KY', '{America/New_York}', 'Kentucky'),
  ('1365', 'CA', '{America/Toronto}', 'Ontario'),
  ('1367', 'CA', '{America/Toronto}', 'Quebec'),
  ('1368', 'CA', '{America/Edmonton}', 'Alberta'),
  ('1369', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1380', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1382', 'CA', '{America/Toronto}', 'Ontario'),
  ('1385', 'US-UT', '{America/Denver}', 'Utah'),
  ('1386', 'US-FL', '{America/New_York}', 'Florida'),
  ('1401', 'US-RI', '{America/New_York}', 'Rhode Island'),
  ('1402', 'US-NE', '{America/Chicago}', 'Nebraska'),
  ('1403', 'CA', '{America/Edmonton}', 'Alberta'),
  ('1404', 'US-GA', '{America/New_York}', 'Georgia'),
  ('1405', 'US-OK', '{America/Chicago}', 'Oklahoma'),
  ('1406', 'US-MT', '{America/Denver}', 'Montana'),
  ('1407', 'US-FL', '{America/New_York}', 'Florida'),
  ('1408', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1409', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1410', 'US-MD', '{America/New_York}', 'Maryland'),
  ('1412', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1413', 'US-MA', '{America/New_York}', 'Massachusetts'),
  ('1414', 'US-WI', '{America/Chicago}', 'Wisconsin'),
  ('1415', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1416', 'CA', '{America/Toronto}', 'Ontario'),
  ('1417', 'US-MO', '{America/Chicago}', 'Missouri'),
  ('1418', 'CA', '{America/Halifax,America/Toronto}', 'Quebec'),
  ('1419', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1423', 'US-TN', '{America/Chicago,America/New_York}', 'Tennessee'),
  ('1424', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1425', 'US-WA', '{America/Los_Angeles}', 'Washington State'),
  ('1428', 'CA', '{America/Halifax}', 'New Brunswick'),
  ('1430', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1431', 'CA', '{America/Winnipeg}', 'Manitoba'),
  ('1432', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1434', 'US-VA', '{America/New_York}', 'Virginia'),
  ('1435', 'US-UT', '{America/Denver}', 'Utah'),
  ('1437', 'CA', '{America/Toronto}', 'Toronto, ON'),
  ('1438', 'CA', '{America/Toronto}', 'Quebec'),
  ('1440', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1441', 'BM', '{Atlantic/Bermuda}', ''),
  ('1442', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1443', 'US-MD', '{America/New_York}', 'Maryland'),
  ('1445', 'US-PA', '{America/New_York}', 'Philadelphia, PA'),
  ('1447', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1448', 'US-FL', '{America/New_York}', 'Florida'),
  ('1450', 'CA', '{America/Toronto}', 'Quebec'),
  ('1458', 'US-OR', '{America/Los_Angeles}', 'Oregon'),
  ('1463', 'US-IN', '{America/New_York}', 'Indiana'),
  ('1464', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1468', 'CA', '{America/Toronto}', 'Quebec'),
  ('1469', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1470', 'US-GA', '{America/New_York}', 'Georgia'),
  ('1472', 'US-NC', '{America/New_York}', 'North Carolina'),
  ('1473', 'GD', '{America/Grenada}', ''),
  ('1474', 'CA', '{America/Winnipeg}', 'Saskatchewan'),
  ('1475', 'US-CT', '{America/New_York}', 'Connecticut'),
  ('1478', 'US-GA', '{America/New_York}', 'Georgia'),
  ('1479', 'US-AR', '{America/Chicago}', 'Arkansas'),
  ('1480', 'US-AZ', '{America/Phoenix}', 'Arizona'),
  ('1484', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1501', 'US-AR', '{America/Chicago}', 'Arkansas'),
  ('1502', 'US-KY', '{America/New_York}', 'Kentucky'),
  ('1503', 'US-OR', '{America/Los_Angeles}', 'Oregon'),
  ('1504', 'US-LA', '{America/Chicago}', 'Louisiana'),
  ('1505', 'US-NM', '{America/Denver}', 'New Mexico'),
  ('1506', 'CA', '{America/Halifax}', 'New Brunswick'),
  ('1507', 'US-MN', '{America/Chicago}', 'Minnesota'),
  ('1508', 'US-MA', '{America/New_York}', 'Massachusetts'),
  ('1509', 'US-WA', '{America/Los_Angeles}', 'Washington State'),
  ('1510', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1512', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1513', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1514', 'CA', '{America/Toronto}', 'Quebec'),
  ('1515', 'US-IA', '{America/Chicago}', 'Iowa'),
  ('1516', 'US-NY', '{America/New_York}', 'New York'),
  ('1517', 'US-MI', '{America/New_York}', 'Michigan'),
  ('1518', 'US-NY', '{America/New_York}', 'New York'),
  ('1519', 'CA', '{America/Toronto}', 'Ontario'),
  ('1520', 'US-AZ', '{America/Phoenix}', 'Arizona'),
  ('1530', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1531', 'US-NE', '{America/Chicago}', 'Nebraska'),
  ('1534', 'US-WI', '{America/Chicago}', 'Wisconsin'),
  ('1539', 'US-OK', '{America/Chicago}', 'Oklahoma'),
  ('1540', 'US-VA', '{America/New_York}', 'Virginia'),
  ('1541', 'US-OR', '{America/Denver,America/Los_Angeles}', 'Oregon'),
  ('1548', 'CA', '{America/Toronto}', 'Ontario'),
  ('1551', 'US-NJ', '{America/New_York}', 'New Jersey'),
  ('1557', 'US-MO', '{America/Chicago}', 'Missouri'),
  ('1559', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1561', 'US-FL', '{America/New_York}', 'Florida'),
  ('1562', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1563', 'US-IA', '{America/Chicago}', 'Iowa'),
  ('1564', 'US-WA', '{America/Los_Angeles}', 'Washington State'),
  ('1567', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1570', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1571', 'US-VA', '{America/New_York}', 'Virginia'),
  ('1572', 'US-OK', '{America/Chicago}', 'Oklahoma'),
  ('1573', 'US-MO', '{America/Chicago}', 'Missouri'),
  ('1574', 'US-IN', '{America/Chicago,America/New_York}', 'Indiana'),
  ('1575', 'US-NM', '{America/Denver}', 'New Mexico'),
  ('1579', 'CA', '{America/Toronto}', 'Quebec'),
  ('1580', 'US-OK', '{America/Chicago}', 'Oklahoma'),
  ('1581', 'CA', '{America/Toronto}', 'Quebec'),
  ('1582', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1584', 'CA', '{America/Winnipeg}', 'Manitoba'),
  ('1585', 'US-NY', '{America/New_York}', 'New York'),
  ('1586', 'US-MI', '{America/New_York}', 'Michigan'),
  ('1587', 'CA', '{America/Edmonton}', 'Alberta'),
  ('1601', 'US-MS', '{America/Chicago}', 'Mississippi'),
  ('1602', 'US-AZ', '{America/Phoenix}', 'Arizona'),
  ('1603', 'US-NH', '{America/New_York}', 'New Hampshire'),
  ('1604', 'CA', '{America/Vancouver}', 'British Columbia'),
  ('1605', 'US-SD', '{America/Chicago,America/Denver,America/North_Dakota/Center}', 'South Dakota'),
  ('1606', 'US-KY', '{America/Chicago,America/New_York}', 'Kentucky'),
  ('1607', 'US-NY', '{America/New_York}', 'New York'),
  ('1608', 'US-WI', '{America/Chicago}', 'Wisconsin'),
  ('1609', 'US-NJ', '{America/New_York}', 'New Jersey'),
  ('1610', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1612', 'US-MN', '{America/Chicago}', 'Minnesota'),
  ('1613', 'CA', '{America/Toronto}', 'Ontario'),
  ('1614', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1615', 'US-TN', '{America/Chicago}', 'Tennessee'),
  ('1616', 'US-MI', '{America/New_York}', 'Michigan'),
  ('1617', 'US-MA', '{America/New_York}', 'Massachusetts'),
  ('1618', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1619', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1620', 'US-KS', '{America/Chicago,America/Denver}', 'Kansas'),
  ('1623', 'US-AZ', '{America/Phoenix}', 'Arizona'),
  ('1626', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1628', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1629', 'US-TN', '{America/Chicago}', 'Tennessee'),
  ('1630', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1631', 'US-NY', '{America/New_York}', 'New York'),
  ('1636', 'US-MO', '{America/Chicago}', 'Missouri'),
  ('1639', 'CA', '{America/Regina}', 'Saskatchewan'),
  ('1640', 'US-NJ', '{America/New_York}', 'New Jersey'),
  ('1641', 'US-IA', '{America/Chicago}', 'Iowa'),
  ('1645', 'US-FL', '{America/New_York}', 'Florida'),
  ('1646', 'US-NY', '{America/New_York}', 'New York'),
  ('1647', 'CA', '{America/Toronto}', 'Ontario'),
  ('1649', 'TC', '{America/Grand_Turk}', ''),
  ('1650', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1651', 'US-MN', '{America/Chicago}', 'Minnesota'),
  ('1656', 'US-FL', '{America/New_York}', 'Florida'),
  ('1657', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1658', 'JM', '{America/Jamaica}', ''),
  ('1659', 'US-AL', '{America/Chicago}', 'Alabama'),
  ('1660', 'US-MO', '{America/Chicago}', 'Missouri'),
  ('1661', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1662', 'US-MS', '{America/Chicago}', 'Mississippi'),
  ('1664', 'MS', '{America/Montserrat}', ''),
  ('1667', 'US-MD', '{America/New_York}', 'Maryland'),
  ('1669', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1670', 'US-MP', '{Pacific/Saipan}', ''),
  ('1671', 'US-GU', '{Pacific/Guam}', ''),
  ('1672', 'CA', '{America/Vancouver}', 'British Columbia'),
  ('1678', 'US-GA', '{America/New_York}', 'Georgia'),
  ('1680', 'US-NY', '{America/New_York}', 'New York'),
  ('1681', 'US-WV', '{America/New_York}', 'West Virginia'),
  ('1682', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1683', 'CA', '{America/Toronto}', 'Ontario'),
  ('1684', 'US-AS', '{Pacific/Pago_Pago}', ''),
  ('1686', 'US-VA', '{America/New_York}', 'Virginia'),
  ('1689', 'US-FL', '{America/Chicago}', 'Florida'),
  ('1701', 'US-ND', '{America/Chicago,America/Denver,America/North_Dakota/Center}', 'North Dakota'),
  ('1702', 'US-NV', '{America/Los_Angeles}', 'Nevada'),
  ('1703', 'US-VA', '{America/New_York}', 'Virginia'),
  ('1704', 'US-NC', '{America/New_York}', 'North Carolina'),
  ('1705', 'CA', '{America/Toronto}', 'Ontario'),
  ('1706', 'US-GA', '{America/New_York}', 'Georgia'),
  ('1707', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1708', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1709', 'CA', '{America/Halifax,America/St_Johns}', 'Newfoundland and Labrador'),
  ('1712', 'US-IA', '{America/Chicago}', 'Iowa'),
  ('1713', 'US-TX', '{America/Chicago}', ''),
  ('1714', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1715', 'US-WI', '{America/Chicago}', 'Wisconsin'),
  ('1716', 'US-NY', '{America/New_York}', 'New York'),
  ('1717', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1718', 'US-NY', '{America/New_York}', ''),
  ('1719', 'US-CO', '{America/Denver}', 'Colorado'),
  ('1720', 'US-CO', '{America/Denver}', 'Colorado'),
  ('1721', 'SX', '{America/Lower_Princes}', ''),
  ('1724', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1725', 'US-NV', '{America/Los_Angeles}', 'Nevada'),
  ('1726', 'US-TX', '{America/Chicago}', 'San Antonio, TX'),
  ('1727', 'US-FL', '{America/New_York}', 'Florida'),
  ('1728', 'US-FL', '{America/New_York}', 'Palm Beach, FL'),
  ('1730', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1731', 'US-TN', '{America/Chicago}', 'Tennessee'),
  ('1732', 'US-NJ', '{America/New_York}', 'New Jersey'),
  ('1734', 'US-MI', '{America/New_York}', 'Michigan'),
  ('1737', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1738', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1740', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1742', 'CA', '{America/Toronto}', 'Ontario'),
  ('1743', 'US-NC', '{America/New_York}', 'North Carolina'),
  ('1747', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1748', 'US-CO', '{America/Denver}', 'Colorado'),
  ('1753', 'CA', '{America/Toronto}', 'Ontario'),
  ('1754', 'US-FL', '{America/New_York}', 'Florida'),
  ('1757', 'US-VA', '{America/New_York}', 'Virginia'),
  ('1758', 'LC', '{America/St_Lucia}', ''),
  ('1760', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1762', 'US-GA', '{America/New_York}', 'Georgia'),
  ('1763', 'US-MN', '{America/Chicago}', 'Minnesota'),
  ('1765', 'US-IN', '{America/New_York}', 'Indiana'),
  ('1767', 'DM', '{America/Dominica}', ''),
  ('1769', 'US-MS', '{America/Chicago}', 'Mississippi'),
  ('1770', 'US-GA', '{America/New_York}', 'Georgia'),
  ('1771', 'US-DC', '{America/New_York}', 'Washington D.C.'),
  ('1772', 'US-FL', '{America/New_York}', 'Florida'),
  ('1773', 'US-IL', '{America/Chicago}', 'Chicago, IL'),
  ('1774', 'US-MA', '{America/New_York}', 'Massachusetts'),
  ('1775', 'US-NV', '{America/Boise,America/Denver,America/Los_Angeles}', 'Nevada'),
  ('1778', 'CA', '{America/Vancouver}', 'British Columbia'),
  ('1779', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1780', 'CA', '{America/Edmonton}', 'Alberta'),
  ('1781', 'US-MA', '{America/New_York}', 'Massachusetts'),
  ('1782', 'CA', '{America/Halifax}', 'Nova Scotia/Prince Edward Island'),
  ('1784', 'VC', '{America/St_Vincent}', ''),
  ('1785', 'US-KS', '{America/Chicago,America/Denver}', 'Kansas'),
  ('1786', 'US-FL', '{America/New_York}', 'Florida'),
  ('1787', 'US-PR', '{America/Puerto_Rico}', ''),
  ('1801', 'US-UT', '{America/Denver}', 'Utah'),
  ('1802', 'US-VT', '{America/New_York}', 'Vermont'),
  ('1803', 'US-SC', '{America/New_York}', 'South Carolina'),
  ('1804', 'US-VA', '{America/New_York}', 'Virginia'),
  ('1805', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1806', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1807', 'CA', '{America/Toronto,America/Winnipeg}', 'Ontario'),
  ('1808', 'US-HI', '{Pacific/Honolulu}', 'Hawaii'),
  ('1809', 'DO', '{America/Santo_Domingo}', ''),
  ('1810', 'US-MI', '{America/New_York}', 'Michigan'),
  ('1812', 'US-IN', '{America/Chicago,America/New_York}', 'Indiana'),
  ('1813', 'US-FL', '{America/New_York}', 'Florida'),
  ('1814', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1815', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1816', 'US-MO', '{America/Chicago}', 'Missouri'),
  ('1817', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1818', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1819', 'CA', '{America/Toronto}', 'Quebec'),
  ('1820', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1821', 'US-SC', '{America/New_York}', 'South Carolina'),
  ('1825', 'CA', '{America/Edmonton}', 'Alberta'),
  ('1826', 'US-VA', '{America/New_York}', 'Virginia'),
  ('1828', 'US-NC', '{America/New_York}', 'North Carolina'),
  ('1829', 'DO', '{America/Santo_Domingo}', ''),
  ('1830', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1831', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1832', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1835', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1838', 'US-NY', '{America/New_York}', 'New York'),
  ('1839', 'US-SC', '{America/New_York}', 'South Carolina'),
  ('1840', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1843', 'US-SC', '{America/New_York}', 'South Carolina'),
  ('1845', 'US-NY', '{America/New_York}', 'New York'),
  ('1847', 'US-IL', '{America/Chicago}', 'Illinois'),
  ('1848', 'US-NJ', '{America/New_York}', 'New Jersey'),
  ('1849', 'DO', '{America/Santo_Domingo}', ''),
  ('1850', 'US-FL', '{America/Chicago,America/New_York}', 'Florida'),
  ('1854', 'US-SC', '{America/New_York}', 'South Carolina'),
  ('1856', 'US-NJ', '{America/New_York}', 'New Jersey'),
  ('1857', 'US-MA', '{America/New_York}', 'Massachusetts'),
  ('1858', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1859', 'US-KY', '{America/New_York}', 'Kentucky'),
  ('1860', 'US-CT', '{America/New_York}', 'Connecticut'),
  ('1862', 'US-NJ', '{America/New_York}', 'New Jersey'),
  ('1863', 'US-FL', '{America/New_York}', 'Florida'),
  ('1864', 'US-SC', '{America/New_York}', 'South Carolina'),
  ('1865', 'US-TN', '{America/New_York}', 'Tennessee'),
  ('1867', 'CA', '{America/Edmonton,America/Fort_Nelson,America/Toronto,America/Vancouver,America/Winnipeg}', 'Northwest Territories/Nunavut/Yukon'),
  ('1868', 'TT', '{America/Port_of_Spain}', ''),
  ('1869', 'KN', '{America/St_Kitts}', ''),
  ('1870', 'US-AR', '{America/Chicago}', 'Arkansas'),
  ('1872', 'US-IL', '{America/Chicago}', 'Chicago, IL'),
  ('1873', 'CA', '{America/Toronto}', 'Quebec'),
  ('1876', 'JM', '{America/Jamaica}', ''),
  ('1878', 'US-PA', '{America/New_York}', 'Pennsylvania'),
  ('1879', 'CA', '{America/Puerto_Rico,America/St_Johns}', 'Newfoundland and Labrador'),
  ('1901', 'US-TN', '{America/Chicago}', 'Tennessee'),
  ('1902', 'CA', '{America/Halifax}', 'Nova Scotia/Prince Edward Island'),
  ('1903', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1904', 'US-FL', '{America/New_York}', 'Florida'),
  ('1905', 'CA', '{America/Toronto}', ''),
  ('1906', 'US-MI', '{America/Chicago,America/New_York}', 'Michigan'),
  ('1907', 'US-AK', '{America/Adak,America/Anchorage,America/Juneau,Pacific/Honolulu}', 'Alaska'),
  ('1908', 'US-NJ', '{America/New_York}', 'New Jersey'),
  ('1909', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1910', 'US-NC', '{America/New_York}', 'North Carolina'),
  ('1912', 'US-GA', '{America/New_York}', 'Georgia'),
  ('1913', 'US-KS', '{America/Chicago}', 'Kansas'),
  ('1914', 'US-NY', '{America/New_York}', 'New York'),
  ('1915', 'US-TX', '{America/Denver}', 'Texas'),
  ('1916', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1917', 'US-NY', '{America/New_York}', 'New York'),
  ('1918', 'US-OK', '{America/Chicago}', 'Oklahoma'),
  ('1919', 'US-NC', '{America/New_York}', 'North Carolina'),
  ('1920', 'US-WI', '{America/Chicago}', 'Wisconsin'),
  ('1925', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1928', 'US-AZ', '{America/Denver,America/Phoenix}', 'Arizona'),
  ('1929', 'US-NY', '{America/New_York}', 'New York'),
  ('1930', 'US-IN', '{America/New_York}', 'Indiana'),
  ('1931', 'US-TN', '{America/Chicago}', 'Tennessee'),
  ('1934', 'US-NY', '{America/New_York}', 'New York, NY'),
  ('1936', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1937', 'US-OH', '{America/New_York}', 'Ohio'),
  ('1938', 'US-AL', '{America/Chicago}', 'Alabama'),
  ('1939', 'US-PR', '{America/Puerto_Rico}', ''),
  ('1940', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1941', 'US-FL', '{America/New_York}', 'Florida'),
  ('1942', 'CA', '{America/Toronto}', 'Toronto, ON'),
  ('1943', 'US-GA', '{America/New_York}', 'Georgia'),
  ('1945', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1947', 'US-MI', '{America/New_York}', 'Michigan'),
  ('1948', 'US-VA', '{America/New_York}', 'Virginia'),
  ('1949', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1951', 'US-CA', '{America/Los_Angeles}', 'California'),
  ('1952', 'US-MN', '{America/Chicago}', 'Minnesota'),
  ('1954', 'US-FL', '{America/New_York}', 'Florida'),
  ('1956', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1959', 'US-CT', '{America/New_York}', 'Connecticut'),
  ('1970', 'US-CO', '{America/Denver}', 'Colorado'),
  ('1971', 'US-OR', '{America/Los_Angeles}', 'Oregon'),
  ('1972', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1973', 'US-NJ', '{America/New_York}', 'New Jersey'),
  ('1975', 'US-MO', '{America/Chicago}', 'Missouri'),
  ('1978', 'US-MA', '{America/New_York}', 'Massachusetts'),
  ('1979', 'US-TX', '{America/Chicago}', 'Texas'),
  ('1980', 'US-NC', '{America/New_York}', 'North Carolina'),
  ('1983', 'US-CO', '{America/Denver}', 'Colorado'),
  ('1984', 'US-NC', '{America/New_York}', 'North Carolina'),
  ('1985', 'US-LA', '{America/Chicago}', 'Louisiana'),
  ('1986', 'US-ID', '{America/Boise,America/Los_Angeles}', 'Idaho'),
  ('1989', 'US-MI', '{America/New_York}', 'Michigan'),
  ('20', 'EG', '{Africa/Cairo}', 'EG'),
  ('211', 'SS', '{Africa/Nairobi}', 'SS'),
  ('212', 'MA', '{Atlantic/Canary}', 'MA, EH'),
  ('213', 'DZ', '{Europe/Paris}', 'DZ'),
  ('216', 'TN', '{Africa/Tunis}', 'TN'),
  ('218', 'LY', '{Europe/Bucharest}', 'LY'),
  ('220', 'GM', '{Africa/Banjul}', 'GM'),
  ('221', 'SN', '{Africa/Dakar}', 'SN'),
  ('222', 'MR', '{Africa/Nouakchott}', 'MR'),
  ('223', 'ML', '{Africa/Bamako}', 'ML'),
  ('224', 'GN', '{Africa/Conakry}', 'GN'),
  ('225', 'CI', '{Africa/Abidjan}', 'CI'),
  ('226', 'BF', '{Africa/Ouagadougou}', 'BF'),
  ('227', 'NE', '{Africa/Niamey}', 'NE'),
  ('228', 'TG', '{Africa/Lome}', 'TG'),
  ('229', 'BJ', '{Africa/Porto-Novo}', 'BJ'),
  ('230', 'MU', '{Indian/Mauritius}', 'MU'),
  ('231', 'LR', '{Atlantic/Reykjavik}', 'LR'),
  ('232', 'SL', '{Africa/Freetown}', 'SL'),
  ('233', 'GH', '{Africa/Accra}', 'GH'),
  ('234', 'NG', '{Africa/Lagos}', 'NG'),
  ('235', 'TD', '{Africa/Ndjamena}', 'TD'),
  ('236', 'CF', '{Africa/Bangui}', 'CF'),
  ('237', 'CM', '{Africa/Douala}', 'CM'),
  ('238', 'CV', '{Atlantic/Cape_Verde}', 'CV'),
  ('239', 'ST', '{Africa/Sao_Tome}', 'ST'),
  ('240', 'GQ', '{Africa/Malabo}', 'GQ'),
  ('241', 'GA', '{Africa/Libreville}', 'GA'),
  ('242', 'CG', '{Africa/Brazzaville}', 'CG'),
  ('243', 'CD', '{Africa/Kinshasa,Africa/Lubumbashi}', 'CD'),
  ('244', 'AO', '{Africa/Luanda}', 'AO'),
  ('245', 'GW', '{Atlantic/Reykjavik}', 'GW'),
  ('246', 'IO', '{Indian/Chagos}', 'IO'),
  ('247', 'AC', '{Atlantic/St_Helena}', 'AC'),
  ('248', 'SC', '{Indian/Mahe}', 'SC'),
  ('249', 'SD', '{Africa/Khartoum}', 'SD'),
  ('250', 'RW', '{Africa/Kigali}', 'RW'),
  ('251', 'ET', '{Africa/Addis_Ababa}', 'ET'),
  ('252', 'SO', '{Africa/Mogadishu}', 'SO'),
  ('253', 'DJ', '{Africa/Djibouti}', 'DJ'),
  ('254', 'KE', '{Africa/Nairobi}', 'KE'),
  ('255', 'TZ', '{Africa/Dar_es_Salaam}', 'TZ'),
  ('256', 'UG', '{Africa/Kampala}', 'UG'),
  ('257', 'BI', '{Africa/Bujumbura}', 'BI'),
  ('258', 'MZ', '{Africa/Maputo}', 'MZ'),
  ('260', 'ZM', '{Africa/Lusaka}', 'ZM'),
  ('261', 'MG', '{Indian/Antananarivo}', 'MG'),
  ('262', 'RE', '{Indian/Mayotte,Indian/Reunion}', 'RE, YT'),
  ('263', 'ZW', '{Africa/Harare}', 'ZW'),
  ('264', 'NA', '{Africa/Windhoek}', 'NA'),
  ('265', 'MW', '{Africa/Blantyre}', 'MW'),
  ('266', 'LS', '{Africa/Maseru}', 'LS'),
  ('267', 'BW', '{Africa/Gaborone}', 'BW'),
  ('268', 'SZ', '{Africa/Mbabane}', 'SZ'),
  ('269', 'KM', '{Indian/Comoro}', 'KM'),
  ('27', 'ZA', '{Africa/Johannesburg}', 'ZA'),
  ('290', 'SH', '{Atlantic/St_Helena}', 'SH, TA'),
  ('291', 'ER', '{Africa/Asmera}', 'ER'),
  ('297', 'AW', '{America/Aruba}', 'AW'),
  ('298', 'FO', '{Atlantic/Faeroe}', 'FO'),
  ('299', 'GL', '{America/Godthab,America/Scoresbysund,America/Thule}', 'GL'),
  ('30', 'GR', '{Europe/Athens}', 'GR'),
  ('31', 'NL', '{Europe/Amsterdam}', 'NL'),
  ('32', 'BE', '{Europe/Brussels}', 'BE'),
  ('33', 'FR', '{Europe/Paris}', 'FR'),
  ('34', 'ES', '{Atlantic/Canary,Europe/Madrid}', 'ES'),
  ('350', 'GI', '{Europe/Gibraltar}', 'GI'),
  ('351', 'PT', '{Atlantic/Azores,Europe/Lisbon}', 'PT'),
  ('352', 'LU', '{Europe/Luxembourg}', 'LU'),
  ('353', 'IE', '{Europe/Guernsey,Europe/Isle_of_Man,Europe/London}', 'IE'),
  ('354', 'IS', '{Atlantic/Reykjavik}', 'IS'),
  ('355', 'AL', '{Europe/Tirane}', 'AL'),
  ('356', 'MT', '{Europe/Malta}', 'MT'),
  ('357', 'CY', '{Asia/Nicosia}', 'CY'),
  ('358', 'FI', '{Europe/Helsinki,Europe/Mariehamn}', 'FI, AX'),
  ('359', 'BG', '{Europe/Sofia}', 'BG'),
  ('36', 'HU', '{Europe/Budapest}', 'HU'),
  ('370', 'LT', '{Europe/Bucharest}', 'LT'),
  ('371', 'LV', '{Europe/Bucharest}', 'LV'),
  ('372', 'EE', '{Europe/Bucharest}', 'EE'),
  ('373', 'MD', '{Europe/Chisinau}', 'MD'),
  ('374', 'AM', '{Asia/Yerevan}', 'AM'),
  ('375', 'BY', '{Europe/Moscow}', 'BY'),
  ('376', 'AD', '{Europe/Andorra}', 'AD'),
  ('377', 'MC', '{Europe/Monaco}', 'MC'),
  ('378', 'SM', '{Europe/San_Marino}', 'SM'),
  ('380', 'UA', '{Europe/Kyiv}', 'UA'),
  ('381', 'RS', '{Europe/Belgrade}', 'RS'),
  ('382', 'ME', '{Europe/Podgorica}', 'ME'),
  ('383', 'XK', '{Europe/Belgrade}', 'XK'),
  ('385', 'HR', '{Europe/Zagreb}', 'HR'),
  ('386', 'SI', '{Europe/Ljubljana}', 'SI'),
  ('387', 'BA', '{Europe/Sarajevo}', 'BA'),
  ('389', 'MK', '{Europe/Skopje}', 'MK'),
  ('39', 'IT', '{Europe/Rome,Europe/Vatican}', 'IT, VA'),
  ('40', 'RO', '{Europe/Bucharest}', 'RO'),
  ('41', 'CH', '{Europe/Zurich}', 'CH'),
  ('420', 'CZ', '{Europe/Prague}', 'CZ'),
  ('421', 'SK', '{Europe/Bratislava}', 'SK'),
  ('423', 'LI', '{Europe/Vaduz}', 'LI'),
  ('43', 'AT', '{Europe/Vienna}', 'AT'),
  ('44', 'GB', '{Europe/Guernsey,Europe/Isle_of_Man,Europe/Jersey,Europe/London}', 'GB, GG, IM, JE'),
  ('45', 'DK', '{Europe/Copenhagen}', 'DK'),
  ('46', 'SE', '{Europe/Stockholm}', 'SE'),
  ('47', 'NO', '{Arctic/Longyearbyen,Europe/Oslo}', 'NO, SJ'),
  ('48', 'PL', '{Europe/Warsaw}', 'PL'),
  ('49', 'DE', '{Europe/Berlin}', 'DE'),
  ('500', 'FK', '{Atlantic/Stanley}', 'FK'),
  ('501', 'BZ', '{America/Belize}', 'BZ'),
  ('502', 'GT', '{America/Guatemala}', 'GT'),
  ('503', 'SV', '{America/El_Salvador}', 'SV'),
  ('504', 'HN', '{America/Tegucigalpa}', 'HN'),
  ('505', 'NI', '{America/Chicago}', 'NI'),
  ('506', 'CR', '{America/Costa_Rica}', 'CR'),
  ('507', 'PA', '{America/Panama}', 'PA'),
  ('508', 'PM', '{America/Miquelon}', 'PM'),
  ('509', 'HT', '{America/Port-au-Prince}', 'HT'),
  ('51', 'PE', '{America/Lima}', 'PE'),
  ('52', 'MX', '{America/Cancun,America/Ciudad_Juarez,America/Matamoros,America/Mazatlan,America/Mexico_City,America/New_York,America/Ojinaga,America/Tijuana}', 'MX'),
  ('53', 'CU', '{America/Havana}', 'CU'),
  ('54', 'AR', '{America/Buenos_Aires}', 'AR'),
  ('55', 'BR', '{America/Manaus,America/Noronha,America/Rio_Branco,America/Sao_Paulo}', 'BR'),
  ('56', 'CL', '{America/Santiago}', 'CL'),
  ('57', 'CO', '{America/Bogota}', 'CO'),
  ('58', 'VE', '{America/Caracas}', 'VE'),
  ('590', 'GP', '{America/Guadeloupe}', 'GP, BL, MF'),
  ('591', 'BO', '{America/La_Paz}', 'BO'),
  ('592', 'GY', '{America/Guyana}', 'GY'),
  ('593', 'EC', '{America/Guayaquil,Pacific/Galapagos}', 'EC'),
  ('594', 'GF', '{America/Cayenne}', 'GF'),
  ('595', 'PY', '{America/Asuncion}', 'PY'),
  ('596', 'MQ', '{America/Martinique}', 'MQ'),
  ('597', 'SR', '{America/Paramaribo}', 'SR'),
  ('598', 'UY', '{America/Montevideo}', 'UY'),
  ('599', 'CW', '{America/Curacao,America/Kralendijk}', 'CW, BQ'),
  ('60', 'MY', '{Asia/Kuching}', 'MY'),
  ('61', 'AU', '{Australia/Adelaide,Australia/Brisbane,Australia/Eucla,Australia/Lord_Howe,Australia/Perth,Australia/Sydney,Indian/Christmas,Indian/Cocos}', 'AU, CC, CX'),
  ('62', 'ID', '{Asia/Jakarta,Asia/Jayapura,Asia/Makassar}', 'ID'),
  ('63', 'PH', '{Asia/Manila}', 'PH'),
  ('64', 'NZ', '{Pacific/Auckland,Pacific/Chatham}', 'NZ'),
  ('65', 'SG', '{Asia/Singapore}', 'SG'),
  ('66', 'TH', '{Asia/Bangkok}', 'TH'),
  ('670', 'TL', '{Asia/Dili}', 'TL'),
  ('672', 'NF', '{Pacific/Norfolk}', 'NF'),
  ('673', 'BN', '{Asia/Brunei}', 'BN'),
  ('674', 'NR', '{Pacific/Nauru}', 'NR'),
  ('675', 'PG', '{Pacific/Port_Moresby}', 'PG'),
  ('676', 'TO', '{Pacific/Tongatapu}', 'TO'),
  ('677', 'SB', '{Pacific/Guadalcanal}', 'SB'),
  ('678', 'VU', '{Pacific/Efate}', 'VU'),
  ('679', 'FJ', '{Pacific/Fiji}', 'FJ'),
  ('680', 'PW', '{Pacific/Palau}', 'PW'),
  ('681', 'WF', '{Pacific/Wallis}', 'WF'),
  ('682', 'CK', '{Pacific/Rarotonga}', 'CK'),
  ('683', 'NU', '{Pacific/Niue}', 'NU'),
  ('685', 'WS', '{Pacific/Apia}', 'WS'),
  ('686', 'KI', '{Pacific/Enderbury,Pacific/Kiritimati,Pacific/Tarawa}', 'KI'),
  ('687', 'NC', '{Pacific/Noumea}', 'NC'),
  ('688', 'TV', '{Pacific/Funafuti}', 'TV'),
  ('689', 'PF', '{Pacific/Gambier,Pacific/Marquesas,Pacific/Tahiti}', 'PF'),
  ('690', 'TK', '{Pacific/Fakaofo}', 'TK'),
  ('691', 'FM', '{Pacific/Kosrae,Pacific/Ponape,Pacific/Truk}', 'FM'),
  ('692', 'MH', '{Pacific/Majuro}', 'MH'),
  ('7', 'RU', '{Asia/Almaty,Asia/Anadyr,Asia/Aqtobe,Asia/Irkutsk,Asia/Kamchatka,Asia/Krasnoyarsk,Asia/Magadan,Asia/Novosibirsk,Asia/Omsk,Asia/Sakhalin,Asia/Vladivostok,Asia/Yakutsk,Asia/Yekaterinburg,Europe/Bucharest,Europe/Moscow,Europe/Samara}', 'RU, KZ'),
  ('800', null, '{}', ''),
  ('808', null, '{}', ''),
  ('81', 'JP', '{Asia/Tokyo}', 'JP'),
  ('82', 'KR', '{Asia/Seoul}', 'KR'),
  ('84', 'VN', '{Asia/Ho_Chi_Minh}', 'VN'),
  ('850', 'KP', '{Asia/Seoul}', 'KP'),
  ('852', 'HK', '{Asia/Hong_Kong}', 'HK'),
  ('853', 'MO', '{Asia/Shanghai}', 'MO'),
  ('855', 'KH', '{Asia/Phnom_Penh}', 'KH'),
  ('856', 'LA', '{Asia/Vientiane}', 'LA'),
  ('86', 'CN', '{Asia/Shanghai}', 'CN'),
  ('870', null, '{}', ''),
  ('878', null, '{}', ''),
  ('880', 'BD', '{Asia/Dhaka}', 'BD'),
  ('881', null, '{}', ''),
  ('882', null, '{}', ''),
  ('883', null, '{}', ''),
  ('886', 'TW', '{Asia/Taipei}', 'TW'),
  ('888', null, '{}', ''),
  ('90', 'TR', '{Europe/Istanbul}', 'TR'),
  ('91', 'IN', '{Asia/Calcutta}', 'IN'),
  ('92', 'PK', '{Asia/Karachi}', 'PK'),
  ('93', 'AF', '{Asia/Kabul}', 'AF'),
  ('94', 'LK', '{Asia/Colombo}', 'LK'),
  ('95', 'MM', '{Asia/Rangoon}', 'MM'),
  ('960', 'MV', '{Indian/Maldives}', 'MV'),
  ('961', 'LB', '{Asia/Beirut}', 'LB'),
  ('962', 'JO', '{Asia/Amman}', 'JO'),
  ('963', 'SY', '{Asia/Damascus}', 'SY'),
  ('964', 'IQ', '{Asia/Baghdad}', 'IQ'),
  ('965', 'KW', '{Asia/Kuwait}', 'KW'),
  ('966', 'SA', '{Asia/Riyadh}', 'SA'),
  ('967', 'YE', '{Asia/Aden}', 'YE'),
  ('968', 'OM', '{Asia/Muscat}', 'OM'),
  ('970', 'PS', '{Europe/Bucharest}', 'PS'),
  ('971', 'AE', '{Asia/Dubai}', 'AE'),
  ('972', 'IL', '{Asia/Jerusalem}', 'IL'),
  ('973', 'BH', '{Asia/Bahrain}', 'BH'),
  ('974', 'QA', '{Asia/Qatar}', 'QA'),
  ('975', 'BT', '{Asia/Thimphu}', 'BT'),
  ('976', 'MN', '{Asia/Choibalsan,Asia/Hovd,Asia/Ulaanbaatar}', 'MN'),
  ('977', 'NP', '{Asia/Katmandu}', 'NP'),
  ('979', null, '{}', ''),
  ('98', 'IR', '{Asia/Tehran}', 'IR'),
  ('992', 'TJ', '{Asia/Dushanbe}', 'TJ'),
  ('993', 'TM', '{Asia/Ashgabat}', 'TM'),
  ('994', 'AZ', '{Asia/Baku}', 'AZ'),
  ('995', 'GE', '{Asia/Tbilisi}', 'GE'),
  ('996', 'KG', '{Asia/Bishkek}', 'KG'),
  ('998', 'UZ', '{Asia/Tashkent}', 'UZ');
-- END GENERATED recipient_number_prefixes
