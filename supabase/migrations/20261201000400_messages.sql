-- messages: one row per [BUBBLE] of a scheduled message, what a modem sends. queued -> sending -> sent |
-- failed | unknown | cancelled; the moves and their writers are rows of internal.transitions
-- (docs/state-machine.md); this file holds the table, its guard, its follow-up triggers and its wake-ups.
--
-- Why so strict: a bubble is a frozen copy of an approved text (invariant e) that a listener hands to a
-- modem. Only promotion creates bubbles; only the claim hands one out; nothing that may have left a modem
-- (sent, unknown) ever goes back to queued, and a retry creates new rows for what was not sent instead of
-- re-queuing old ones (a). A person resolves an `unknown` bubble (sent or failed) and nothing else.

create table public.messages (
  id bigint generated always as identity primary key,
  scheduled_message_id bigint references public.scheduled_messages (id) on delete cascade,
  promotion integer,
  bubble_index integer,
  bubble_count integer,
  phone_number text not null,
  content text not null,
  status text not null default 'queued',
  attempts integer not null default 0,
  next_attempt_at timestamptz,
  worker_id text,
  claimed_at timestamptz,
  sent_at timestamptz,
  modem_reference text,
  error_message text,
  -- issue 12: a reply to an inbound message (scheduled_message_id null; the foreign key to
  -- inbound_messages is added by 20261201000900_inbound.sql, which creates that table).
  inbound_message_id bigint,
  reply_kind text,
  -- issue 12: delivery reports (20261201000950_delivery_reports.sql): null until sent with usable
  -- modem references, then pending -> retrying -> delivered | failed | expired.
  delivery_status text,
  delivered_at timestamptz,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  constraint messages_phone_number_e164 check (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint messages_status_check
    check (status in ('queued', 'sending', 'sent', 'failed', 'unknown', 'cancelled')),
  constraint messages_content_length check (length(content) between 1 and 1600),
  constraint messages_bubble_position check (
    (scheduled_message_id is null and promotion is null and bubble_index is null and bubble_count is null)
    or (promotion >= 1 and bubble_index >= 1 and bubble_count between bubble_index and 10)
  ),
  constraint messages_reply_shape check (
    (reply_kind is null and inbound_message_id is null)
    or (reply_kind in ('opt_out_confirmation', 'opt_in_confirmation', 'help') and inbound_message_id is not null
        and scheduled_message_id is null)
  ),
  constraint messages_delivery_status_check
    check (delivery_status in ('pending', 'retrying', 'delivered', 'failed', 'expired')),
  constraint messages_delivered_at_finite check (delivered_at is null or isfinite(delivered_at)),
  constraint messages_attempts_bounds check (attempts between 0 and 1000),
  constraint messages_worker_id_length check (length(worker_id) <= 100),
  constraint messages_modem_reference_length check (length(modem_reference) <= 100)
);

comment on table public.messages is
  'One row per [BUBBLE] of a scheduled message: queued -> sending -> sent | failed | unknown | cancelled '
  '(docs/state-machine.md). unknown: handed to the modem without a final answer; never resent automatically.';
comment on column public.messages.reply_kind is
  'Set on a reply to an inbound message (opt_out_confirmation, opt_in_confirmation, help): scheduled_message_id '
  'is null, inbound_message_id names the reply it answers; claimed before campaign bubbles, at any hour.';
comment on column public.messages.delivery_status is
  'From the delivery reports of its parts: null (no usable modem reference), pending, retrying (the network '
  'still tries), delivered (every part), failed or expired (docs/sql-listener-api.md, TP-ST table).';
comment on column public.messages.promotion is
  'Which promotion of its scheduled message created it (a retry creates new bubbles with the next number).';

-- One row per bubble of one promotion.
create unique index messages_bubble_key on public.messages (scheduled_message_id, promotion, bubble_index);
-- The claim walks queued bubbles in id order; recovery looks up sending ones by claim time; the "earlier
-- bubbles sent?" check uses messages_bubble_key. Partial indexes keep both flat as history grows.
create index messages_claim_order_idx on public.messages (id) where status = 'queued';
create index messages_sending_idx on public.messages (claimed_at) where status = 'sending';
create index messages_queued_idx on public.messages (next_attempt_at, id) where status = 'queued';
-- issue 12: the claim hands out queued replies (no scheduled message) first.
create index messages_reply_queue_idx on public.messages (id) where status = 'queued' and scheduled_message_id is null;

alter table public.messages enable row level security;
revoke all on table public.messages from public, anon, authenticated;
grant select, insert, update, delete on table public.messages to service_role;
-- Supabase's default privileges give service_role ALL; TRUNCATE skips the row guards (invariants c, d).
revoke truncate, references, trigger on table public.messages from service_role;
revoke all on sequence public.messages_id_seq from public, anon, authenticated;
grant usage, select on sequence public.messages_id_seq to service_role;

-- How far a scheduled message got: bubbles of its text sent, out of how many. A retry only creates the
-- bubbles that were not sent, so the bubbles missing from its latest promotion went out earlier.
create function internal.bubble_progress(scheduled_message_id bigint, out sent integer, out total integer)
language sql
stable
set search_path = ''
as $$
  select coalesce(max(m.bubble_count) - count(*) + count(*) filter (where m.status = 'sent'), 0)::integer,
         coalesce(max(m.bubble_count), 0)::integer
    from public.scheduled_messages s
    join public.messages m on m.scheduled_message_id = s.id and m.promotion = s.promotions
   where s.id = $1
$$;

-- "partially sent: 1 of 2 bubbles went out" when some but not all bubbles of its text went out.
create function internal.partial_note(scheduled_message_id bigint)
returns text
language sql
stable
set search_path = ''
as $$
  select case when p.sent > 0 and p.sent < p.total
              then format('partially sent: %s of %s bubbles went out', p.sent, p.total) end
    from internal.bubble_progress($1) p
$$;

-- Only promotion inserts bubbles, and the reply writer its replies (invariant h): the writers with an
-- '(insert)' row for messages in internal.transitions. Checked once per statement; messages_reply_shape
-- keeps a reply a reply (no scheduled message, a link to the inbound message it answers).
create function internal.messages_refuse_foreign_insert()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from internal.transitions t
                  where t.table_name = 'messages' and t.from_status = '(insert)' and t.writer = internal.writer()) then
    raise exception 'messages: bubbles are created by promotion (and replies by the inbound handling) only, not by %',
      internal.writer()
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Insert a scheduled_messages row (status SCH); process_scheduled_messages() creates its bubbles.';
  end if;
  return null;
