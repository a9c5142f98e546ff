-- Promotion: due SCH scheduled messages become queued bubbles in `messages`, paced per campaign.
--
-- Why in SQL: pg_cron, the listener's fallback, the edge function and a person in the SQL editor may all
-- call it at the same minute. Row locks with SKIP LOCKED make every row promoted exactly once; a
-- per-campaign advisory lock makes the pacing decision of one campaign belong to one caller at a time.
-- Why pacing: after an outage, or when a person pushes many messages to one time, a campaign's overdue
-- messages must not leave as a burst; the human-looking spacing is the point of the product.

-- The pacing state of each campaign (campaign_key = coalesce(campaign_name, '')).
create table public.campaign_pacing (
  campaign_key text primary key,
  last_slot timestamptz not null,
  last_promoted_at timestamptz not null,
  updated_at timestamptz not null default now()
);

comment on table public.campaign_pacing is
  'Per campaign: the release slot of its latest promoted message. The next overdue message of the campaign '
  'is released no earlier than last_slot + send_window.catch_up_gap.';

alter table public.campaign_pacing enable row level security;
revoke all on table public.campaign_pacing from public, anon, authenticated;
grant select, insert, update, delete on table public.campaign_pacing to service_role;

-- [BUBBLE] splitting: parts trimmed, empty parts dropped, order kept, numbered from 1.
create function public.split_bubbles(message_content text)
returns table (bubble_index integer, content text)
language sql
immutable
set search_path = ''
as $$
  select (row_number() over (order by p.n))::integer,
         btrim(p.part, E' \t\r\n\f\v')
    from regexp_split_to_table(coalesce($1, ''), '\[BUBBLE\]') with ordinality as p(part, n)
   where btrim(p.part, E' \t\r\n\f\v') <> ''
$$;

comment on function public.split_bubbles(text) is
  'The bubbles of a message: split on [BUBBLE], each part trimmed, empty parts dropped, in order.';

-- Turn one locked SCH row into queued bubbles. Returns the number of bubbles left to send; 0 means the
-- row was marked failed (nothing to send). A retry (failed -> SCH) reuses the bubble rows of the earlier
-- attempt: a bubble already sent with the same text is not sent again; the others are queued afresh.
create function public.promote_scheduled_message(scheduled_message_id bigint, at timestamptz default now())
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_id constant bigint := $1;
  v_at constant timestamptz := $2;
  v_phone text;
  v_content text;
  v_parts text[];
  v_count integer;
  v_pending integer;
  v_requeued bigint;
begin
  select s.phone_number, s.message_content
    into v_phone, v_content
    from public.scheduled_messages s
   where s.id = v_id and s.status = 'SCH';
  if not found then
    raise exception 'scheduled_messages row %: cannot promote, it is not SCH', v_id
      using errcode = 'object_not_in_prerequisite_state';
  end if;

  select coalesce(array_agg(b.content order by b.bubble_index), '{}') into v_parts
    from public.split_bubbles(v_content) b;
  v_count := cardinality(v_parts);
  if v_count = 0 then
    update public.scheduled_messages s
       set status = 'failed',
           error_message = 'no text to send: message_content is empty after splitting on [BUBBLE]'
     where s.id = v_id;
    return 0;
  end if;

  if not exists (select 1 from public.messages m where m.scheduled_message_id = v_id) then
    insert into public.messages (scheduled_message_id, bubble_index, bubble_count, phone_number, content, status)
    select v_id, b.bubble_index::integer, v_count, v_phone, b.content, 'queued'
      from unnest(v_parts) with ordinality as b(content, bubble_index)
     order by b.bubble_index;
    v_pending := v_count;
  else
    -- A retry: keep what already went out unchanged, queue the rest again in place.
    for v_requeued in
      update public.messages m
         set content = b.content,
             bubble_count = v_count,
             phone_number = v_phone,
             status = 'queued',
             attempts = 0,
             next_attempt_at = null,
             worker_id = null,
             claimed_at = null,
             sent_at = null,
             modem_reference = null,
             error_message = null
        from unnest(v_parts) with ordinality as b(content, bubble_index)
       where m.scheduled_message_id = v_id
         and m.bubble_index = b.bubble_index
         and not (m.status = 'sent' and m.content = b.content and m.phone_number = v_phone)
      returning m.id
    loop
      perform pg_notify('messages_queued', v_requeued::text);
    end loop;
    update public.messages m
       set bubble_count = v_count
     where m.scheduled_message_id = v_id
       and m.bubble_index <= v_count
       and m.bubble_count is distinct from v_count;
    update public.messages m
       set status = 'cancelled',
           error_message = 'not part of the message any more after it was edited and retried'
     where m.scheduled_message_id = v_id
       and m.bubble_index > v_count
       and m.status not in ('sent', 'cancelled');
    insert into public.messages (scheduled_message_id, bubble_index, bubble_count, phone_number, content, status)
    select v_id, b.bubble_index::integer, v_count, v_phone, b.content, 'queued'
      from unnest(v_parts) with ordinality as b(content, bubble_index)
     where not exists (
       select 1 from public.messages m where m.scheduled_message_id = v_id and m.bubble_index = b.bubble_index)
     order by b.bubble_index;
    select count(*)::integer into v_pending
      from public.messages m
     where m.scheduled_message_id = v_id and m.bubble_index <= v_count and m.status <> 'sent';
  end if;

  if v_pending = 0 then
    -- Every bubble of this text already went out in the earlier attempt.
    update public.scheduled_messages s
       set status = 'queued', queued_at = v_at, error_message = null
     where s.id = v_id;
    update public.scheduled_messages s
       set status = 'sent',
           sent_at = (select max(m.sent_at) from public.messages m where m.scheduled_message_id = v_id)
     where s.id = v_id;
    return 0;
  end if;

  update public.scheduled_messages s
     set status = 'queued', queued_at = v_at, error_message = null, sent_at = null
   where s.id = v_id;
  return v_pending;
