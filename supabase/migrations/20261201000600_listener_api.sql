-- The listener's side of the database: how a sender claims a bubble, records what the modem said,
-- and recovers after a crash, plus its heartbeat.
--
-- Why in SQL: several listeners (one per modem), the pg_cron promotion job and a person in the
-- dashboard act on the same rows at once. Each state change below is one guarded statement on a
-- locked row, so no interleaving can hand a bubble out twice, send bubbles of one message out of
-- order, or resend a bubble that the modem may already have sent. See docs/sql-listener-api.md.
--
-- Each function is the one writer of its moves (docs/state-machine.md): the claim of queued -> sending,
-- the listener's outcomes, internal.requeue (sending -> queued: a transient refusal or a release) and
-- internal.to_unknown (sending -> unknown: mark_bubble_unknown and recover_stale_claims). They act on the
-- database clock. They are SECURITY DEFINER (owner postgres) because they use `internal`, which no API
-- role may touch; only service_role may execute them. Every function pins `search_path = ''`.

-- ---------------------------------------------------------------------------------------------
-- listener_status: one row per listener, upserted by its heartbeat; the dashboard reads it to see
-- whether a sender is alive and how its modem is doing.
-- ---------------------------------------------------------------------------------------------
create table public.listener_status (
  worker_id text primary key
    constraint listener_status_worker_id_not_blank check (length(btrim(worker_id)) between 1 and 100),
  modem_health jsonb not null default '{}'::jsonb
    constraint listener_status_modem_health_is_object
      check (jsonb_typeof(modem_health) = 'object' and pg_column_size(modem_health) <= 16384),
  last_sent_at timestamptz,
  queue_depth integer
    constraint listener_status_queue_depth_not_negative check (queue_depth is null or queue_depth >= 0),
  started_at timestamptz not null default now(),
  last_seen_at timestamptz not null default now()
);

comment on table public.listener_status is
  'Heartbeat of each SMS listener (one row per worker id), written by record_listener_heartbeat().';
comment on column public.listener_status.started_at is
  'When this worker id first reported, or the start time the listener passed to record_listener_heartbeat(started_at => ...).';
alter table public.listener_status add constraint listener_status_moments_finite
  check (isfinite(started_at) and isfinite(last_seen_at) and (last_sent_at is null or isfinite(last_sent_at)));
comment on column public.listener_status.last_seen_at is
  'The time of the latest heartbeat; a listener is alive when this is recent (it beats every 30 s by default).';

alter table public.listener_status enable row level security;
-- No policies: anon and authenticated see nothing; service_role bypasses RLS.
revoke all on table public.listener_status from public, anon, authenticated;
grant select, insert, update, delete on table public.listener_status to service_role;