end
$$;

create trigger messages_refuse_foreign_insert
  before insert on public.messages
  for each statement execute function internal.messages_refuse_foreign_insert();

-- Moves and edits: what the modem may have seen never changes (invariant e); columns the listener keeps
-- are not a person's to edit; an unknown bubble is resolved to sent or failed.
create function internal.messages_guard()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_writer constant text := internal.writer();
begin
  if new.id is distinct from old.id
     or new.scheduled_message_id is distinct from old.scheduled_message_id
     or new.promotion is distinct from old.promotion
     or new.bubble_index is distinct from old.bubble_index
     or new.bubble_count is distinct from old.bubble_count
     or new.phone_number is distinct from old.phone_number
     or new.content is distinct from old.content
     or new.inbound_message_id is distinct from old.inbound_message_id
     or new.reply_kind is distinct from old.reply_kind
     or new.created_at is distinct from old.created_at then
    raise exception 'messages row %: its recipient, text and position are frozen copies of scheduled message %',
      old.id, coalesce(old.scheduled_message_id::text, '(none)')
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Edit the scheduled message while it is SCH (or fix a failed one and retry it); '
                   'promotion creates new bubbles.';
  end if;
  if new.status is distinct from old.status then
    perform internal.check_transition('messages', old.id, old.status, new.status);
  end if;
  if v_writer = 'person' then
    if new.worker_id is distinct from old.worker_id or new.claimed_at is distinct from old.claimed_at
       or new.attempts is distinct from old.attempts or new.next_attempt_at is distinct from old.next_attempt_at
       or new.modem_reference is distinct from old.modem_reference
       or new.delivery_status is distinct from old.delivery_status
       or new.delivered_at is distinct from old.delivered_at
       or (new.sent_at is distinct from old.sent_at and not (old.status = 'unknown' and new.status = 'sent')) then
      raise exception 'messages row %: worker_id, claimed_at, attempts, next_attempt_at, modem_reference, '
        'sent_at, delivery_status and delivered_at are kept by the listener', old.id
        using errcode = 'object_not_in_prerequisite_state',
              hint = 'A person only resolves an unknown bubble: update messages set status = ''sent'' '
                     '(or ''failed'') where id = ...';
    end if;
    if old.status = 'unknown' and new.status = 'sent' and new.sent_at is null then
      new.sent_at := old.claimed_at;  -- when it was handed to the modem: the best known send time
    end if;
  end if;
  return new;
end
$$;

create trigger messages_guard
  before update on public.messages
  for each row execute function internal.messages_guard();

create trigger messages_updated_at
  before update on public.messages
  for each row execute function internal.set_updated_at();

