-- The listener's side of the database: how a sender claims a bubble, records what the modem said,
-- and recovers after a crash, plus its heartbeat.
--
-- Why in SQL: several listeners (one per modem), the pg_cron promotion job and a person in the
-- dashboard act on the same rows at once. Each state change below is one guarded statement on a
-- locked row, so no interleaving can hand a bubble out twice, send bubbles of one message out of
-- order, or resend a bubble that the modem may already have sent. See docs/sql-listener-api.md.
--
-- The bubble life cycle (public.messages.status):
--   queued ──claim──▶ sending ──▶ sent                      (final)
--     │                  ├──▶ failed                         (later bubbles cancelled)
--     │                  ├──▶ queued   (transient failure with a retry time, or released unstarted)
--     │                  └──▶ unknown  (the modem may have sent it; a person decides)
--     └──▶ cancelled                  unknown ──person──▶ sent | queued | failed | cancelled
--   failed | cancelled (| sent, text edited) ──▶ queued only when the scheduled message is retried
--   (failed -> SCH; promotion re-queues its bubbles in place); failed ──▶ cancelled (dropped by an
--   edited retry).
--
-- Nothing here is `security definer`: only service_role (which bypasses RLS) may execute these
-- functions, and it already has the table privileges they need. Every function still pins
-- `search_path = ''` and qualifies every name, so a caller's search_path can never redirect it.

-- ---------------------------------------------------------------------------------------------
-- Indexes that keep claiming flat as history grows (1,000,000 sent bubbles must not slow a claim):
-- the claim walks queued bubbles in id order, recovery looks up sending ones by claim time; the
-- "earlier bubbles sent?" check uses messages_bubble_key (scheduled_message_id, bubble_index).
-- ---------------------------------------------------------------------------------------------
create index messages_listener_claim_order_idx
  on public.messages (id)
  where status = 'queued';

create index messages_listener_sending_idx
  on public.messages (claimed_at)
  where status = 'sending';