-- ---------------------------------------------------------------------------------------------
-- claim_next_bubble: hand the oldest claimable bubble to one worker, or nothing.
-- Claimable = queued, due (next_attempt_at null or <= now), its scheduled message queued with this
-- bubble's promotion, every earlier bubble of the same promotion sent, and the send window open now,
-- or, for the rest of a message that has already started, closed less than send_window.bubble_grace
-- ago. One statement: the CTE locks the candidate with FOR UPDATE SKIP LOCKED (concurrent claimers pass
-- over each other's row), the UPDATE marks it sending. Oldest = lowest id, i.e. promotion order, so a
-- started message is finished before the next recipient's.
-- ---------------------------------------------------------------------------------------------
create function public.claim_next_bubble(worker_id text)
returns setof public.messages
language plpgsql
volatile
security definer
set search_path = ''
set sms.writer = 'claim'
as $$
#variable_conflict use_column
declare
  claimer constant text := pg_catalog.btrim(coalesce(claim_next_bubble.worker_id, ''));
  moment constant timestamptz := pg_catalog.statement_timestamp();
  settings public.send_window;
  window_open boolean;
  grace_open boolean;
begin
  if claimer = '' or pg_catalog.length(claimer) > 100 then
    raise exception 'claim_next_bubble: worker_id must be 1 to 100 characters, got "%"', pg_catalog.left(claimer, 40)
      using errcode = '22023';
  end if;
  -- issue 12: replies (opt-out and opt-in confirmations, HELP texts) first, at any hour and under no
  -- cap: a reply to the customer is not marketing, and the opt-out confirmation must go at once.
  return query
  with reply as (
    select m.id
      from public.messages m
     where m.status = 'queued' and m.scheduled_message_id is null and m.reply_kind is not null
       and (m.next_attempt_at is null or m.next_attempt_at <= moment)
     order by m.id
     limit 1
     for update of m skip locked
  )
  update public.messages target
     set status = 'sending', worker_id = claimer, claimed_at = moment, attempts = target.attempts + 1
    from reply
   where target.id = reply.id and target.status = 'queued'
  returning target.*;
  if found then
    return;
  end if;

  settings := internal.settings();
  window_open := public.is_business_hours(moment);
  grace_open := not window_open
                and settings.bubble_grace > interval '0'
                and public.is_business_hours(moment - settings.bubble_grace);
  if not window_open and not grace_open then
    return;
  end if;

  return query
  with candidate as (
    select m.id
      from public.messages m
      join public.scheduled_messages sm
        on sm.id = m.scheduled_message_id and sm.status = 'queued' and sm.promotions = m.promotion
     where m.status = 'queued'
       -- Re-check (invariant b): never hand out a bubble of a campaign row that was cancelled.
       and not exists (select 1 from public.campaign_messages c
                        where c.id = sm.campaign_message_id and c.status = 'cancelled')
       -- issue 12: opt-out. Re-checked here: a STOP stored between bubble 1 and 2 stops bubble 2.
       and not exists (select 1 from public.opt_outs o where o.phone_number = m.phone_number and o.opted_out)
       and (m.next_attempt_at is null or m.next_attempt_at <= moment)
       and not exists (
             select 1
               from public.messages earlier
              where earlier.scheduled_message_id = m.scheduled_message_id
                and earlier.promotion = m.promotion
                and earlier.bubble_index < m.bubble_index
                and earlier.status <> 'sent'
           )
       and (
             window_open
             or exists (
                  select 1
                    from public.messages earlier
                   where earlier.scheduled_message_id = m.scheduled_message_id
                     and earlier.promotion = m.promotion
                     and earlier.bubble_index < m.bubble_index
                     and earlier.status = 'sent'
                )
           )
     order by m.id
     limit 1
     for update of m skip locked
  )
  update public.messages target
     set status = 'sending',
         worker_id = claimer,
         claimed_at = moment,
         attempts = target.attempts + 1
    from candidate
   where target.id = candidate.id
     and target.status = 'queued'
  returning target.*;
end;
$$;

comment on function public.claim_next_bubble(text) is
  'Claims the oldest claimable queued bubble for worker_id (status sending, claimed_at = now, attempts + 1); '
  'returns it, or no row.';
revoke all on function public.claim_next_bubble(text) from public, anon, authenticated;
grant execute on function public.claim_next_bubble(text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Lock a bubble that `worker` must hold in `sending`, or raise naming the row.
-- ---------------------------------------------------------------------------------------------
create function internal.locked_claim(message_id bigint, worker_id text, action text)
returns public.messages
language plpgsql
volatile
set search_path = ''
as $$
declare
  bubble public.messages;
  claimer constant text := pg_catalog.btrim(coalesce(locked_claim.worker_id, ''));
begin
  if locked_claim.message_id is null then
    raise exception 'cannot %: message_id must not be null', action using errcode = '22023';
  end if;
  if claimer = '' then
    raise exception 'messages row %: cannot %: worker_id must not be empty', locked_claim.message_id, action
      using errcode = '22023';
  end if;
  select * into bubble
    from public.messages m
   where m.id = locked_claim.message_id
     for update;
  if not found then
    raise exception 'messages row %: cannot %: no such message', locked_claim.message_id, action
      using errcode = 'P0002';
  end if;
  if bubble.status <> 'sending' then
    raise exception 'messages row %: cannot %: it is %, not sending (claimed by %)',
      bubble.id, action, bubble.status, coalesce(quote_literal(bubble.worker_id), 'nobody')
      using errcode = '55000';
  end if;
  if bubble.worker_id is distinct from claimer then
    raise exception 'messages row %: cannot %: it is claimed by %, not by %',
      bubble.id, action, coalesce(quote_literal(bubble.worker_id), 'nobody'), quote_literal(claimer)
      using errcode = '55000';
  end if;
  return bubble;
end;
$$;

-- sending -> queued: nothing left the modem. The only writer of that move (a transient refusal with a
-- retry time, or a release that does not count the attempt).
create function internal.requeue(message_id bigint, retry_at timestamptz, note text, count_attempt boolean)
returns public.messages
language plpgsql
volatile
set search_path = ''
set sms.writer = 'requeue'
as $$
declare
  bubble public.messages;
begin
  update public.messages m
     set status = 'queued',
         attempts = case when $4 then m.attempts else greatest(m.attempts - 1, 0) end,
         next_attempt_at = $2,
         error_message = coalesce($3, m.error_message),
         worker_id = null,
         claimed_at = null
   where m.id = $1 and m.status = 'sending'
  returning m.* into bubble;
  return bubble;
end
$$;

-- sending -> unknown: it may have left the modem. The only writer of that move (mark_bubble_unknown and
-- recover_stale_claims); never resent automatically.
create function internal.to_unknown(message_id bigint, note text)
returns public.messages
language plpgsql
volatile
set search_path = ''
set sms.writer = 'unknown'
as $$
declare
  bubble public.messages;
begin
  update public.messages m
     set status = 'unknown',
         next_attempt_at = null,
         error_message = $2
   where m.id = $1 and m.status = 'sending'
  returning m.* into bubble;
  return bubble;
end
$$;

-- ---------------------------------------------------------------------------------------------
-- mark_bubble_sent: the modem accepted the bubble (AT+CMGS answered with a reference).
-- ---------------------------------------------------------------------------------------------
create function public.mark_bubble_sent(message_id bigint, worker_id text, modem_reference text)
returns public.messages
language plpgsql
volatile
security definer
set search_path = ''
set sms.writer = 'listener'
as $$
declare
  bubble public.messages;
begin
  bubble := internal.locked_claim(mark_bubble_sent.message_id, mark_bubble_sent.worker_id, 'mark sent');
  update public.messages m
     set status = 'sent',
         sent_at = pg_catalog.statement_timestamp(),
         modem_reference = pg_catalog.left(nullif(pg_catalog.btrim(coalesce(mark_bubble_sent.modem_reference, '')), ''), 100),
         error_message = null,
         next_attempt_at = null
   where m.id = bubble.id
  returning m.* into bubble;
  -- issue 12: delivery reports. One row per part (its +CMGS reference) for record_status_report to match.
  bubble := internal.record_sent_parts(bubble);
  return bubble;
end;
$$;

comment on function public.mark_bubble_sent(bigint, text, text) is
  'Records that the modem accepted a bubble the worker holds in sending; the scheduled message becomes sent with its last bubble.';
revoke all on function public.mark_bubble_sent(bigint, text, text) from public, anon, authenticated;
grant execute on function public.mark_bubble_sent(bigint, text, text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- mark_bubble_failed: the modem or the network refused the bubble (nothing was sent).
--   permanent (or the last allowed attempt): failed; the message fails, its later bubbles are cancelled.
--   transient: queued again at now + retry_base * 2^(attempts - 1), capped at 10 minutes.
-- ---------------------------------------------------------------------------------------------
create function public.mark_bubble_failed(message_id bigint, worker_id text, error text, permanent boolean)
returns public.messages
language plpgsql
volatile
security definer
set search_path = ''
set sms.writer = 'listener'
as $$
declare
  bubble public.messages;
  settings public.send_window;
  reason constant text := pg_catalog.left(coalesce(nullif(pg_catalog.btrim(coalesce(mark_bubble_failed.error, '')), ''),
                                                   'no error text'), 2000);
  delay interval;
begin
  if mark_bubble_failed.permanent is null then
    raise exception 'messages row %: cannot mark failed: permanent must be true or false, not null',
      mark_bubble_failed.message_id
      using errcode = '22023';
  end if;
  bubble := internal.locked_claim(mark_bubble_failed.message_id, mark_bubble_failed.worker_id, 'mark failed');
  settings := internal.settings();

  if mark_bubble_failed.permanent or bubble.attempts >= settings.max_attempts then
    update public.messages m
       set status = 'failed',
           error_message = case when mark_bubble_failed.permanent then reason
                                else format('gave up after %s attempts: %s', bubble.attempts, reason) end,
           next_attempt_at = null
     where m.id = bubble.id
    returning m.* into bubble;
    return bubble;
  end if;
  delay := least(settings.retry_base * power(2, least(greatest(bubble.attempts - 1, 0), 30)), interval '10 minutes');
  return internal.requeue(bubble.id, pg_catalog.statement_timestamp() + delay,
                          format('attempt %s failed: %s', bubble.attempts, reason), true);
end;
$$;

comment on function public.mark_bubble_failed(bigint, text, text, boolean) is
  'Records a refused bubble: permanent -> failed (later bubbles cancelled, message failed); transient -> retried with exponential backoff up to send_window.max_attempts.';
revoke all on function public.mark_bubble_failed(bigint, text, text, boolean) from public, anon, authenticated;
grant execute on function public.mark_bubble_failed(bigint, text, text, boolean) to service_role;

-- ---------------------------------------------------------------------------------------------
-- mark_bubble_unknown: the body reached the modem but no final answer came. It may have been
-- sent, so it is never resent automatically; later bubbles wait for a person's decision.
-- ---------------------------------------------------------------------------------------------
create function public.mark_bubble_unknown(message_id bigint, worker_id text, error text)
returns public.messages
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  bubble public.messages;
begin
  bubble := internal.locked_claim(mark_bubble_unknown.message_id, mark_bubble_unknown.worker_id, 'mark unknown');
  return internal.to_unknown(bubble.id, format(
    '%s (no final answer at %s, worker %s: the modem may have sent it)',
    pg_catalog.left(coalesce(nullif(pg_catalog.btrim(coalesce(mark_bubble_unknown.error, '')), ''), 'no error text'), 2000),
    to_char(pg_catalog.statement_timestamp() at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'),
    bubble.worker_id));
end;
$$;

comment on function public.mark_bubble_unknown(bigint, text, text) is
  'Records that a bubble may or may not have been sent (status unknown); it is never resent automatically.';
revoke all on function public.mark_bubble_unknown(bigint, text, text) from public, anon, authenticated;
grant execute on function public.mark_bubble_unknown(bigint, text, text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- release_bubble: claimed but never handed to the modem (graceful shutdown, modem gone): back to
-- queued and the attempt is not counted.
-- ---------------------------------------------------------------------------------------------
create function public.release_bubble(message_id bigint, worker_id text)
returns public.messages
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  bubble public.messages;
begin
  bubble := internal.locked_claim(release_bubble.message_id, release_bubble.worker_id, 'release');
  return internal.requeue(bubble.id, bubble.next_attempt_at, null, false);
end;
$$;

comment on function public.release_bubble(bigint, text) is
  'Puts a bubble the worker claimed but never handed to the modem back in the queue; the attempt is not counted.';
revoke all on function public.release_bubble(bigint, text) from public, anon, authenticated;
grant execute on function public.release_bubble(bigint, text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- recover_stale_claims: `sending` rows nobody will finish become `unknown`:
--   * all of worker_id's own claims, at once (that worker restarted: nothing of its is in flight);
--   * anyone's claim older than send_window.claim_lease (that worker died or hangs).
-- ---------------------------------------------------------------------------------------------
create function public.recover_stale_claims(worker_id text default null)
returns integer
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  moment constant timestamptz := pg_catalog.statement_timestamp();
  restarted constant text := nullif(pg_catalog.btrim(coalesce(recover_stale_claims.worker_id, '')), '');
  settings public.send_window;
  stale record;
  recovered integer := 0;
begin
  settings := internal.settings();
  for stale in
    select m.id, m.worker_id, m.claimed_at
      from public.messages m
     where m.status = 'sending'
       and (m.worker_id = restarted or m.claimed_at <= moment - settings.claim_lease)
     order by m.id
       for update of m skip locked
  loop
    perform internal.to_unknown(stale.id, case
      when stale.worker_id = restarted then format(
        'claimed by %s at %s; that listener restarted before recording the outcome, so the modem may have sent it',
        stale.worker_id, stale.claimed_at)
      else format(
        'claimed by %s at %s and not finished within the claim lease (%s); the modem may have sent it',
        stale.worker_id, stale.claimed_at, settings.claim_lease)
    end);
    recovered := recovered + 1;
  end loop;
  return recovered;
end;
$$;

comment on function public.recover_stale_claims(text) is
  'Turns sending bubbles of a restarted worker (at once) and anyone''s older than send_window.claim_lease into unknown; returns how many.';
revoke all on function public.recover_stale_claims(text) from public, anon, authenticated;
grant execute on function public.recover_stale_claims(text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- next_bubble_due_at: the earliest moment claim_next_bubble() would hand something out, counting
-- retry times and the send window; null when no queued bubble can become claimable by time alone
-- (none queued, or all wait for an earlier bubble). The listener sleeps until then.
-- ---------------------------------------------------------------------------------------------
create function public.next_bubble_due_at()
returns timestamptz
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  moment constant timestamptz := pg_catalog.statement_timestamp();
  settings public.send_window;
  earliest timestamptz;
  earliest_started timestamptz;
  opening timestamptz;
  reply_due timestamptz;
begin
  -- issue 12: queued replies are claimable at any hour (least() below ignores a null).
  select min(greatest(coalesce(m.next_attempt_at, moment), moment)) into reply_due
    from public.messages m
   where m.status = 'queued' and m.scheduled_message_id is null and m.reply_kind is not null;

  with ready as (
    select greatest(coalesce(m.next_attempt_at, moment), moment) as due,
           exists (
             select 1 from public.messages earlier
              where earlier.scheduled_message_id = m.scheduled_message_id
                and earlier.promotion = m.promotion
                and earlier.bubble_index < m.bubble_index
                and earlier.status = 'sent'
           ) as started
      from public.messages m
      join public.scheduled_messages sm
        on sm.id = m.scheduled_message_id and sm.status = 'queued' and sm.promotions = m.promotion
     where m.status = 'queued'
       -- Re-check (invariant b): never hand out a bubble of a campaign row that was cancelled.
       and not exists (select 1 from public.campaign_messages c
                        where c.id = sm.campaign_message_id and c.status = 'cancelled')
       -- issue 12: opt-out (as in the claim).
       and not exists (select 1 from public.opt_outs o where o.phone_number = m.phone_number and o.opted_out)
       and not exists (
             select 1 from public.messages earlier
              where earlier.scheduled_message_id = m.scheduled_message_id
                and earlier.promotion = m.promotion
                and earlier.bubble_index < m.bubble_index
                and earlier.status <> 'sent'
           )
  )
  select min(due), min(due) filter (where started)
    into earliest, earliest_started
    from ready;

  if earliest is null then
    return reply_due;
  end if;
  if public.is_business_hours(earliest) then
    return least(earliest, reply_due);
  end if;
  settings := internal.settings();
  opening := public.next_window_opening(earliest);
  if earliest_started is not null
     and earliest_started < opening
     and settings.bubble_grace > interval '0'
     and public.is_business_hours(earliest_started - settings.bubble_grace) then
    return least(earliest_started, reply_due);
  end if;
  return least(opening, reply_due);
end;
$$;

comment on function public.next_bubble_due_at() is
  'The earliest moment a queued bubble becomes claimable (retry times and the send window counted); null when none can by time alone.';
revoke all on function public.next_bubble_due_at() from public, anon, authenticated;
grant execute on function public.next_bubble_due_at() to service_role;

-- ---------------------------------------------------------------------------------------------
-- record_listener_heartbeat: upsert this listener's status row, on the database clock.
-- queue_depth null = counted here (queued bubbles). last_sent_at null keeps the last known value.
-- started_at (optional): the listener's start time; when omitted the first heartbeat is its start.
-- ---------------------------------------------------------------------------------------------
create function public.record_listener_heartbeat(
  worker_id text,
  modem_health jsonb,
  last_sent_at timestamptz,
  queue_depth integer default null,
  started_at timestamptz default null
)
returns public.listener_status
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  worker constant text := pg_catalog.btrim(coalesce(record_listener_heartbeat.worker_id, ''));
  moment constant timestamptz := pg_catalog.statement_timestamp();
  health jsonb := coalesce(record_listener_heartbeat.modem_health, '{}'::jsonb);
  depth integer := record_listener_heartbeat.queue_depth;
  result public.listener_status;
begin
  if worker = '' or pg_catalog.length(worker) > 100 then
    raise exception 'record_listener_heartbeat: worker_id must be 1 to 100 characters' using errcode = '22023';
  end if;
  if jsonb_typeof(health) <> 'object' then
    raise exception 'listener %: modem_health must be a JSON object, not %', worker, jsonb_typeof(health)
      using errcode = '22023';
  end if;
  if depth is not null and depth < 0 then
    raise exception 'listener %: queue_depth must not be negative (got %)', worker, depth
      using errcode = '22023';
  end if;
  if internal.moment_problem(record_listener_heartbeat.last_sent_at) is not null
     or internal.moment_problem(record_listener_heartbeat.started_at) is not null then
    raise exception 'listener %: last_sent_at and started_at must be real moments', worker using errcode = '22023';
  end if;
  if depth is null then
    select count(*)::integer into depth from public.messages m where m.status = 'queued';
  end if;

  insert into public.listener_status as ls
         (worker_id, modem_health, last_sent_at, queue_depth, started_at, last_seen_at)
  values (worker, health, record_listener_heartbeat.last_sent_at, depth,
          coalesce(record_listener_heartbeat.started_at, moment), moment)
  on conflict on constraint listener_status_pkey do update
     set modem_health = excluded.modem_health,
         last_sent_at = coalesce(excluded.last_sent_at, ls.last_sent_at),
         queue_depth = excluded.queue_depth,
         started_at = coalesce(record_listener_heartbeat.started_at, ls.started_at),
         last_seen_at = excluded.last_seen_at
  returning ls.* into result;
  return result;
end;
$$;

comment on function public.record_listener_heartbeat(text, jsonb, timestamptz, integer, timestamptz) is
  'Upserts the listener''s status row (worker id, modem health, last send, queue depth: null = counted here).';
revoke all on function public.record_listener_heartbeat(text, jsonb, timestamptz, integer, timestamptz)
  from public, anon, authenticated;
grant execute on function public.record_listener_heartbeat(text, jsonb, timestamptz, integer, timestamptz)
  to service_role;

revoke all on function internal.locked_claim(bigint, text, text) from public, anon, authenticated, service_role;
revoke all on function internal.requeue(bigint, timestamptz, text, boolean) from public, anon, authenticated, service_role;
revoke all on function internal.to_unknown(bigint, text) from public, anon, authenticated, service_role;
