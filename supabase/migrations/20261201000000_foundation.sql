-- Foundation: the private schema, who is writing, the table of allowed moves, and the value checks the
-- message tables share.
--
-- Why: people edit these tables from the Supabase dashboard and the SQL editor (as postgres or
-- service_role) while pg_cron, the listeners and the scheduler act on the same rows. The database keeps
-- the invariants of docs/state-machine.md whoever writes, so every move of a status is a row of
-- internal.transitions with its one writer, and each table's guard trigger checks that row.
--
-- `internal` is not exposed by PostgREST and nobody but its owner may use it: the public API functions
-- that need it are SECURITY DEFINER (owner postgres, empty search_path), and so are the trigger functions
-- (they fire under the role of whoever edits a row).

create schema if not exists internal;
revoke all on schema internal from public, anon, authenticated, service_role;
comment on schema internal is
  'Helpers, trigger functions and bookkeeping of the SMS system: not an API (docs/state-machine.md).';

-- Who is writing ------------------------------------------------------------------------------------
-- A function that owns a move declares itself with `set sms.writer = '<name>'` in its definition:
-- PostgreSQL sets the value on entry and restores it on exit, so it lasts exactly as long as the call.
-- A session can set sms.writer too, so the claim is believed only when the function that owns that
-- writer name (internal.writers) is on the call stack (PG_CONTEXT): `set sms.writer = 'claim'` followed
-- by a plain UPDATE is still the person's statement.
create table internal.writers (
  writer text not null,
  function_name text not null,  -- schema-qualified, as PL/pgSQL names it in PG_CONTEXT
  primary key (writer, function_name)
);

comment on table internal.writers is
  'Which functions may speak as each writer of internal.transitions (checked against the call stack).';

insert into internal.writers (writer, function_name) values
  ('promotion', 'public.process_scheduled_messages'),
  ('claim', 'public.claim_next_bubble'),
  ('listener', 'public.mark_bubble_sent'),
  ('listener', 'public.mark_bubble_failed'),
  ('requeue', 'internal.requeue'),
  ('unknown', 'internal.to_unknown'),
  ('follow', 'internal.scheduled_messages_inserted'),
  ('follow', 'internal.scheduled_messages_follow'),
  ('follow', 'internal.messages_follow');

revoke all on table internal.writers from public, anon, authenticated, service_role;

create function internal.writer()
returns text
language plpgsql
stable
set search_path = ''
as $$
declare
  v_claimed constant text := nullif(pg_catalog.current_setting('sms.writer', true), '');
  v_stack text;
begin
  if v_claimed is null then
    return 'person';
  end if;
  get diagnostics v_stack = pg_context;
  if exists (select 1 from internal.writers w
              where w.writer = v_claimed
                and pg_catalog.strpos(v_stack, 'PL/pgSQL function ' || w.function_name || '(') > 0) then
    return v_claimed;
  end if;
  return 'person';
end
$$;

comment on function internal.writer() is
  'The writer of the current statement: the sms.writer of the owning SQL function on the call stack, else person.';

-- The allowed moves ----------------------------------------------------------------------------------
create table internal.transitions (
  table_name text not null,
  from_status text not null,  -- '(insert)' for the status a row may be inserted with
  to_status text not null,
  writer text not null,
  why text not null,
  primary key (table_name, from_status, to_status, writer)
);

comment on table internal.transitions is
  'Every allowed status move of campaign_messages, scheduled_messages and messages, with its only writer '
  '(docs/state-machine.md draws this table). Each table''s guard trigger refuses any other move.';