-- Follow-ups: the scheduled message follows its bubbles, whoever moved them.
--   every bubble of its latest promotion sent -> sent (sent_at = the last bubble's)
--   a bubble failed                          -> failed (later bubbles cancelled by its follow-up)
--   a bubble unknown                         -> stays queued, error_message asks a person
--   a bubble sent after a person cancelled   -> the cancelled message's note says how much went out
create function internal.messages_follow()
returns trigger
language plpgsql
security definer
set search_path = ''
set sms.writer = 'follow'
as $$
declare
  v_position constant text := format('bubble %s of %s (messages row %s)', new.bubble_index, new.bubble_count, new.id);
  v_parent public.scheduled_messages;
begin
  select * into v_parent from public.scheduled_messages s where s.id = new.scheduled_message_id;
  if not found then
    return null;
  end if;
  if v_parent.status <> 'queued' then
    if new.status = 'sent' and v_parent.status in ('cancelled', 'failed') then
      -- Cancelled while this bubble was with the modem: say how much of the text went out.
      update public.scheduled_messages s
         set error_message = concat_ws('; ', internal.partial_note(s.id),
               nullif(pg_catalog.regexp_replace(coalesce(s.error_message, ''),
                                                '^partially sent: [0-9]+ of [0-9]+ bubbles went out(; )?', ''), ''))
       where s.id = v_parent.id;
    end if;
    return null;
  end if;

  if new.status = 'sent' then
    if not exists (
      select 1 from public.messages other
       where other.scheduled_message_id = new.scheduled_message_id
         and other.promotion = v_parent.promotions
         and other.status <> 'sent'
    ) then
      update public.scheduled_messages s
         set status = 'sent',
             sent_at = (select max(m.sent_at) from public.messages m
                         where m.scheduled_message_id = s.id and m.promotion = s.promotions),
             error_message = null
       where s.id = v_parent.id;
    elsif old.status = 'unknown' then
      update public.scheduled_messages s set error_message = null where s.id = v_parent.id;
    end if;
  elsif new.status = 'failed' then
    update public.scheduled_messages s
       set status = 'failed',
           error_message = format('%s failed: %s', v_position, coalesce(new.error_message, 'no reason given'))
     where s.id = v_parent.id;
  elsif new.status = 'unknown' then
    update public.scheduled_messages s
       set error_message = format(
             '%s: outcome unknown (%s). A person must decide: update messages set status = ''sent'' (it '
             'arrived) or ''failed'' (it did not) where id = %s; later bubbles wait until then.',
             v_position, coalesce(new.error_message, 'no reason given'), new.id)
     where s.id = v_parent.id;
  end if;
  return null;
end
$$;

create trigger messages_follow
  after update of status on public.messages
  for each row
  when (new.status is distinct from old.status and new.scheduled_message_id is not null
        and new.status in ('sent', 'failed', 'unknown'))
  execute function internal.messages_follow();

-- Deletes: a bubble goes with its scheduled message (on delete cascade), never alone (invariant d).
create function internal.messages_refuse_delete()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  if old.scheduled_message_id is not null
     and exists (select 1 from public.scheduled_messages s where s.id = old.scheduled_message_id) then
    raise exception 'messages row %: a bubble is deleted only with its scheduled message %', old.id,
      old.scheduled_message_id
      using errcode = 'object_not_in_prerequisite_state',
            hint = 'Cancel the scheduled message, or delete it (its bubbles go with it) once it is final.';
  end if;
  if old.status in ('sending', 'unknown') then
    raise exception 'messages row %: cannot delete a bubble that is %', old.id, old.status
      using errcode = 'object_not_in_prerequisite_state';
  end if;
  return old;
end
$$;

create trigger messages_refuse_delete
  before delete on public.messages
  for each row execute function internal.messages_refuse_delete();

-- Wake-ups for the listener: NOTIFY messages_queued (Postgres mode) once per statement that queued
-- bubbles (its payload is the lowest such id: a wake-up, not a work list), and the table in the Realtime
-- publication (Supabase mode). NOTIFY is transactional: listeners hear it when the statement commits.
-- Polling stays on in the listener as the safety net; a missed wake-up costs latency, never a message.
create function internal.messages_notify_queued()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_first bigint;
begin
  if tg_op = 'INSERT' then
    select min(n.id) into v_first from new_rows n where n.status = 'queued';
  else
    select min(n.id) into v_first
      from new_rows n join old_rows o on o.id = n.id
     where n.status = 'queued' and o.status <> 'queued';
  end if;
  if v_first is not null then
    perform pg_catalog.pg_notify('messages_queued', v_first::text);
  end if;
  return null;
end
$$;

create trigger messages_notify_inserted
  after insert on public.messages
  referencing new table as new_rows
  for each statement execute function internal.messages_notify_queued();

create trigger messages_notify_requeued
  after update on public.messages
  referencing new table as new_rows old table as old_rows
  for each statement execute function internal.messages_notify_queued();

do $$
begin
  if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    raise notice 'publication supabase_realtime does not exist: Realtime wake-ups are unavailable here (LISTEN/NOTIFY and polling still work)';
  elsif not exists (
    select from pg_catalog.pg_publication_tables
     where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'messages'
  ) then
    alter publication supabase_realtime add table public.messages;
  end if;
end
$$;

revoke all on function internal.bubble_progress(bigint) from public, anon, authenticated, service_role;
revoke all on function internal.partial_note(bigint) from public, anon, authenticated, service_role;
revoke all on function internal.messages_refuse_foreign_insert() from public, anon, authenticated, service_role;
revoke all on function internal.messages_guard() from public, anon, authenticated, service_role;
revoke all on function internal.messages_follow() from public, anon, authenticated, service_role;
revoke all on function internal.messages_refuse_delete() from public, anon, authenticated, service_role;
revoke all on function internal.messages_notify_queued() from public, anon, authenticated, service_role;