end
$$;

comment on function public.promote_scheduled_message(bigint, timestamptz) is
  'Internal step of process_scheduled_messages: split one SCH row into queued bubbles (the caller holds the row lock).';

-- Promote due SCH rows (scheduled_for <= at), at most batch_limit rows, paced per campaign.
-- Pacing: each promotion gets a release slot = greatest(scheduled_for, last slot + catch_up_gap). A row is
-- released on the first call at or after its slot. When the call comes more than one pg_cron tick late
-- (65 s) after the slot, the slot becomes the call time itself, so an overdue backlog leaves one message
-- per catch_up_gap, while normally spaced messages (4-7 minutes) are never held back by tick jitter.
create function public.process_scheduled_messages(at timestamptz default now(), batch_limit integer default 50)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_at constant timestamptz := $1;
  v_limit constant integer := coalesce($2, 50);
  v_tolerance constant interval := interval '65 seconds';
  v_gap interval;
  v_candidate_row record;
  v_campaign text;
  v_skip_campaign boolean := false;
  v_row_id bigint;
  v_scheduled_for timestamptz;
  v_last_slot timestamptz;
  v_candidate timestamptz;
  v_slot timestamptz;
  v_bubbles integer;
  v_handled integer := 0;
  v_promoted integer := 0;
  v_error text;