insert into internal.transitions (table_name, from_status, to_status, writer, why) values
  ('campaign_messages', '(insert)', 'SUG', 'person', 'an imported or typed suggestion'),
  ('campaign_messages', '(insert)', 'APR', 'person', 'a person approves while importing'),
  ('campaign_messages', 'SUG', 'APR', 'person', 'a person approves the text'),
  ('campaign_messages', 'APR', 'SUG', 'person', 'a person takes the approval back'),
  ('campaign_messages', 'SUG', 'cancelled', 'person', 'a person drops a suggestion'),
  ('campaign_messages', 'APR', 'cancelled', 'person', 'a person drops an approved text before scheduling'),
  ('campaign_messages', 'failed', 'APR', 'person', 'a person approves a failed text again, to be planned anew'),
  ('campaign_messages', 'APR', 'SCH', 'follow', 'its scheduled message was inserted'),
  ('campaign_messages', 'failed', 'SCH', 'follow', 'its scheduled message was retried'),
  ('campaign_messages', 'SCH', 'sent', 'follow', 'its scheduled message was sent'),
  ('campaign_messages', 'SCH', 'failed', 'follow', 'its scheduled message failed'),
  ('campaign_messages', 'SCH', 'cancelled', 'follow', 'its scheduled message was cancelled'),
  ('campaign_messages', 'failed', 'cancelled', 'follow', 'its failed scheduled message was cancelled'),
  ('scheduled_messages', '(insert)', 'SCH', 'person', 'the scheduler or a person plans a text'),
  ('scheduled_messages', 'SCH', 'queued', 'promotion', 'due inside the window: its bubbles were created'),
  ('scheduled_messages', 'SCH', 'failed', 'promotion', 'it could not be promoted (the reason is recorded)'),
  ('scheduled_messages', 'SCH', 'sent', 'promotion', 'a retry whose every bubble was already sent'),
  ('scheduled_messages', 'SCH', 'cancelled', 'person', 'a person cancels before it is due'),
  ('scheduled_messages', 'queued', 'cancelled', 'person', 'a person cancels: unsent bubbles stop'),
  ('scheduled_messages', 'queued', 'sent', 'follow', 'every bubble was sent'),
  ('scheduled_messages', 'queued', 'failed', 'follow', 'a bubble failed: later bubbles stop'),
  ('scheduled_messages', 'failed', 'SCH', 'person', 'a person retries: promotion sends what was not sent'),
  ('scheduled_messages', 'failed', 'cancelled', 'person', 'a person gives up on a failed text'),
  ('messages', '(insert)', 'queued', 'promotion', 'promotion creates the bubbles of a scheduled message'),
  ('messages', 'queued', 'sending', 'claim', 'a listener claimed it'),
  ('messages', 'sending', 'sent', 'listener', 'the modem accepted it'),
  ('messages', 'sending', 'failed', 'listener', 'refused for good, or out of attempts'),
  ('messages', 'sending', 'queued', 'requeue', 'nothing left the modem: a transient refusal or a release'),
  ('messages', 'sending', 'unknown', 'unknown', 'it may have left the modem: a person decides'),
  ('messages', 'queued', 'cancelled', 'follow', 'its scheduled message was cancelled or failed'),
  ('messages', 'unknown', 'sent', 'person', 'a person confirmed it arrived'),
  ('messages', 'unknown', 'failed', 'person', 'a person confirmed it did not arrive');

revoke all on table internal.transitions from public, anon, authenticated, service_role;

-- Refuse a move that is not in internal.transitions, naming the row and the moves that are allowed.
create function internal.check_transition(table_name text, row_id bigint, from_status text, to_status text)
returns void
language plpgsql
stable
set search_path = ''
as $$
declare
  v_writer constant text := internal.writer();
  v_allowed text;
  v_owner text;
begin
  if exists (
    select 1 from internal.transitions t
     where t.table_name = $1 and t.from_status = $3 and t.to_status = $4 and t.writer = v_writer
  ) then
    return;
  end if;
  select string_agg(format('%s (%s)', t.to_status, t.writer), ', ' order by t.to_status)
    into v_allowed
    from internal.transitions t
   where t.table_name = $1 and t.from_status = $3;
  select string_agg(distinct t.writer, ' or ')
    into v_owner
    from internal.transitions t
   where t.table_name = $1 and t.from_status = $3 and t.to_status = $4;
  raise exception '%', format('%s row %s: cannot move from %s to %s%s', $1, coalesce($2::text, '(new)'), $3, $4,
    case when v_owner is null then ''
         else format(': only %s makes that move, not %s', v_owner, v_writer) end)
    using errcode = 'object_not_in_prerequisite_state',
          detail = format('Allowed from %s: %s.', $3, coalesce(v_allowed, 'nothing, it is final')),
          hint = 'docs/state-machine.md lists every move and who makes it.';
end
$$;

-- Shared value checks ---------------------------------------------------------------------------------
-- What a bubble is trimmed of: Python's str.isspace() characters plus the invisible ones a text editor
-- or an AI may leave behind (zero-width space, non-joiner, joiner, word joiner, BOM, soft hyphen).
-- sms_common/bubbles.py uses the same set (a test compares the two).
create function internal.blank_characters()
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select E' \t\n\u000b\f\r\u001c\u001d\u001e\u001f\u0085\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005'
         || E'\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000\u200b\u200c\u200d\u2060\ufeff\u00ad'
$$;

