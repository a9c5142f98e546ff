-- A transient failure puts the bubble back in the queue at at + retry_base * 2^(attempts - 1),
-- capped at 10 minutes, and after send_window.max_attempts attempts the bubble fails for good.
begin;
\ir _listener_fixture.psql
select plan(12);

select pg_temp.queue_message('+12095550121', 2) as sm \gset
select pg_temp.bubble(:sm, 1) as b1 \gset

-- One attempt: claim at `t`, fail transiently at `t`; returns the new next_attempt_at - t.
create function pg_temp.attempt(t timestamptz)
returns interval
language plpgsql
as $$
declare
  claimed bigint;
  outcome public.messages;
begin
  select id into claimed from public.claim_next_bubble('w1', t);
  if claimed is null then
    raise exception 'nothing claimable at %', t;
  end if;
  outcome := public.mark_bubble_failed(claimed, 'w1', '+CMS ERROR: 47', false, t);
  return outcome.next_attempt_at - t;
end;
$$;

select is(pg_temp.attempt(pg_temp.pt('2025-11-05 10:00')), interval '15 seconds', 'attempt 1 fails: retried 15 s later');
select is((select status from public.messages where id = :b1), 'queued', 'a transiently failed bubble is queued again');
select is((select worker_id from public.messages where id = :b1), null, 'and no longer held by the worker');
select is((select error_message from public.messages where id = :b1), 'attempt 1 failed: +CMS ERROR: 47',
  'the error of the attempt is kept on the bubble');
select is(pg_temp.attempt(pg_temp.pt('2025-11-05 10:00:15')), interval '30 seconds', 'attempt 2 fails: retried 30 s later');
select is(pg_temp.attempt(pg_temp.pt('2025-11-05 10:00:45')), interval '60 seconds', 'attempt 3 fails: retried 60 s later');
select is(pg_temp.attempt(pg_temp.pt('2025-11-05 10:01:45')), interval '120 seconds', 'attempt 4 fails: retried 120 s later');
select is(pg_temp.attempt(pg_temp.pt('2025-11-05 10:03:45')), null, 'attempt 5 (max_attempts) fails: no retry time');
select results_eq(
  $$select status, error_message from public.messages where id = pg_temp.bubble(1, 1)$$,
  $$values ('failed'::text, 'gave up after 5 attempts: +CMS ERROR: 47'::text)$$,
  'after max_attempts the bubble failed, saying how many attempts were made');
select is((select status from public.scheduled_messages where id = :sm), 'failed',
  'and its scheduled message failed with it');

-- The cap: with retry_base 2 minutes the delays are 2, 4, 8 and then 10 (not 16) minutes.
update public.send_window set retry_base = '2 minutes', max_attempts = 10;
select pg_temp.queue_message('+12095550122', 1) as capped \gset
select is(array[pg_temp.attempt(pg_temp.pt('2025-11-05 11:00')), pg_temp.attempt(pg_temp.pt('2025-11-05 11:02')),
                pg_temp.attempt(pg_temp.pt('2025-11-05 11:06')), pg_temp.attempt(pg_temp.pt('2025-11-05 11:14'))],
          array[interval '2 minutes', interval '4 minutes', interval '8 minutes', interval '10 minutes'],
          'the delay doubles and is capped at 10 minutes');
select is(pg_temp.attempt(pg_temp.pt('2025-11-05 11:24')), interval '10 minutes', 'and stays at the cap');

select * from finish();
rollback;
