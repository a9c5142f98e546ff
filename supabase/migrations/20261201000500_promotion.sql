-- Promotion: due SCH scheduled messages become queued bubbles in `messages`, paced per campaign. The only
-- writer of SCH -> queued and of new bubbles (docs/state-machine.md).
--
-- Why in SQL: pg_cron, the listener's fallback, the edge function and a person in the SQL editor may all
-- call it at the same minute. Row locks with SKIP LOCKED make every row promoted exactly once; a
-- per-campaign advisory lock makes the pacing decision of one campaign belong to one caller at a time.
-- Why pacing: after an outage, or when a person pushes many messages to one time, a campaign's overdue
-- messages must not leave as a burst; the human-looking spacing is the point of the product.
-- Why in batches: a backlog of 100,000 messages is promoted with a few statements per campaign (one
-- INSERT of every bubble, one UPDATE of every row), not a sub-transaction per row. Every value the tables
-- accept can be promoted (invariant g), so a batch does not fail; should one still fail, the batch is
-- promoted again row by row and only the row that fails is marked failed, with the reason (invariant f).

-- The pacing state of each campaign (campaign_key = coalesce(campaign_name, '')).
create table internal.campaign_pacing (
  campaign_key text primary key,
  last_slot timestamptz not null,
  last_promoted_at timestamptz not null,
  updated_at timestamptz not null default now()
);

comment on table internal.campaign_pacing is
  'Per campaign: the release slot of its latest promoted message. The next overdue message of the campaign '
  'is released no earlier than last_slot + send_window.catch_up_gap.';

revoke all on table internal.campaign_pacing from public, anon, authenticated, service_role;

-- Promote the SCH rows among `ids` that nobody else holds: one INSERT of their bubbles and one UPDATE of
-- the rows, in one statement. A retry (promotions > 0) creates bubbles only for the parts whose text and
-- recipient did not already go out; when every part did, the row is sent at once. Returns how many rows
-- were promoted.
create function internal.promote(ids bigint[], moment timestamptz)
returns integer
language plpgsql
set search_path = ''
as $$
declare
  v_promoted integer;
begin
  with locked as (
    select s.id, w.ord, s.phone_number, s.message_content, s.promotions + 1 as promotion
      from unnest($1) with ordinality as w(id, ord)
      join public.scheduled_messages s on s.id = w.id
     where s.status = 'SCH'
       -- Re-check (invariant b): never promote the text of a campaign row that was cancelled.
       and not exists (select 1 from public.campaign_messages c
                        where c.id = s.campaign_message_id and c.status = 'cancelled')
       -- issue 12: opt-out. Never queue a text to an opted-out number (the caller cancels those rows).
       and not exists (select 1 from public.opt_outs o where o.phone_number = s.phone_number and o.opted_out)
       for update of s skip locked
  ),
  parts as (
    select l.id, l.ord, l.phone_number, l.promotion, b.bubble_index, b.content,
           (count(*) over (partition by l.id))::integer as bubble_count
      from locked l
     cross join lateral internal.split_bubbles(l.message_content) b
  ),
  needed as (
    select p.*
      from parts p
     where not exists (
             select 1 from public.messages m
              where m.scheduled_message_id = p.id
                and m.bubble_index = p.bubble_index
                and m.status = 'sent'
                and m.content = p.content
                and m.phone_number = p.phone_number
           )
  ),
  inserted as (
    insert into public.messages (scheduled_message_id, promotion, bubble_index, bubble_count, phone_number,
                                 content, status)
    select n.id, n.promotion, n.bubble_index, n.bubble_count, n.phone_number, n.content, 'queued'
      from needed n
     order by n.ord, n.bubble_index
    returning 1
  ),
  updated as (
    update public.scheduled_messages s
       set status = case when exists (select 1 from needed n where n.id = s.id) then 'queued' else 'sent' end,
           promotions = l.promotion,
           queued_at = $2,
           sent_at = case when exists (select 1 from needed n where n.id = s.id) then null
                          else (select max(m.sent_at) from public.messages m
                                 where m.scheduled_message_id = s.id and m.status = 'sent') end,
           error_message = null
      from locked l
     where s.id = l.id
    returning 1
  )
  select (select count(*) from updated)::integer + 0 * (select count(*) from inserted) into v_promoted;
  return v_promoted;