-- The bubbles of a text: split on the exact marker [BUBBLE], each part trimmed, in order, numbered from 1.
-- Empty parts are kept (and refused by bubble_problem), so the numbering is the one a person sees.
create function internal.split_bubbles(message_content text)
returns table (bubble_index integer, content text)
language sql
immutable
parallel safe
set search_path = ''
as $$
  select p.n::integer, pg_catalog.btrim(p.part, internal.blank_characters())
    from pg_catalog.regexp_split_to_table(coalesce($1, ''), '\[BUBBLE\]') with ordinality as p(part, n)
$$;

-- Why a text cannot be sent, or null. Limits: 16,000 characters, 10 bubbles, 1,600 characters a bubble
-- (ten GSM-7 parts of 153 characters, rounded up), every bubble visible, the marker exact.
create function internal.bubble_problem(message_content text)
returns text
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  v_near text;
  v_count integer;
  v_part record;
begin
  if $1 is null then
    return 'the text is missing';
  end if;
  if pg_catalog.length($1) > 16000 then
    return format('the text is %s characters: at most 16,000', pg_catalog.length($1));
  end if;
  -- Fast path: no bracket of any kind, so one bubble, and only its length and visibility matter.
  if pg_catalog.strpos($1, '[') = 0 and pg_catalog.strpos($1, ']') = 0
     and pg_catalog.strpos($1, E'\uff3b') = 0 and pg_catalog.strpos($1, E'\uff3d') = 0 then
    if pg_catalog.btrim($1, internal.blank_characters()) = '' then
      return 'bubble 1 of 1 is empty';
    end if;
    if pg_catalog.length(pg_catalog.btrim($1, internal.blank_characters())) > 1600 then
      return format('bubble 1 of 1 is %s characters: at most 1,600',
                    pg_catalog.length(pg_catalog.btrim($1, internal.blank_characters())));
    end if;
    return null;
  end if;
  if pg_catalog.strpos($1, '[[BUBBLE]') > 0 or pg_catalog.strpos($1, '[BUBBLE]]') > 0 then
    return 'near-miss marker ''[[BUBBLE]]'': write exactly [BUBBLE]';
  end if;
  select m[1] into v_near
    from pg_catalog.regexp_matches($1, E'([[\uff3b][ \t\u00a0\u3000]*[Bb][Uu][Bb][Bb][Ll][Ee][ \t\u00a0\u3000]*[]\uff3d])', 'g') as r(m)
   where m[1] <> '[BUBBLE]'
   limit 1;
  if v_near is not null then
    return format('near-miss marker ''%s'': write exactly [BUBBLE]', v_near);
  end if;
  select count(*)::integer into v_count from internal.split_bubbles($1);
  if v_count > 10 then
    return format('%s bubbles: at most 10', v_count);
  end if;
  for v_part in select b.bubble_index, b.content from internal.split_bubbles($1) b order by b.bubble_index loop
    if v_part.content = '' then
      return format('bubble %s of %s is empty', v_part.bubble_index, v_count);
    end if;
    if pg_catalog.length(v_part.content) > 1600 then
      return format('bubble %s of %s is %s characters: at most 1,600', v_part.bubble_index, v_count,
                    pg_catalog.length(v_part.content));
    end if;
  end loop;
  return null;
end
$$;

comment on function internal.bubble_problem(text) is
  'Why a text cannot be sent (near-miss [BUBBLE] marker, empty or invisible bubble, too long, too many '
  'bubbles), or null. The rule is written in docs/state-machine.md; sms_common/bubbles.py is its twin.';

-- E.164: '+', a country code that does not start with 0, at most 15 digits in all.
create function internal.phone_problem(phone_number text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when $1 is null then 'the phone number is missing'
    when $1 !~ '^\+[1-9][0-9]{6,14}$' then format('"%s" is not an E.164 number', pg_catalog.left($1, 40))
  end
$$;

-- A moment every view and function can show: finite and within 2000-2199.
create function internal.moment_problem(moment timestamptz)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when $1 is null then null
    when not pg_catalog.isfinite($1) then format('%s is not a moment', $1)
    when $1 < '2000-01-01 00:00+00' or $1 >= '2200-01-01 00:00+00' then
      format('%s is outside the years 2000-2199', $1)
  end
$$;

-- Raise a bad-value error naming the table, the row and the column.
create function internal.refuse_value(table_name text, row_id bigint, column_name text, problem text, hint text)
returns void
language plpgsql
immutable
set search_path = ''
as $$
begin
  raise exception '% row %: %: %', $1, coalesce($2::text, '(new)'), $3, $4
    using errcode = 'check_violation', constraint = $1 || '_' || $3, hint = $5;
end
$$;

create function internal.set_updated_at()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  new.updated_at := pg_catalog.statement_timestamp();
  return new;
end
$$;

revoke all on all functions in schema internal from public, anon, authenticated, service_role;