-- ---------------------------------------------------------------------------------------------
-- listener_status: one row per listener, upserted by its heartbeat; the dashboard reads it to see
-- whether a sender is alive and how its modem is doing.
-- ---------------------------------------------------------------------------------------------
create table public.listener_status (
  worker_id text primary key
    constraint listener_status_worker_id_not_blank check (length(btrim(worker_id)) > 0),
  modem_health jsonb not null default '{}'::jsonb
    constraint listener_status_modem_health_is_object check (jsonb_typeof(modem_health) = 'object'),
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
comment on column public.listener_status.last_seen_at is
  'The time of the latest heartbeat; a listener is alive when this is recent (it beats every 30 s by default).';

alter table public.listener_status enable row level security;
-- No policies: anon and authenticated see nothing; service_role bypasses RLS.
revoke all on table public.listener_status from public, anon, authenticated;
grant select, insert, update, delete on table public.listener_status to service_role;

-- ---------------------------------------------------------------------------------------------
-- Internal helper: the singleton send_window row (a clear error when someone deleted it).
-- ---------------------------------------------------------------------------------------------
create or replace function public.listener_send_window()
returns public.send_window
language plpgsql
stable
set search_path = ''
as $$
declare
  settings public.send_window;
begin
  select * into settings from public.send_window where id limit 1;
  if not found then
    raise exception 'send_window: the settings row is missing'
      using errcode = 'P0002',
            hint = 'insert into public.send_window default values; restores the defaults.';
  end if;
  return settings;
end;
$$;

comment on function public.listener_send_window() is
  'The send_window settings row; raises P0002 naming the problem when it is missing.';
revoke execute on function public.listener_send_window() from public, anon, authenticated;
grant execute on function public.listener_send_window() to service_role;

-- ---------------------------------------------------------------------------------------------
-- Guard: only the transitions of the life cycle above; a bubble's recipient and text are frozen
-- once it has left `queued`.
-- ---------------------------------------------------------------------------------------------
create or replace function public.messages_guard_transition()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  parent_status text;
  retrying boolean := false;
begin
  -- Back to queued from a finished state: a person resending an unknown bubble, or the retry of the
  -- whole scheduled message (failed -> SCH; promotion re-queues its bubbles in place, see
  -- promote_scheduled_message). A sent bubble is re-queued only by such a retry, when the person
  -- edited its text (promotion leaves a sent bubble with unchanged text alone).
  if new.status = 'queued' and old.status in ('failed', 'cancelled', 'unknown', 'sent') then
    if new.scheduled_message_id is not null then
      select sm.status into parent_status
        from public.scheduled_messages sm
       where sm.id = new.scheduled_message_id;
    end if;
    retrying := parent_status = 'SCH' or (parent_status = 'queued' and old.status <> 'sent');
    if not retrying and old.status <> 'unknown' then
      raise exception 'message %: cannot go from % to queued: a bubble is retried only with its scheduled message (%)',
        old.id, old.status,
        case when new.scheduled_message_id is null then 'it has none'
             else format('scheduled message %s is %s', new.scheduled_message_id, coalesce(parent_status, 'missing')) end
        using errcode = '55000',
              hint = 'Reset the scheduled message to SCH (update scheduled_messages set status = ''SCH'' where id = ...); promotion re-queues its bubbles.';
    end if;
  elsif new.status is distinct from old.status and not (
       (old.status = 'queued' and new.status in ('sending', 'cancelled'))
       or (old.status = 'sending' and new.status in ('sent', 'failed', 'queued', 'unknown'))
       or (old.status = 'unknown' and new.status in ('sent', 'failed', 'cancelled'))
       or (old.status = 'failed' and new.status = 'cancelled')
     ) then
    raise exception 'message %: cannot go from % to %', old.id, old.status, new.status
      using errcode = '55000',
            detail = case old.status
              when 'sent' then 'sent is final: the modem accepted this bubble.'
              when 'failed' then 'a failed bubble is retried with its scheduled message (reset it to SCH).'
              when 'cancelled' then 'a cancelled bubble is retried with its scheduled message (reset it to SCH).'
              when 'queued' then 'a queued bubble can only be claimed (sending) or cancelled.'
              when 'sending' then 'a bubble being sent ends sent, failed, unknown, or back in queued.'
              else 'an unknown bubble is resolved by a person: sent, queued (resend), failed or cancelled.'
            end;
  end if;

  -- What the modem may have seen never changes, except when a retry re-queues the bubble.
  if (new.content is distinct from old.content
      or new.phone_number is distinct from old.phone_number
      or new.scheduled_message_id is distinct from old.scheduled_message_id
      or new.bubble_index is distinct from old.bubble_index)
     and not (old.status = 'queued' and new.status = 'queued')
     and not retrying then
    raise exception 'message %: cannot change its recipient, text or position: it is %, only a queued bubble can be edited',
      old.id, old.status
      using errcode = '55000',
            hint = 'Edit the scheduled message instead; a failed one is retried by resetting it to SCH.';
  end if;
  return new;
end;
$$;

comment on function public.messages_guard_transition() is
  'BEFORE UPDATE trigger on messages: refuses transitions outside the bubble life cycle and edits of a bubble that left queued.';
revoke execute on function public.messages_guard_transition() from public, anon, authenticated;

create or replace trigger messages_guard_transition
  before update on public.messages
  for each row execute function public.messages_guard_transition();

-- ---------------------------------------------------------------------------------------------
-- Follow-up: the scheduled message follows its bubbles, whoever changed them (a mark_* function,
-- recover_stale_claims, or a person resolving an `unknown` bubble in the dashboard).
--   every bubble sent          -> scheduled message sent (sent_at = the last bubble's sent_at)
--   a bubble failed            -> its later unsent bubbles cancelled, scheduled message failed
--   a bubble unknown           -> scheduled message keeps `queued`, error_message asks a person
--   unknown resolved to queued -> that note is cleared (the bubble will be resent)
--   unknown resolved cancelled -> later unsent bubbles cancelled, scheduled message cancelled
-- Only a scheduled message that is still `queued` is changed (a cancelled one stays cancelled).
-- ---------------------------------------------------------------------------------------------
create or replace function public.messages_follow_status()
returns trigger
language plpgsql
set search_path = ''
as $$
declare
  position_text text;
begin
  if new.scheduled_message_id is null or new.status = old.status then
    return null;
  end if;
  position_text := format('bubble %s of %s (message %s)',
                          coalesce(new.bubble_index::text, '?'), coalesce(new.bubble_count::text, '?'), new.id);

  if new.status = 'sent' then
    if not exists (
      select 1 from public.messages other
      where other.scheduled_message_id = new.scheduled_message_id
        and other.status <> 'sent'
    ) then
      update public.scheduled_messages sm
         set status = 'sent',
             sent_at = coalesce(new.sent_at, now()),
             error_message = null
       where sm.id = new.scheduled_message_id
         and sm.status = 'queued';
    elsif old.status = 'unknown' then
      update public.scheduled_messages sm
         set error_message = null
       where sm.id = new.scheduled_message_id
         and sm.status = 'queued';
    end if;

  elsif new.status in ('failed', 'cancelled') and old.status in ('sending', 'unknown') then
    update public.messages later
       set status = 'cancelled',
           error_message = format('not sent: %s %s', position_text, new.status)
     where later.scheduled_message_id = new.scheduled_message_id
       and later.bubble_index > new.bubble_index
       and later.status = 'queued';
    update public.scheduled_messages sm
       set status = case new.status when 'failed' then 'failed' else 'cancelled' end,
           error_message = format('%s %s: %s', position_text, new.status,
                                  coalesce(new.error_message, 'no reason given'))
     where sm.id = new.scheduled_message_id
       and sm.status = 'queued';

  elsif new.status = 'unknown' then
    update public.scheduled_messages sm
       set error_message = format(
             '%s: outcome unknown (%s). A person must decide: '
             'update messages set status = ''sent'' (it arrived), ''queued'' (resend it) or ''failed'' '
             '(give up) where id = %s; later bubbles wait until then.',
             position_text, coalesce(new.error_message, 'no reason given'), new.id)
     where sm.id = new.scheduled_message_id
       and sm.status = 'queued';

  elsif new.status = 'queued' and old.status = 'unknown' then
    update public.scheduled_messages sm
       set error_message = null
     where sm.id = new.scheduled_message_id
       and sm.status = 'queued';
  end if;
  return null;
end;
$$;

comment on function public.messages_follow_status() is
  'AFTER UPDATE trigger on messages: the scheduled message follows its bubbles (sent when all are sent, failed when one fails, a note when one is unknown).';
revoke execute on function public.messages_follow_status() from public, anon, authenticated;

create or replace trigger messages_follow_status
  after update of status on public.messages
  for each row
  when (new.status is distinct from old.status)
  execute function public.messages_follow_status();

-- ---------------------------------------------------------------------------------------------
-- claim_next_bubble: hand the oldest claimable bubble to one worker, or nothing.
-- Claimable = queued, due (next_attempt_at null or <= at), its scheduled message queued (not SCH
-- waiting for a retry's promotion, not cancelled), every earlier bubble of the same scheduled
-- message sent, and the send window open at `at` — or, for the rest of a message that
-- has already started, closed less than send_window.bubble_grace ago. One statement: the CTE
-- locks the candidate with FOR UPDATE SKIP LOCKED (concurrent claimers pass over each other's row),
-- the UPDATE marks it sending. Oldest = lowest id, i.e. promotion order, so a started message is
-- finished before the next recipient's.
-- ---------------------------------------------------------------------------------------------
create or replace function public.claim_next_bubble(worker_id text, at timestamptz default now())
returns setof public.messages
language plpgsql
volatile
set search_path = ''
as $$
#variable_conflict use_column
declare
  claimer constant text := btrim(coalesce(claim_next_bubble.worker_id, ''));
  moment constant timestamptz := coalesce(claim_next_bubble.at, now());
  settings public.send_window;
  window_open boolean;
  grace_open boolean;
begin
  if claimer = '' then
    raise exception 'claim_next_bubble: worker_id must not be empty'
      using errcode = '22023';
  end if;
  settings := public.listener_send_window();
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
     where m.status = 'queued'
       and (m.next_attempt_at is null or m.next_attempt_at <= moment)
       and (
             m.scheduled_message_id is null
             or exists (
                  select 1
                    from public.scheduled_messages sm
                   where sm.id = m.scheduled_message_id
                     and sm.status = 'queued'
                )
           )
       and not exists (
             select 1
               from public.messages earlier
              where earlier.scheduled_message_id = m.scheduled_message_id
                and earlier.bubble_index < m.bubble_index
                and earlier.status <> 'sent'
           )
       and (
             window_open
             or exists (
                  select 1
                    from public.messages earlier
                   where earlier.scheduled_message_id = m.scheduled_message_id
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

comment on function public.claim_next_bubble(text, timestamptz) is
  'Claims the oldest claimable queued bubble for worker_id (status sending, claimed_at = at, attempts + 1); returns it, or no row.';
revoke execute on function public.claim_next_bubble(text, timestamptz) from public, anon, authenticated;
grant execute on function public.claim_next_bubble(text, timestamptz) to service_role;

-- ---------------------------------------------------------------------------------------------
-- Internal helper: lock a bubble that `worker` must hold in `sending`, or raise naming the row.
-- ---------------------------------------------------------------------------------------------
create or replace function public.listener_locked_claim(message_id bigint, worker_id text, action text)
returns public.messages
language plpgsql
volatile
set search_path = ''
as $$
declare
  bubble public.messages;
  claimer constant text := btrim(coalesce(listener_locked_claim.worker_id, ''));
begin
  if listener_locked_claim.message_id is null then
    raise exception 'cannot %: message_id must not be null', action using errcode = '22023';
  end if;
  if claimer = '' then
    raise exception 'message %: cannot %: worker_id must not be empty', listener_locked_claim.message_id, action
      using errcode = '22023';
  end if;
  select * into bubble
    from public.messages m
   where m.id = listener_locked_claim.message_id
     for update;
  if not found then
    raise exception 'message %: cannot %: no such message', listener_locked_claim.message_id, action
      using errcode = 'P0002';
  end if;
  if bubble.status <> 'sending' then
    raise exception 'message %: cannot %: it is %, not sending (claimed by %)',
      bubble.id, action, bubble.status, coalesce(quote_literal(bubble.worker_id), 'nobody')
      using errcode = '55000';
  end if;
  if bubble.worker_id is distinct from claimer then
    raise exception 'message %: cannot %: it is claimed by %, not by %',
      bubble.id, action, coalesce(quote_literal(bubble.worker_id), 'nobody'), quote_literal(claimer)
      using errcode = '55000';
  end if;
  return bubble;
end;
$$;

comment on function public.listener_locked_claim(bigint, text, text) is
  'Locks a bubble that worker_id must hold in sending, or raises 55000/P0002 naming the row and the reason.';
revoke execute on function public.listener_locked_claim(bigint, text, text) from public, anon, authenticated;
grant execute on function public.listener_locked_claim(bigint, text, text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- mark_bubble_sent: the modem accepted the bubble (AT+CMGS answered with a reference).
-- ---------------------------------------------------------------------------------------------
create or replace function public.mark_bubble_sent(
  message_id bigint,
  worker_id text,
  modem_reference text,
  at timestamptz default now()
)
returns public.messages
language plpgsql
volatile
set search_path = ''
as $$
declare
  bubble public.messages;
begin
  bubble := public.listener_locked_claim(mark_bubble_sent.message_id, mark_bubble_sent.worker_id, 'mark sent');
  update public.messages m
     set status = 'sent',
         sent_at = coalesce(mark_bubble_sent.at, now()),
         modem_reference = nullif(btrim(coalesce(mark_bubble_sent.modem_reference, '')), ''),
         error_message = null,
         next_attempt_at = null
   where m.id = bubble.id
  returning m.* into bubble;
  return bubble;
end;
$$;

comment on function public.mark_bubble_sent(bigint, text, text, timestamptz) is
  'Records that the modem accepted a bubble the worker holds in sending; the scheduled message becomes sent with its last bubble.';
revoke execute on function public.mark_bubble_sent(bigint, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.mark_bubble_sent(bigint, text, text, timestamptz) to service_role;

-- ---------------------------------------------------------------------------------------------
-- mark_bubble_failed: the modem refused the bubble.
--   permanent (or the last allowed attempt): failed; later bubbles cancelled; message failed.
--   transient: queued again at at + retry_base * 2^(attempts - 1), capped at 10 minutes.
-- ---------------------------------------------------------------------------------------------
create or replace function public.mark_bubble_failed(
  message_id bigint,
  worker_id text,
  error text,
  permanent boolean,
  at timestamptz default now()
)
returns public.messages
language plpgsql
volatile
set search_path = ''
as $$
declare
  bubble public.messages;
  settings public.send_window;
  moment constant timestamptz := coalesce(mark_bubble_failed.at, now());
  reason constant text := coalesce(nullif(btrim(coalesce(mark_bubble_failed.error, '')), ''), 'no error text');
  delay interval;
begin
  if mark_bubble_failed.permanent is null then
    raise exception 'message %: cannot mark failed: permanent must be true or false, not null',
      mark_bubble_failed.message_id
      using errcode = '22023';
  end if;
  bubble := public.listener_locked_claim(mark_bubble_failed.message_id, mark_bubble_failed.worker_id, 'mark failed');
  settings := public.listener_send_window();

  if mark_bubble_failed.permanent then
    update public.messages m
       set status = 'failed',
           error_message = reason,
           next_attempt_at = null
     where m.id = bubble.id
    returning m.* into bubble;
  elsif bubble.attempts >= settings.max_attempts then
    update public.messages m
       set status = 'failed',
           error_message = format('gave up after %s attempts: %s', bubble.attempts, reason),
           next_attempt_at = null
     where m.id = bubble.id
    returning m.* into bubble;
  else
    delay := least(
      settings.retry_base * power(2, least(greatest(bubble.attempts - 1, 0), 30)),
      interval '10 minutes'
    );
    update public.messages m
       set status = 'queued',
           error_message = format('attempt %s failed: %s', bubble.attempts, reason),
           next_attempt_at = moment + delay,
           worker_id = null,
           claimed_at = null
     where m.id = bubble.id
    returning m.* into bubble;
  end if;
  return bubble;
end;
$$;

comment on function public.mark_bubble_failed(bigint, text, text, boolean, timestamptz) is
  'Records a refused bubble: permanent -> failed (later bubbles cancelled, message failed); transient -> retried with exponential backoff up to send_window.max_attempts.';
revoke execute on function public.mark_bubble_failed(bigint, text, text, boolean, timestamptz) from public, anon, authenticated;
grant execute on function public.mark_bubble_failed(bigint, text, text, boolean, timestamptz) to service_role;

-- ---------------------------------------------------------------------------------------------
-- mark_bubble_unknown: the body reached the modem but no final answer came. It may have been
-- sent, so it is never resent automatically; later bubbles wait for a person's decision.
-- ---------------------------------------------------------------------------------------------
create or replace function public.mark_bubble_unknown(
  message_id bigint,
  worker_id text,
  error text,
  at timestamptz default now()
)
returns public.messages
language plpgsql
volatile
set search_path = ''
as $$
declare
  bubble public.messages;
begin
  bubble := public.listener_locked_claim(mark_bubble_unknown.message_id, mark_bubble_unknown.worker_id, 'mark unknown');
  update public.messages m
     set status = 'unknown',
         error_message = format('%s (no final answer at %s, worker %s: the modem may have sent it)',
                                coalesce(nullif(btrim(coalesce(mark_bubble_unknown.error, '')), ''), 'no error text'),
                                to_char(coalesce(mark_bubble_unknown.at, now()) at time zone 'UTC',
                                        'YYYY-MM-DD HH24:MI:SS "UTC"'),
                                bubble.worker_id),
         next_attempt_at = null
   where m.id = bubble.id
  returning m.* into bubble;
  return bubble;
end;
$$;

comment on function public.mark_bubble_unknown(bigint, text, text, timestamptz) is
  'Records that a bubble may or may not have been sent (status unknown); it is never resent automatically.';
revoke execute on function public.mark_bubble_unknown(bigint, text, text, timestamptz) from public, anon, authenticated;
grant execute on function public.mark_bubble_unknown(bigint, text, text, timestamptz) to service_role;

-- ---------------------------------------------------------------------------------------------
-- release_bubble: claimed but never handed to the modem (graceful shutdown, modem gone): back to
-- queued and the attempt is not counted.
-- ---------------------------------------------------------------------------------------------
create or replace function public.release_bubble(message_id bigint, worker_id text)
returns public.messages
language plpgsql
volatile
set search_path = ''
as $$
declare
  bubble public.messages;
begin
  bubble := public.listener_locked_claim(release_bubble.message_id, release_bubble.worker_id, 'release');
  update public.messages m
     set status = 'queued',
         attempts = greatest(m.attempts - 1, 0),
         worker_id = null,
         claimed_at = null
   where m.id = bubble.id
  returning m.* into bubble;
  return bubble;
end;
$$;

comment on function public.release_bubble(bigint, text) is
  'Puts a bubble the worker claimed but never handed to the modem back in the queue; the attempt is not counted.';
revoke execute on function public.release_bubble(bigint, text) from public, anon, authenticated;
grant execute on function public.release_bubble(bigint, text) to service_role;

-- ---------------------------------------------------------------------------------------------
-- recover_stale_claims: `sending` rows nobody will finish become `unknown`:
--   * all of worker_id's own claims, at once (that worker restarted: nothing of its is in flight);
--   * anyone's claim older than send_window.claim_lease (that worker died or hangs).
-- ---------------------------------------------------------------------------------------------
create or replace function public.recover_stale_claims(worker_id text default null, at timestamptz default now())
returns integer
language plpgsql
volatile
set search_path = ''
as $$
declare
  moment constant timestamptz := coalesce(recover_stale_claims.at, now());
  restarted constant text := nullif(btrim(coalesce(recover_stale_claims.worker_id, '')), '');
  settings public.send_window;
  recovered integer;
begin
  settings := public.listener_send_window();
  with stale as (
    select m.id
      from public.messages m
     where m.status = 'sending'
       and (m.worker_id = restarted or m.claimed_at <= moment - settings.claim_lease)
     order by m.id
       for update of m skip locked
  )
  update public.messages target
     set status = 'unknown',
         next_attempt_at = null,
         error_message = case
           when target.worker_id = restarted then format(
             'claimed by %s at %s; that listener restarted before recording the outcome, so the modem may have sent it',
             target.worker_id, target.claimed_at)
           else format(
             'claimed by %s at %s and not finished within the claim lease (%s); the modem may have sent it',
             target.worker_id, target.claimed_at, settings.claim_lease)
         end
    from stale
   where target.id = stale.id
     and target.status = 'sending';
  get diagnostics recovered = row_count;
  return recovered;
end;
$$;

comment on function public.recover_stale_claims(text, timestamptz) is
  'Turns sending bubbles of a restarted worker (at once) and anyone''s older than send_window.claim_lease into unknown; returns how many.';
revoke execute on function public.recover_stale_claims(text, timestamptz) from public, anon, authenticated;
grant execute on function public.recover_stale_claims(text, timestamptz) to service_role;

-- ---------------------------------------------------------------------------------------------
-- next_bubble_due_at: the earliest moment claim_next_bubble() would hand something out, counting
-- retry times and the send window; null when no queued bubble can become claimable by time alone
-- (none queued, or all wait for an earlier bubble). The listener sleeps until then.
-- ---------------------------------------------------------------------------------------------
create or replace function public.next_bubble_due_at(at timestamptz default now())
returns timestamptz
language plpgsql
stable
set search_path = ''
as $$
declare
  moment constant timestamptz := coalesce(next_bubble_due_at.at, now());
  settings public.send_window;
  earliest timestamptz;
  earliest_started timestamptz;
  opening timestamptz;
begin
  with ready as (
    select greatest(coalesce(m.next_attempt_at, moment), moment) as due,
           exists (
             select 1 from public.messages earlier
              where earlier.scheduled_message_id = m.scheduled_message_id
                and earlier.bubble_index < m.bubble_index
                and earlier.status = 'sent'
           ) as started
      from public.messages m
     where m.status = 'queued'
       and (
             m.scheduled_message_id is null
             or exists (
                  select 1 from public.scheduled_messages sm
                   where sm.id = m.scheduled_message_id and sm.status = 'queued'
                )
           )
       and not exists (
             select 1 from public.messages earlier
              where earlier.scheduled_message_id = m.scheduled_message_id
                and earlier.bubble_index < m.bubble_index
                and earlier.status <> 'sent'
           )
  )
  select min(due), min(due) filter (where started)
    into earliest, earliest_started
    from ready;

  if earliest is null then
    return null;
  end if;
  if public.is_business_hours(earliest) then
    return earliest;
  end if;
  settings := public.listener_send_window();
  opening := public.next_window_opening(earliest);
  if earliest_started is not null
     and earliest_started < opening
     and settings.bubble_grace > interval '0'
     and public.is_business_hours(earliest_started - settings.bubble_grace) then
    return earliest_started;
  end if;
  return opening;
end;
$$;

comment on function public.next_bubble_due_at(timestamptz) is
  'The earliest moment a queued bubble becomes claimable (retry times and the send window counted); null when none can by time alone.';
revoke execute on function public.next_bubble_due_at(timestamptz) from public, anon, authenticated;
grant execute on function public.next_bubble_due_at(timestamptz) to service_role;

-- ---------------------------------------------------------------------------------------------
-- record_listener_heartbeat: upsert this listener's status row.
-- queue_depth null = counted here (queued bubbles). last_sent_at null keeps the last known value.
-- started_at (optional, an extension of the contract): the listener's start time; when omitted
-- the first heartbeat of the worker id is its start.
-- ---------------------------------------------------------------------------------------------
create or replace function public.record_listener_heartbeat(
  worker_id text,
  modem_health jsonb,
  last_sent_at timestamptz,
  queue_depth integer default null,
  at timestamptz default now(),
  started_at timestamptz default null
)
returns public.listener_status
language plpgsql
volatile
set search_path = ''
as $$
declare
  worker constant text := btrim(coalesce(record_listener_heartbeat.worker_id, ''));
  moment constant timestamptz := coalesce(record_listener_heartbeat.at, now());
  health jsonb := coalesce(record_listener_heartbeat.modem_health, '{}'::jsonb);
  depth integer := record_listener_heartbeat.queue_depth;
  result public.listener_status;
begin
  if worker = '' then
    raise exception 'record_listener_heartbeat: worker_id must not be empty' using errcode = '22023';
  end if;
  if jsonb_typeof(health) <> 'object' then
    raise exception 'listener %: modem_health must be a JSON object, not %', worker, jsonb_typeof(health)
      using errcode = '22023';
  end if;
  if depth is not null and depth < 0 then
    raise exception 'listener %: queue_depth must not be negative (got %)', worker, depth
      using errcode = '22023';
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

comment on function public.record_listener_heartbeat(text, jsonb, timestamptz, integer, timestamptz, timestamptz) is
  'Upserts the listener''s status row (worker id, modem health, last send, queue depth: null = counted here).';
revoke execute on function public.record_listener_heartbeat(text, jsonb, timestamptz, integer, timestamptz, timestamptz)
  from public, anon, authenticated;
grant execute on function public.record_listener_heartbeat(text, jsonb, timestamptz, integer, timestamptz, timestamptz)
  to service_role;