end
$$;

-- Promote due SCH rows (scheduled_for <= now), at most batch_limit rows, paced per campaign.
-- Pacing: each promotion gets a release slot = greatest(scheduled_for, last slot + catch_up_gap). A row is
-- released on the first call at or after its slot. When the call comes more than one pg_cron tick late
-- (65 s) after the slot, the slot becomes the call time itself, so an overdue backlog leaves one message
-- per catch_up_gap, while normally spaced messages (4-7 minutes) are never held back by tick jitter.
create function public.process_scheduled_messages(batch_limit integer default 50)
returns integer
language plpgsql
security definer
set search_path = ''
set sms.writer = 'promotion'
as $$
declare
  v_at constant timestamptz := pg_catalog.statement_timestamp();
  v_limit constant integer := coalesce($1, 50);
  v_tolerance constant interval := interval '65 seconds';
  v_gap interval;
  v_row record;
  v_campaign text;
  v_skip boolean := false;
  v_ids bigint[] := '{}'::bigint[];
  v_keys text[] := '{}'::text[];
  v_slots timestamptz[] := '{}'::timestamptz[];
  v_last_slot timestamptz;
  v_slot timestamptz;
  v_candidate timestamptz;
  v_count integer;
  v_error text;
  v_id bigint;
begin
  if v_limit < 1 or v_limit > 1000000 then
    raise exception 'process_scheduled_messages: batch_limit must be between 1 and 1000000, got %', v_limit
      using errcode = 'invalid_parameter_value';
  end if;
  v_gap := (internal.settings()).catch_up_gap;

  -- issue 12: opt-out. A due SCH row to an opted-out number ends cancelled with the reason, before the
  -- pacing looks at the rest (it takes no slot). Rows another promotion holds are left to it.
  with opted_out as (
    select s.id, o.changed_at
      from public.scheduled_messages s
      join public.opt_outs o on o.phone_number = s.phone_number and o.opted_out
     where s.status = 'SCH' and s.scheduled_for <= v_at
       for update of s skip locked
  )
  update public.scheduled_messages s
     set status = 'cancelled',
         error_message = format('not sent: %s opted out at %s', s.phone_number,
                                to_char(x.changed_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'))
    from opted_out x
   where s.id = x.id;

  -- One pass over the due rows (partial index on status = 'SCH'), campaign by campaign (the campaign with
  -- the earliest due row first), each campaign's rows in time order, choosing what the pacing releases.
  -- The scan takes no locks; the chosen rows are locked and promoted together afterwards.
  for v_row in
    select s.id, s.scheduled_for, coalesce(s.campaign_name, '') as campaign_key
      from public.scheduled_messages s
     where s.status = 'SCH' and s.scheduled_for <= v_at
     order by min(s.scheduled_for) over (partition by coalesce(s.campaign_name, '')),
              coalesce(s.campaign_name, ''), s.scheduled_for, s.id
  loop
    exit when cardinality(v_ids) >= v_limit;
    if v_campaign is distinct from v_row.campaign_key then
      if v_slot is not null then
        v_keys[cardinality(v_keys) + 1] := v_campaign;
        v_slots[cardinality(v_slots) + 1] := v_slot;
      end if;
      v_campaign := v_row.campaign_key;
      v_slot := null;
      v_last_slot := null;
      -- Another promotion is deciding for this campaign right now: leave the campaign to it.
      v_skip := not pg_catalog.pg_try_advisory_xact_lock(1397572435, pg_catalog.hashtext(v_campaign));
      if not v_skip then
        select p.last_slot into v_last_slot from internal.campaign_pacing p where p.campaign_key = v_campaign;
      end if;
    end if;
    continue when v_skip;
    if v_last_slot is not null and v_at < v_last_slot + v_gap then
      v_skip := true;  -- paced: the rest of this campaign waits for a later call
      continue;
    end if;
    v_candidate := greatest(v_row.scheduled_for, v_last_slot + v_gap);
    v_slot := case when v_at - v_candidate > v_tolerance then v_at else v_candidate end;
    v_last_slot := v_slot;
    v_ids[cardinality(v_ids) + 1] := v_row.id;
  end loop;
  if v_slot is not null then
    v_keys[cardinality(v_keys) + 1] := v_campaign;
    v_slots[cardinality(v_slots) + 1] := v_slot;
  end if;
  if cardinality(v_ids) = 0 then
    return 0;
  end if;

  begin
    v_count := internal.promote(v_ids, v_at);
  exception when others then
    -- Not expected (every accepted row can be promoted): promote row by row, fail only the culprit.
    v_count := 0;
    foreach v_id in array v_ids loop
      begin
        v_count := v_count + internal.promote(array[v_id], v_at);
      exception when others then
        get stacked diagnostics v_error = message_text;
        update public.scheduled_messages s
           set status = 'failed', error_message = 'promotion failed: ' || v_error
         where s.id = v_id and s.status = 'SCH';
      end;
    end loop;
  end;

  insert into internal.campaign_pacing as p (campaign_key, last_slot, last_promoted_at, updated_at)
  select k.key, k.slot, v_at, v_at
    from unnest(v_keys, v_slots) as k(key, slot)
  on conflict (campaign_key) do update
    set last_slot = excluded.last_slot, last_promoted_at = excluded.last_promoted_at,
        updated_at = excluded.updated_at;
  return v_count;
end
$$;

comment on function public.process_scheduled_messages(integer) is
  'Promote due SCH rows into queued bubbles (at most batch_limit rows), paced per campaign by '
  'send_window.catch_up_gap, on the database clock. Does not look at the send window: '
  'process_scheduled_messages_safe() does (and the claim checks it again). Returns how many were promoted.';

-- The seed's entry point (pg_cron, the listener fallback, the edge function, a person): only inside the
-- send window, and never raises: an error is returned in error_message.
create function public.process_scheduled_messages_safe()
returns table (processed_count integer, error_message text, skipped_reason text)
language plpgsql
security definer
set search_path = ''
as $$
#variable_conflict use_column
declare
  v_at constant timestamptz := pg_catalog.statement_timestamp();
  v_settings public.send_window;
  v_error text;
begin
  if not public.is_business_hours(v_at) then
    v_settings := internal.settings();
    processed_count := 0;
    error_message := null;
    skipped_reason := format(
      'Outside business hours (%s-%s %s, ISO days %s); next window opens %s %s',
      to_char(v_settings.opens_at, 'HH24:MI'), to_char(v_settings.closes_at, 'HH24:MI'), v_settings.time_zone,
      array_to_string(v_settings.week_days, ','),
      to_char(public.next_window_opening(v_at) at time zone v_settings.time_zone, 'Dy YYYY-MM-DD HH24:MI'),
      v_settings.time_zone);
    return next;
    return;
  end if;
  begin
    processed_count := public.process_scheduled_messages();
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

comment on function public.process_scheduled_messages_safe() is
  'process_scheduled_messages() inside the send window only, on the database clock; returns '
  '(processed_count, error_message, skipped_reason) and never raises.';

revoke all on function internal.promote(bigint[], timestamptz) from public, anon, authenticated, service_role;
revoke all on function public.process_scheduled_messages(integer) from public, anon, authenticated;
revoke all on function public.process_scheduled_messages_safe() from public, anon, authenticated;
grant execute on function public.process_scheduled_messages(integer) to service_role;
grant execute on function public.process_scheduled_messages_safe() to service_role;
