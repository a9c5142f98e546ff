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
-- issue 13: recipient window: pacing at the modem. Per campaign and SIM (issue 14: senders.id), the
-- scheduled message whose first bubble that SIM claimed last and when. After a listener outage its
-- queue holds many messages of one campaign; the claim hands that SIM the next recipient's first
-- bubble only catch_up_gap after the previous one (the rest of a started message is never held back).
-- Per SIM, not per campaign: what must look human is each number's sending (what its recipients and
-- its carrier see), and one SIM back from an outage must not hold the rest of the bank back. One SIM
-- is claimed for by one listener, so the row a claim writes is not contended.
-- ---------------------------------------------------------------------------------------------
create table internal.campaign_claims (
  campaign_key text not null,
  sender_id bigint not null,
  scheduled_message_id bigint not null,
  claimed_at timestamptz not null,
  constraint campaign_claims_pkey primary key (campaign_key, sender_id)
);

comment on table internal.campaign_claims is
  'Per campaign (coalesce(campaign_name, '''')) and SIM: the latest claim of a message''s first bubble; that '
  'SIM''s next recipient of the campaign is claimable from claimed_at + send_window.catch_up_gap.';
revoke all on table internal.campaign_claims from public, anon, authenticated, service_role;

-- ---------------------------------------------------------------------------------------------
-- claim_next_bubble: hand the oldest claimable bubble to one worker, or nothing.
-- Replies first (issue 12: opt-out and opt-in confirmations, HELP texts: at any hour, under no cap).
-- Then campaign bubbles. Claimable = queued, due (next_attempt_at null or <= now), its scheduled message
-- queued with this bubble's promotion, every earlier bubble of the same promotion sent, the number not
-- opted out (issue 12), its recipient's effective window (business window ∩ recipient rules, no
-- blackout) open now, or, for the rest of a message that has already started, closed less than
-- send_window.bubble_grace ago while the recipient's legal hours still allow now (issue 13), and a first
-- bubble only catch_up_gap after the campaign's previous recipient (pacing at the modem, issue 13).
-- Sticky SIM (issue 14): only bubbles of this worker's SIM's recipients, or of a new (or handed-over)
-- recipient it then takes, and the rest of a started message only from the SIM that began it; a reply
-- goes from the SIM the customer knows (20261201000970_senders.sql; docs/sql-listener-api.md,
-- "Senders"). The SELECT locks the candidate with FOR UPDATE SKIP LOCKED (concurrent claimers pass over
-- each other's row), the UPDATE marks it sending. Oldest = lowest id, i.e. promotion order, so a started
-- message is finished before the next recipient's.
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
  -- issue 13: recipient window and pacing
  open_keys integer[];
  grace_keys integer[];
  paced_campaigns text[];
  paced_messages bigint[];
  -- issue 14: sticky SIM (20261201000970_senders.sql)
  route record;
  sources bigint[];
  source bigint;
  best_id bigint;
  best record;
  after bigint;
  batch_rows integer;
  pick record;
  owner bigint;
  new_recipient integer;
  claimed public.messages;
begin
  if claimer = '' or pg_catalog.length(claimer) > 100 then
    raise exception 'claim_next_bubble: worker_id must be 1 to 100 characters, got "%"', pg_catalog.left(claimer, 40)
      using errcode = '22023';
  end if;

  -- issue 14: sticky SIM. The worker's SIM (registered on its first claim if it has no senders row), what
  -- its limits leave it, and which SIMs are handed over. Nothing for a SIM that is away, disabled, or at a
  -- message limit with no reply bubble waiting.
  select * into route from internal.claim_route(claimer, moment);
  if route.sender_id is null then
    return;
  end if;

  -- issue 12: replies first, at any hour and under no cap: a reply to the customer is not marketing, and
  -- the opt-out confirmation must go at once. issue 14: from the customer's SIM (or any, for a number
  -- no SIM has texted).
  return query
  with reply as (
    select m.id
      from public.messages m
      left join public.recipient_senders a on a.phone_number = m.phone_number
     where m.status = 'queued' and m.scheduled_message_id is null and m.reply_kind is not null
       and (m.next_attempt_at is null or m.next_attempt_at <= moment)
       and (a.sender_id is null or a.sender_id = route.sender_id
            or (a.sender_id = any (route.handover_from) and not a.pinned))
     order by m.id
     limit 1
     for update of m skip locked
  )
  update public.messages target
     set status = 'sending', worker_id = claimer, claimed_at = moment, attempts = target.attempts + 1,
         sender_id = route.sender_id
    from reply
   where target.id = reply.id and target.status = 'queued'
  returning target.*;
  if found then
    return;
  end if;
  if route.at_limit then  -- issue 14: per-SIM limits: past a message limit only replies go
    return;
  end if;

  settings := internal.settings();
  -- issue 13: recipient window: the recipient keys open now, and those where a started message may
  -- finish (grace); the campaigns whose previous recipient was claimed less than catch_up_gap ago.
  open_keys := internal.open_keys(moment);
  -- The grace only matters for a key that is not open; with every key open (the middle of the day) it is
  -- not computed (about 0.35 ms of a claim). A key created meanwhile only makes the count larger.
  grace_keys := case when cardinality(open_keys) < (select count(*) from internal.recipient_keys)
                     then internal.grace_keys(moment, settings.bubble_grace) else '{}'::integer[] end;
  if cardinality(open_keys) = 0 and cardinality(grace_keys) = 0 then
    return;
  end if;
  select coalesce(array_agg(p.campaign_key), '{}'::text[]), coalesce(array_agg(p.scheduled_message_id), '{}'::bigint[])
    into paced_campaigns, paced_messages
    from internal.campaign_claims p
   where p.sender_id = route.sender_id and p.claimed_at > moment - settings.catch_up_gap;

  -- issue 14: sticky SIM: the queues to look at, each walked in id order on its own route (index
  -- messages_route_idx): this SIM's, then (when it may take a new recipient) the bubbles not routed yet
  -- (0) and those of handed-over SIMs. The oldest candidate found wins.
  sources := array[route.sender_id];
  if route.can_take_new then
    sources := sources || 0::bigint || route.handover_from;
  end if;

  -- A few rounds: a round ends without a claim only when a concurrent claimer won the new recipient of the
  -- bubble we locked (the next round sees that recipient as theirs and passes over it).
  for try_number in 1 .. 4 loop
    best_id := null;
    foreach source in array sources loop
    after := 0;
    loop
    select m.id, m.phone_number, a.sender_id as owner, coalesce(sm.campaign_name, '') as campaign,
           sm.id as scheduled_id, st.started
      into pick
      -- issue 14: sticky SIM: the next 64 bubbles of this queue, in order (a plain walk of the route index,
      -- planned apart so it stays one); the checks below run on those only.
      from (select q.id
              from public.messages q
             where coalesce(q.sender_id, 0) = source and q.status = 'queued'
               and q.id > after and q.id < coalesce(best_id, 9223372036854775807)
             order by coalesce(q.sender_id, 0), q.id
             limit 64) route_queue
      join public.messages m on m.id = route_queue.id
      join public.scheduled_messages sm
        on sm.id = m.scheduled_message_id and sm.status = 'queued' and sm.promotions = m.promotion
      -- issue 14: sticky SIM: the recipient's SIM (null: nobody texted them yet)
      left join public.recipient_senders a on a.phone_number = m.phone_number
     cross join lateral (
           select exists (
                    select 1
                      from public.messages earlier
                     where earlier.scheduled_message_id = m.scheduled_message_id
                       and earlier.promotion = m.promotion
                       and earlier.bubble_index < m.bubble_index
                       and earlier.status = 'sent'
                  ) as started
         ) st
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
       -- issue 13: recipient window (grace only for the rest of a started message) and pacing.
       and (sm.recipient_key = any (open_keys) or (st.started and sm.recipient_key = any (grace_keys)))
       and (st.started or sm.id = any (paced_messages) or coalesce(sm.campaign_name, '') <> all (paced_campaigns))
       -- issue 14: sticky SIM: the recipient is this SIM's; or new, or on a handed-over SIM (not pinned),
       -- when this SIM may take a new recipient.
       and (a.sender_id = route.sender_id
            or (route.can_take_new
                and (a.sender_id is null or (a.sender_id = any (route.handover_from) and not a.pinned))))
       and coalesce(m.sender_id, 0) = source
       -- issue 14: sticky SIM: the rest of a started message only from the SIM that sent its earlier
       -- bubbles (any promotion), unless that SIM is handed over.
       and (m.bubble_index = 1
            or not exists (
                 select 1
                   from public.messages earlier
                  where earlier.scheduled_message_id = m.scheduled_message_id
                    and earlier.bubble_index < m.bubble_index
                    and earlier.status in ('sent', 'unknown')
                    and earlier.sender_id <> route.sender_id
                    and not earlier.sender_id = any (route.handover_from)
               ))
     order by m.id
     limit 1
     for update of m skip locked;
    if found then  -- an older one from a later queue may still win; this one stays locked until commit
      best_id := pick.id;
      best := pick;
      exit;
    end if;
    -- Nothing claimable among these 64: the next 64, unless the queue ended.
    select count(*), max(q.id) into batch_rows, after
      from (select q.id from public.messages q
             where coalesce(q.sender_id, 0) = source and q.status = 'queued'
               and q.id > after and q.id < coalesce(best_id, 9223372036854775807)
             order by coalesce(q.sender_id, 0), q.id
             limit 64) q;
    exit when batch_rows < 64;
    end loop;
    end loop;
    if best_id is null then
      return;
    end if;
    pick := best;

    -- issue 14: sticky SIM: take a new or handed-over recipient (one SIM wins, see take_recipient); for
    -- our own, hold the assignment (FOR SHARE) so a concurrent handover cannot move them under us.
    new_recipient := 0;
    if pick.owner is distinct from route.sender_id then
      owner := internal.take_recipient(pick.phone_number, route.sender_id, pick.owner, moment, pick.id, claimer);
      continue when owner is distinct from route.sender_id;
      new_recipient := 1;
    else
      perform 1 from public.recipient_senders a
        where a.phone_number = pick.phone_number and a.sender_id = route.sender_id
          for share;
      continue when not found;
    end if;

    update public.messages target
       set status = 'sending',
           worker_id = claimer,
           claimed_at = moment,
           attempts = target.attempts + 1,
           sender_id = route.sender_id  -- issue 14: sticky SIM
     where target.id = pick.id
       and target.status = 'queued'
    returning target.* into claimed;
    if claimed.id is not null then
      perform internal.count_claim(route.sender_id, moment, new_recipient);  -- issue 14: per-SIM limits
      -- issue 13: pacing at the modem: this SIM has a new recipient of the campaign now (nothing to
      -- remember when pacing is off).
      if not pick.started and settings.catch_up_gap > interval '0' then
        insert into internal.campaign_claims as p (campaign_key, sender_id, scheduled_message_id, claimed_at)
        values (pick.campaign, route.sender_id, pick.scheduled_id, moment)
        on conflict on constraint campaign_claims_pkey do update
          set scheduled_message_id = excluded.scheduled_message_id, claimed_at = excluded.claimed_at;
      end if;
      return next claimed;
    end if;
    return;
  end loop;
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
-- retry times, each recipient's effective window and the claim pacing (issue 13); null when no queued
-- bubble can become claimable by time alone
-- (none queued, or all wait for an earlier bubble). The listener sleeps until then.
-- issue 14: per SIM. With the worker_id of a SIM (a senders row), only what that worker could claim
-- counts: its recipients' bubbles; new recipients' (and, once their SIM is handed over, other SIMs'
-- unpinned recipients') only when it may take new recipients; at a message limit only replies. What
-- holds a bubble back moves its moment: a limit until its period rolls over, another SIM's recipient
-- until that SIM would be handed over; a SIM away or disabled: null. Without a worker_id, or for a
-- worker with no senders row yet (its first claim registers it), every SIM's bubbles count. The SIM's
-- rules are internal.sender_room and internal.sender_handovers (20261201000970_senders.sql, created
-- after this function: PL/pgSQL resolves them when it runs).
-- ---------------------------------------------------------------------------------------------
create function public.next_bubble_due_at(worker_id text default null)
returns timestamptz
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  moment constant timestamptz := pg_catalog.statement_timestamp();
  worker constant text := nullif(pg_catalog.btrim(coalesce(next_bubble_due_at.worker_id, '')), '');
  settings public.send_window;
  earliest timestamptz;
  reply_due timestamptz;
  -- issue 14: per SIM (null: every SIM's bubbles count)
  own bigint;
  own_status text;
  room record;
  own_hold timestamptz;   -- its recipients' campaign bubbles: not before (null: not at all)
  new_hold timestamptz;   -- new and handed-over recipients' campaign bubbles: not before (null: not at all)
  peers bigint[];         -- the other SIMs, and when each would be handed over
  peer_handover timestamptz[];
  lanes bigint[];         -- the routes (messages.sender_id; 0 = not routed yet) that may hold such bubbles
begin
  settings := internal.settings();
  if worker is not null then
    select s.id, s.status into own, own_status from public.senders s where s.worker_id = worker;
    if own is not null and own_status <> 'active' then
      return null;  -- away or disabled: it claims nothing, whatever the time
    end if;
  end if;
  if own is not null then
    select * into room from internal.sender_room(own, moment);
    own_hold := case when room.at_limit then room.messages_free_at else moment end;
    -- Another alive SIM with more room gets the new recipients; no room: when the limit rolls over (never
    -- for a limit of 0).
    new_hold := case when not room.most_room then null
                     when room.new_left is null or room.new_left > 0 then own_hold
                     when room.new_free_at is not null and own_hold is not null
                       then greatest(own_hold, room.new_free_at) end;
    select array_agg(h.sender_id), array_agg(h.handover_at) into peers, peer_handover
      from internal.sender_handovers() h
     where h.sender_id <> own;
    lanes := case when new_hold is null then array[own]
                  else array[own, 0::bigint] || coalesce(peers, '{}'::bigint[]) end;
  end if;
  -- issue 12: queued replies are claimable at any hour (least() below ignores a null). issue 14: per SIM,
  -- from the customer's SIM (or any, for a number no SIM has texted), under no limit; another SIM's
  -- customer once that SIM is handed over (never a pinned one).
  select min(greatest(coalesce(m.next_attempt_at, moment), moment, h.held)) into reply_due
    from public.messages m
    left join lateral (select a.sender_id, a.pinned from public.recipient_senders a
                        where own is not null and a.phone_number = m.phone_number) a on true
   cross join lateral (
         select case when own is null or a.sender_id is null or a.sender_id = own then moment
                     when not a.pinned then peer_handover[pg_catalog.array_position(peers, a.sender_id)] end as held
        ) h
   where m.status = 'queued' and m.scheduled_message_id is null and m.reply_kind is not null
     and h.held is not null;
  -- issue 13: recipient window: the earliest due bubble per recipient key (and started or not), moved
  -- to that key's next opening when its window is closed then (a started message's rest may use the
  -- grace); a first bubble waits for its campaign's pacing (catch_up_gap after the previous recipient).
  with ready as (
    select greatest(coalesce(m.next_attempt_at, moment), moment, h.held) as due,
           exists (
             select 1 from public.messages earlier
              where earlier.scheduled_message_id = m.scheduled_message_id
                and earlier.promotion = m.promotion
                and earlier.bubble_index < m.bubble_index
                and earlier.status = 'sent'
           ) as started,
           sm.recipient_key,
           sm.id as scheduled_id,
           coalesce(sm.campaign_name, '') as campaign,
           -- issue 14: the SIM whose pacing applies (pacing is per campaign and SIM): the asking one, else
           -- the one the bubble is routed to; not routed yet: any SIM's (the earliest release counts)
           coalesce(own, m.sender_id) as pacing_sim
      from public.messages m
      join public.scheduled_messages sm
        on sm.id = m.scheduled_message_id and sm.status = 'queued' and sm.promotions = m.promotion
      -- issue 14: per SIM: the recipient's SIM, and from when this SIM may claim their bubble.
      left join lateral (select a.sender_id, a.pinned from public.recipient_senders a
                          where own is not null and a.phone_number = m.phone_number) a on true
     cross join lateral (
           select case when own is null then moment
                       when a.sender_id = own then own_hold
                       when a.sender_id is null then new_hold
                       when a.pinned or new_hold is null then null
                       else greatest(new_hold, peer_handover[pg_catalog.array_position(peers, a.sender_id)]) end
                    as held
          ) h
     where m.status = 'queued'
       and (lanes is null or coalesce(m.sender_id, 0) = any (lanes))
       and h.held is not null
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
  ),
  paced as (
    select r.recipient_key, r.started,
           case when not r.started and p.scheduled_message_id is distinct from r.scheduled_id
                then greatest(r.due, p.claimed_at + settings.catch_up_gap)
                else r.due end as due
      from ready r
      left join internal.campaign_claims p
        on p.campaign_key = r.campaign and (p.sender_id = r.pacing_sim or r.pacing_sim is null)
  ),
  groups as (
    select g.recipient_key, g.started, min(g.due) as due from paced g group by g.recipient_key, g.started
  )
  select min(case when internal.key_open(g.recipient_key, g.due) then g.due
                  when g.started and internal.key_in_grace(g.recipient_key, g.due, settings.bubble_grace) then g.due
                  else internal.key_next_opening(g.recipient_key, g.due) end)
    into earliest
    from groups g;
  return least(earliest, reply_due);
end;
$$;

comment on function public.next_bubble_due_at(text) is
  'The earliest moment a queued bubble becomes claimable (retry times, each recipient''s effective window and '
  'the campaign pacing counted); null when none can by time alone. With a worker_id: only what that worker''s '
  'SIM could claim (its recipients, new ones when it has room, handed-over ones; limits and handovers move the '
  'moment); without one, or for a worker with no SIM yet: every SIM''s bubbles.';
revoke all on function public.next_bubble_due_at(text) from public, anon, authenticated;
grant execute on function public.next_bubble_due_at(text) to service_role;

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
