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
  ('follow', 'internal.messages_follow'),
  -- issue 12: inbound messages, opt-outs, reply bubbles, delivery reports (20261201000900_inbound.sql,
  -- 20261201000950_delivery_reports.sql)
  ('inbound', 'public.record_inbound_part'),
  ('inbound', 'public.record_malformed_inbound'),
  ('inbound', 'public.finish_stale_inbound_parts'),
  ('inbound', 'public.review_reply'),
  ('opt_out', 'internal.set_opt_out'),
  ('reply', 'internal.queue_reply'),
  ('report', 'public.record_status_report'),
  ('report', 'internal.record_sent_parts');

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
  ('scheduled_messages', 'SCH', 'cancelled', 'promotion', 'due, but its number opted out (the reason is recorded)'),
  ('scheduled_messages', 'SCH', 'cancelled', 'opt_out', 'its number opted out'),
  ('scheduled_messages', 'queued', 'cancelled', 'opt_out', 'its number opted out: unsent bubbles stop'),
  ('scheduled_messages', 'queued', 'cancelled', 'person', 'a person cancels: unsent bubbles stop'),
  ('scheduled_messages', 'queued', 'sent', 'follow', 'every bubble was sent'),
  ('scheduled_messages', 'queued', 'failed', 'follow', 'a bubble failed: later bubbles stop'),
  ('scheduled_messages', 'failed', 'SCH', 'person', 'a person retries: promotion sends what was not sent'),
  ('scheduled_messages', 'failed', 'cancelled', 'person', 'a person gives up on a failed text'),
  ('messages', '(insert)', 'queued', 'promotion', 'promotion creates the bubbles of a scheduled message'),
  ('messages', '(insert)', 'queued', 'reply', 'a reply to an inbound message: opt-out or opt-in confirmation, HELP text'),
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
-- The bubbles of a text: split on the exact marker [BUBBLE], each part trimmed at both ends of space,
-- tab, CR, LF, form feed, vertical tab (U+000B: E'\v' would be the letter v) and the invisible
-- characters an editor or an AI leaves behind (zero-width space, non-joiner, joiner, word joiner, BOM,
-- soft hyphen). Empty parts are kept (and refused by bubble_problem), so the numbering is the one a
-- person sees. sms_common/bubbles.py is the twin of both functions (tests/integration/scheduler/
-- test_bubbles_match_sql.py compares them on a fixed and a generated corpus).
create function internal.split_bubbles(message_content text)
returns table (bubble_index integer, content text)
language sql
immutable
parallel safe
rows 4
set search_path = ''
as $$
  select p.n::integer, pg_catalog.btrim(p.part, E' \t\r\n\f\u000B\u200B\u200C\u200D\u2060\uFEFF\u00AD')
    from pg_catalog.regexp_split_to_table(coalesce($1, ''), '\[BUBBLE\]') with ordinality as p(part, n)
$$;

-- Why a text cannot be sent, or null; the first problem found: longer than 16,000 characters; a
-- near-miss marker (another case, spaces or any Unicode white space inside the brackets, full-width or
-- doubled brackets); more than 10 bubbles; a bubble that is empty (only Unicode white space or
-- invisible characters) or longer than 1,600 characters (ten GSM-7 parts of 153, rounded up).
create function internal.bubble_problem(message_content text)
returns text
language plpgsql
immutable
parallel safe
set search_path = ''
as $$
declare
  -- Unicode White_Space (25) plus the invisible characters: ZWSP, ZWNJ, ZWJ, word joiner, BOM, soft hyphen.
  v_blank constant text :=
    E'[\t\n\u000B\f\r \u0085\u00A0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000\u200B\u200C\u200D\u2060\uFEFF\u00AD]';
  v_near constant text :=
    E'[[\uFF3B]+' || v_blank || '*[Bb][Uu][Bb][Bb][Ll][Ee]' || v_blank || E'*[]\uFF3D]+';
  v_text constant text := coalesce(message_content, '');
  v_parts text[];
  v_total integer;
  v_i integer := 1;
  v_pos integer;
  v_match text;
  v_prefix text;
  v_part text;
begin
  if message_content is null then
    return 'the text is missing';
  end if;
  if char_length(v_text) > 16000 then
    return format('the text is %s characters long: at most 16,000', to_char(char_length(v_text), 'FM999,999,999'));
  end if;
  -- Fast path (most texts): no bracket of any kind, so no marker and no near-miss: one bubble.
  if strpos(v_text, '[') = 0 and strpos(v_text, ']') = 0 and strpos(v_text, E'\uFF3B') = 0
     and strpos(v_text, E'\uFF3D') = 0 then
    v_parts := array[(select s.content from internal.split_bubbles(v_text) s)];
    v_total := 1;
  else
  select array_agg(s.content order by s.bubble_index) into v_parts from internal.split_bubbles(v_text) s;
  v_total := cardinality(v_parts);
  loop
    v_pos := regexp_instr(v_text, v_near, 1, v_i);
    exit when v_pos = 0;
    v_match := regexp_substr(v_text, v_near, 1, v_i);
    if v_match <> '[BUBBLE]' then
      v_prefix := left(v_text, v_pos - 1);
      return format('near-miss marker %L at character %s (bubble %s of %s): write exactly [BUBBLE]',
        v_match, v_pos, (char_length(v_prefix) - char_length(replace(v_prefix, '[BUBBLE]', ''))) / 8 + 1, v_total);
    end if;
    v_i := v_i + 1;
  end loop;
  end if;
  if v_total > 10 then
    return format('%s bubbles: at most 10', v_total);
  end if;
  for v_i in 1 .. v_total loop
    v_part := v_parts[v_i];
    if v_part ~ ('^' || v_blank || '*$') then
      if v_total = 1 then
        return 'empty message';
      end if;
      return format('bubble %s of %s is empty', v_i, v_total);
    end if;
    if char_length(v_part) > 1600 then
      return format('bubble %s of %s is %s characters long: at most 1,600', v_i, v_total,
        to_char(char_length(v_part), 'FM999,999,999'));
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
