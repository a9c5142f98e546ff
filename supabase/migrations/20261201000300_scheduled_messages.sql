-- scheduled_messages: one text at one time. SCH -> queued (promotion created its bubbles) -> sent |
-- failed | cancelled; failed -> SCH retries. The moves and their writers are rows of internal.transitions
-- (docs/state-machine.md); this file holds the table, its guard and its follow-up triggers.
--
-- Why so strict: the seed's management snippets are plain UPDATEs a person runs in the dashboard. Whatever
-- they run, nothing unapproved is queued (invariant b), `sent` means every bubble went out (c), a queued
-- message always progresses (d), a retry never resends what went out (a), and every accepted value can
-- be promoted and shown (f, g). What a person may not do is refused with the row, the problem and the
-- way out; the follow-ups (the campaign row, unsent bubbles) happen in the same statement.

create table public.scheduled_messages (
  id bigint generated always as identity primary key,
  campaign_message_id bigint unique references public.campaign_messages (id),
  phone_number text not null,
  customer_name text,
  message_content text not null,
  scheduled_for timestamptz not null,
  status text not null default 'SCH',
  campaign_name text,
  error_message text,
  queued_at timestamptz,
  sent_at timestamptz,
  promotions integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint scheduled_messages_phone_number_e164 check (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint scheduled_messages_status_check
    check (status in ('SCH', 'queued', 'sent', 'failed', 'cancelled')),
  constraint scheduled_messages_scheduled_for_range
    check (scheduled_for >= '2000-01-01 00:00+00' and scheduled_for < '2200-01-01 00:00+00'),
  constraint scheduled_messages_message_content_length check (length(message_content) <= 16000),
  constraint scheduled_messages_campaign_name_length check (length(campaign_name) <= 200),
  constraint scheduled_messages_customer_name_length check (length(customer_name) <= 200),
  constraint scheduled_messages_promotions_not_negative check (promotions >= 0)
);

comment on table public.scheduled_messages is
  'One text at one time: SCH -> queued -> sent | failed | cancelled; failed -> SCH retries '
  '(docs/state-machine.md). error_message says why it failed, or that it was only partially sent.';
comment on column public.scheduled_messages.promotions is
  'How many times promotion created bubbles for it (its bubbles carry the number; a retry adds one).';

-- Promotion: due SCH rows in time order (only live rows are in the index).
create index scheduled_messages_due_idx
  on public.scheduled_messages (scheduled_for, id) where status = 'SCH';
create index scheduled_messages_queued_idx
  on public.scheduled_messages (queued_at) where status = 'queued';
-- Dashboard: what went out or is planned on a given day.
create index scheduled_messages_scheduled_for_idx on public.scheduled_messages (scheduled_for);
create index scheduled_messages_sent_at_idx on public.scheduled_messages (sent_at) where sent_at is not null;

alter table public.scheduled_messages enable row level security;
revoke all on table public.scheduled_messages from public, anon, authenticated;
grant select, insert, update, delete on table public.scheduled_messages to service_role;
-- Supabase's default privileges give service_role ALL; TRUNCATE skips the row guards (invariants c, d).
revoke truncate, references, trigger on table public.scheduled_messages from service_role;
revoke all on sequence public.scheduled_messages_id_seq from public, anon, authenticated;
grant usage, select on sequence public.scheduled_messages_id_seq to service_role;

-- Values (insert and edits) ------------------------------------------------------------------------------
create function internal.scheduled_messages_check_values()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_problem text;
begin
  v_problem := internal.phone_problem(new.phone_number);
  if v_problem is not null then
    perform internal.refuse_value('scheduled_messages', new.id, 'phone_number', v_problem,
      'Write it as + country code and digits, no spaces, e.g. +12095550123.');
  end if;
  v_problem := internal.bubble_problem(new.message_content);
  if v_problem is not null then
    perform internal.refuse_value('scheduled_messages', new.id, 'message_content', v_problem,
      'Split bubbles with exactly [BUBBLE]; every bubble needs visible text (docs/state-machine.md).');
  end if;
  v_problem := coalesce(internal.moment_problem(new.scheduled_for),
                        case when new.scheduled_for is null then 'the send time is missing' end);
  if v_problem is not null then
    perform internal.refuse_value('scheduled_messages', new.id, 'scheduled_for', v_problem,
      'Use a real moment, e.g. now() + interval ''1 hour''.');
  end if;
  if tg_op = 'INSERT' then
    v_problem := internal.moment_problem(new.created_at);
    if v_problem is not null then
      perform internal.refuse_value('scheduled_messages', new.id, 'created_at', v_problem,
        'Leave it out: the insert sets it.');
    end if;
    perform internal.check_transition('scheduled_messages', new.id, '(insert)', new.status);
    if new.promotions <> 0 or new.queued_at is not null or new.sent_at is not null then
      perform internal.refuse_value('scheduled_messages', new.id, 'promotions',
        'a new scheduled message starts unpromoted (promotions 0, no queued_at or sent_at)',
        'Leave promotions, queued_at and sent_at out of the insert.');
    end if;
  end if;
  return new;
end
$$;

create trigger scheduled_messages_check_values
  before insert or update of phone_number, message_content, scheduled_for on public.scheduled_messages
  for each row execute function internal.scheduled_messages_check_values();

-- Inserted rows, once per statement (a bulk insert of 100,000 rows pays one join, not 100,000 lookups):
-- a row for a campaign text needs that text approved (APR), with the same recipient and text; then the
-- campaign row follows to SCH.
create function internal.scheduled_messages_inserted()
returns trigger
language plpgsql
security definer
set search_path = ''
set sms.writer = 'follow'
as $$
declare
  v_bad record;
begin
  select n.id, n.campaign_message_id, c.status, c.phone_number = n.phone_number as same_phone,
         c.message_content = n.message_content as same_text
    into v_bad
    from new_rows n
    join public.campaign_messages c on c.id = n.campaign_message_id
   where c.status not in ('APR', 'failed')
      or c.phone_number <> n.phone_number
      or c.message_content <> n.message_content
   order by n.id
   limit 1;
  if found then
    if v_bad.status not in ('APR', 'failed') then
      raise exception 'scheduled_messages row %: campaign_messages row % is %, not approved (APR)', v_bad.id,
        v_bad.campaign_message_id, v_bad.status
        using errcode = 'object_not_in_prerequisite_state',
              hint = 'Approve it first: update campaign_messages set status = ''APR'' where id = ...';
    end if;
    raise exception 'scheduled_messages row %: its % differs from the approved campaign_messages row %',
      v_bad.id, case when not v_bad.same_phone then 'phone_number' else 'message_content' end,
      v_bad.campaign_message_id
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Schedule the approved text as it is; edit it afterwards while it is SCH if it must change.';
  end if;

  update public.campaign_messages c
     set status = 'SCH'
    from new_rows n
   where c.id = n.campaign_message_id
     and c.status in ('APR', 'failed');
  return null;
end
$$;

create trigger scheduled_messages_inserted
  after insert on public.scheduled_messages
  referencing new table as new_rows
  for each statement execute function internal.scheduled_messages_inserted();

-- Moves and edits ---------------------------------------------------------------------------------------
create function internal.scheduled_messages_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_writer constant text := internal.writer();
  v_edited text[] := '{}';
  v_busy record;
  v_note text;
begin
  if new.id is distinct from old.id or new.created_at is distinct from old.created_at
     or new.campaign_message_id is distinct from old.campaign_message_id then
    raise exception 'scheduled_messages row %: its id, created_at and campaign_message_id cannot change', old.id
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Insert a new scheduled message instead.';
  end if;
  if new.status is distinct from old.status then
    perform internal.check_transition('scheduled_messages', old.id, old.status, new.status);
  end if;
  if v_writer = 'person'
     and (new.promotions is distinct from old.promotions or new.queued_at is distinct from old.queued_at
          or new.sent_at is distinct from old.sent_at) then
    raise exception 'scheduled_messages row %: promotions, queued_at and sent_at are kept by the database', old.id
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Change status, scheduled_for, phone_number or message_content instead.';
  end if;

  if new.message_content is distinct from old.message_content then
    v_edited := v_edited || 'message_content'::text;
  end if;
  if new.scheduled_for is distinct from old.scheduled_for then
    v_edited := v_edited || 'scheduled_for'::text;
  end if;
  if new.phone_number is distinct from old.phone_number then
    v_edited := v_edited || 'phone_number'::text;
  end if;
  if cardinality(v_edited) > 0
     and not (old.status = 'SCH' and new.status = 'SCH' or (old.status = 'failed' and new.status = 'SCH')) then
    raise exception 'scheduled_messages row %: cannot change % while it is %', old.id,
      array_to_string(v_edited, ', '), old.status
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Only SCH rows can be edited; fix a failed row while resetting it to SCH.';
  end if;
  if new.scheduled_for is distinct from old.scheduled_for and new.scheduled_for < pg_catalog.statement_timestamp() then
    raise exception 'scheduled_messages row %: cannot reschedule into the past (% is before now, %)', old.id,
      new.scheduled_for, pg_catalog.statement_timestamp()
      using errcode = 'check_violation', constraint = 'scheduled_messages_no_reschedule_into_past',
            hint = 'Pick a time from now on; now() sends it at the next promotion.';
  end if;

  if old.status = 'failed' and new.status = 'SCH' then
    -- A retry: refused while a bubble may still be in flight or its fate is unknown (invariant a).
    -- Lock the bubbles that are not final first: a claim not committed yet (queued -> sending) is waited
    -- for, so the check below sees its outcome instead of the queued row it started from.
    perform 1 from public.messages m
      where m.scheduled_message_id = old.id and m.status in ('queued', 'sending', 'unknown')
        for update of m;
    select m.id, m.status, m.worker_id into v_busy
      from public.messages m
     where m.scheduled_message_id = old.id and m.status in ('sending', 'unknown')
     order by m.id
     limit 1;
    if found then
      raise exception 'scheduled_messages row %: cannot retry while its bubble (messages row %) is %', old.id,
        v_busy.id, v_busy.status
        using errcode = 'object_not_in_prerequisite_state',
              hint = case v_busy.status
                when 'sending' then format('Wait for listener %s to record its outcome.', v_busy.worker_id)
                else format('Decide first whether it arrived: update messages set status = ''sent'' (or ''failed'') '
                            'where id = %s; then retry.', v_busy.id) end;
    end if;
    if exists (select 1 from public.campaign_messages c
                where c.id = old.campaign_message_id and c.status in ('SUG', 'cancelled', 'sent')) then
      raise exception 'scheduled_messages row %: cannot retry: its campaign_messages row % is no longer approved',
        old.id, old.campaign_message_id
        using errcode = 'object_not_in_prerequisite_state',
              hint = 'Approve the campaign text again (status APR) before retrying.';
    end if;
    new.error_message := null;
    new.queued_at := null;
    new.sent_at := null;
  end if;

  if old.status = 'queued' and new.status in ('cancelled', 'failed') then
    v_note := internal.partial_note(old.id);
    if v_note is not null then
      new.error_message := v_note || coalesce('; ' || new.error_message, '');
    end if;
  end if;
  return new;
end
$$;

create trigger scheduled_messages_guard
  before update on public.scheduled_messages
  for each row execute function internal.scheduled_messages_guard();

create trigger scheduled_messages_updated_at
  before update on public.scheduled_messages
  for each row execute function internal.set_updated_at();

-- Follow-ups of a status change: unsent bubbles stop, the campaign row follows.
create function internal.scheduled_messages_follow()
returns trigger
language plpgsql
security definer
set search_path = ''
set sms.writer = 'follow'
as $$
begin
  if old.status = 'queued' and new.status in ('cancelled', 'failed') then
    update public.messages m
       set error_message = format('not sent: scheduled message %s was %s before this bubble was sent',
                                  new.id, new.status),
           status = 'cancelled'
     where m.scheduled_message_id = new.id
       and m.status = 'queued';
  end if;
  if new.campaign_message_id is not null then
    update public.campaign_messages c
       set status = new.status
     where c.id = new.campaign_message_id
       and c.status is distinct from new.status
       and exists (select 1 from internal.transitions t
                    where t.table_name = 'campaign_messages' and t.from_status = c.status
                      and t.to_status = new.status and t.writer = 'follow');
  end if;
  return null;
end
$$;

create trigger scheduled_messages_follow
  after update of status on public.scheduled_messages
  for each row
  when (old.status is distinct from new.status and new.status in ('SCH', 'sent', 'failed', 'cancelled'))
  execute function internal.scheduled_messages_follow();

-- Deletes: a queued message, or one with a bubble in flight or of unknown fate, is live (invariant d).
create function internal.scheduled_messages_refuse_live_delete()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.status = 'queued'
     or exists (select 1 from public.messages m
                 where m.scheduled_message_id = old.id and m.status in ('sending', 'unknown')) then
    raise exception 'scheduled_messages row %: cannot delete it while it is being sent (status %)', old.id,
      old.status
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Cancel it first (update scheduled_messages set status = ''cancelled'' where id = ...); '
                   'an unknown bubble needs a person''s decision first.';
  end if;
  if old.status = 'SCH' and exists (select 1 from public.campaign_messages c
                                     where c.id = old.campaign_message_id and c.status = 'SCH') then
    -- Its campaign row leaves SCH only by following this row: deleted, it would stay SCH forever.
    raise exception 'scheduled_messages row %: cannot delete it: campaign_messages row % follows it (SCH)', old.id,
      old.campaign_message_id
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Cancel it (update scheduled_messages set status = ''cancelled'' where id = ...) or change '
                   'its scheduled_for.';
  end if;
  return old;
end
$$;

create trigger scheduled_messages_refuse_live_delete
  before delete on public.scheduled_messages
  for each row execute function internal.scheduled_messages_refuse_live_delete();

revoke all on function internal.scheduled_messages_check_values() from public, anon, authenticated, service_role;
revoke all on function internal.scheduled_messages_inserted() from public, anon, authenticated, service_role;
revoke all on function internal.scheduled_messages_guard() from public, anon, authenticated, service_role;
revoke all on function internal.scheduled_messages_follow() from public, anon, authenticated, service_role;
revoke all on function internal.scheduled_messages_refuse_live_delete()
  from public, anon, authenticated, service_role;