begin
  if v_at is null then
    raise exception 'process_scheduled_messages: at must not be null' using errcode = 'null_value_not_allowed';
  end if;
  if v_limit < 1 then
    raise exception 'process_scheduled_messages: batch_limit must be at least 1, got %', v_limit
      using errcode = 'invalid_parameter_value';
  end if;
  select w.catch_up_gap into v_gap from public.send_window w where w.id;
  v_gap := coalesce(v_gap, interval '4 minutes');

  -- One pass over the due rows (partial index on status = 'SCH'), campaign by campaign (the campaign with
  -- the earliest due row first), each campaign's rows in time order. The scan takes no locks; each row
  -- is locked and re-checked on its own, so the cost of a call grows with the due rows only.
  for v_candidate_row in
    select s.id, coalesce(s.campaign_name, '') as campaign_key
      from public.scheduled_messages s
     where s.status = 'SCH' and s.scheduled_for <= v_at
     order by min(s.scheduled_for) over (partition by coalesce(s.campaign_name, '')),
              coalesce(s.campaign_name, ''), s.scheduled_for, s.id
  loop
    exit when v_handled >= v_limit;
    if v_campaign is distinct from v_candidate_row.campaign_key then
      v_campaign := v_candidate_row.campaign_key;
      -- Another promotion is deciding for this campaign right now: leave the campaign to it.
      v_skip_campaign := not pg_catalog.pg_try_advisory_xact_lock(1397572435, pg_catalog.hashtext(v_campaign));
      v_last_slot := null;
      if not v_skip_campaign then
        select p.last_slot into v_last_slot from public.campaign_pacing p where p.campaign_key = v_campaign;
      end if;
    end if;
    continue when v_skip_campaign;
    if v_last_slot is not null and v_at < v_last_slot + v_gap then
      v_skip_campaign := true;  -- paced: the rest of this campaign waits for a later call
      continue;
    end if;

    -- Lock the row; skip it if another caller holds it or it changed since the scan.
    select s.id, s.scheduled_for into v_row_id, v_scheduled_for
      from public.scheduled_messages s
     where s.id = v_candidate_row.id
       and s.status = 'SCH'
       and s.scheduled_for <= v_at
       and coalesce(s.campaign_name, '') = v_campaign
       for update skip locked;
    continue when not found;
    v_handled := v_handled + 1;
    begin
      v_bubbles := public.promote_scheduled_message(v_row_id, v_at);
    exception when others then
      get stacked diagnostics v_error = message_text;
      update public.scheduled_messages s
         set status = 'failed', error_message = 'promotion failed: ' || v_error
       where s.id = v_row_id;
      continue;
    end;
    continue when v_bubbles = 0;

    v_candidate := greatest(v_scheduled_for, v_last_slot + v_gap);
    v_slot := case when v_at - v_candidate > v_tolerance then v_at else v_candidate end;
    v_last_slot := v_slot;
    insert into public.campaign_pacing as p (campaign_key, last_slot, last_promoted_at)
    values (v_campaign, v_slot, v_at)
    on conflict (campaign_key) do update
      set last_slot = excluded.last_slot, last_promoted_at = excluded.last_promoted_at, updated_at = now();
    v_promoted := v_promoted + 1;
  end loop;
  return v_promoted;
end
$$;

comment on function public.process_scheduled_messages(timestamptz, integer) is
  'Promote due SCH rows into queued bubbles (at most batch_limit rows), paced per campaign by '
  'send_window.catch_up_gap. Does not look at the send window: process_scheduled_messages_safe() does. '
  'Returns the number of scheduled messages queued.';

-- The seed's entry point (pg_cron, the listener fallback, the edge function, a person): only inside the
-- send window, and never raises: an error is returned in error_message.
create function public.process_scheduled_messages_safe(at timestamptz default now())
returns table (processed_count integer, error_message text, skipped_reason text)
language plpgsql
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_at constant timestamptz := coalesce($1, now());
  v_zone text;
  v_opens time;
  v_closes time;
  v_days smallint[];
  v_next timestamptz;
  v_error text;
begin
  if not public.is_business_hours(v_at) then
    select w.time_zone, w.opens_at, w.closes_at, w.week_days
      into v_zone, v_opens, v_closes, v_days
      from public.send_window w where w.id;
    v_next := public.next_window_opening(v_at);
    processed_count := 0;
    error_message := null;
    skipped_reason := format(
      'Outside business hours (%s-%s %s, ISO days %s); next window opens %s %s',
      to_char(v_opens, 'HH24:MI'), to_char(v_closes, 'HH24:MI'), v_zone, array_to_string(v_days, ','),
      to_char(v_next at time zone v_zone, 'Dy YYYY-MM-DD HH24:MI'), v_zone);
    return next;
    return;
  end if;
  begin
    processed_count := public.process_scheduled_messages(v_at);
    error_message := null;
  exception when others then
    get stacked diagnostics v_error = message_text;
    processed_count := 0;
    error_message := v_error;
  end;
  skipped_reason := null;
  return next;
end
$$;

comment on function public.process_scheduled_messages_safe(timestamptz) is
  'process_scheduled_messages() inside the send window only; returns (processed_count, error_message, '
  'skipped_reason) and never raises.';

revoke execute on function public.split_bubbles(text) from public, anon, authenticated;
revoke execute on function public.promote_scheduled_message(bigint, timestamptz) from public, anon, authenticated;
revoke execute on function public.process_scheduled_messages(timestamptz, integer) from public, anon, authenticated;
revoke execute on function public.process_scheduled_messages_safe(timestamptz) from public, anon, authenticated;
grant execute on function public.split_bubbles(text) to service_role;
grant execute on function public.promote_scheduled_message(bigint, timestamptz) to service_role;
grant execute on function public.process_scheduled_messages(timestamptz, integer) to service_role;
grant execute on function public.process_scheduled_messages_safe(timestamptz) to service_role;
