-- A transient failure puts the bubble back in the queue at now + retry_base * 2^(attempts - 1),
-- capped at 10 minutes, and after send_window.max_attempts attempts the bubble fails for good.
begin;
\ir _listener_fixture.psql
select plan(15);

select pg_temp.queue_message('+12095550121', 2) as sm \gset
select pg_temp.bubble(:sm, 1) as b1 \gset

-- One attempt on the database clock: claim, fail transiently; returns the new next_attempt_at - now.
create function pg_temp.attempt()
returns interval
language plpgsql
as $$
declare
  claimed bigint;
  outcome public.messages;
begin
  select id into claimed from public.claim_next_bubble('w1');
  if claimed is null then
    raise exception 'nothing claimable at %', statement_timestamp();
  end if;
  outcome := public.mark_bubble_failed(claimed, 'w1', '+CMS ERROR: 47', false);
  return outcome.next_attempt_at - statement_timestamp();
end;
$$;

select tests.pin_clock('2025-11-05 10:00-08');
select is(pg_temp.attempt(), interval '15 seconds', 'attempt 1 fails: retried 15 s later');
select is((select status from public.messages where id = :b1), 'queued', 'a transiently failed bubble is queued again');
select is((select worker_id from public.messages where id = :b1), null, 'and no longer held by the worker');
select is((select error_message from public.messages where id = :b1), 'attempt 1 failed: +CMS ERROR: 47',
  'the error of the attempt is kept on the bubble');
select tests.pin_clock('2025-11-05 10:00:15-08');
select is(pg_temp.attempt(), interval '30 seconds', 'attempt 2 fails: retried 30 s later');
select tests.pin_clock('2025-11-05 10:00:45-08');
select is(pg_temp.attempt(), interval '60 seconds', 'attempt 3 fails: retried 60 s later');
select tests.pin_clock('2025-11-05 10:01:45-08');
select is(pg_temp.attempt(), interval '120 seconds', 'attempt 4 fails: retried 120 s later');
select tests.pin_clock('2025-11-05 10:03:45-08');
select is(pg_temp.attempt(), null, 'attempt 5 (max_attempts) fails: no retry time');
select results_eq(
  format('select status, error_message from public.messages where id = %s', :b1),
  $$values ('failed'::text, 'gave up after 5 attempts: +CMS ERROR: 47'::text)$$,
  'after max_attempts the bubble failed, saying how many attempts were made');
select is((select status from public.scheduled_messages where id = :sm), 'failed',
  'and its scheduled message failed with it');

-- The cap: with retry_base 2 minutes the delays are 2, 4, 8 and then 10 (not 16) minutes.
update public.send_window set retry_base = '2 minutes', max_attempts = 10;
select tests.pin_clock('2025-11-05 11:00-08');
select pg_temp.queue_message('+12095550122', 1) as capped \gset
select is(pg_temp.attempt(), interval '2 minutes', 'with retry_base 2 minutes: attempt 1 is retried 2 minutes later');
select tests.pin_clock('2025-11-05 11:02-08');
select is(pg_temp.attempt(), interval '4 minutes', 'attempt 2: 4 minutes');
select tests.pin_clock('2025-11-05 11:06-08');
select is(pg_temp.attempt(), interval '8 minutes', 'attempt 3: 8 minutes');
select tests.pin_clock('2025-11-05 11:14-08');
select is(pg_temp.attempt(), interval '10 minutes', 'attempt 4: capped at 10 minutes (not 16)');
select tests.pin_clock('2025-11-05 11:24-08');
select is(pg_temp.attempt(), interval '10 minutes', 'and stays at the cap');

select * from finish();
rollback;
