-- recover_stale_claims: a restarted worker's own sending rows become unknown at once, anyone's
-- sending row older than send_window.claim_lease (on the database clock) becomes unknown; nothing
-- else changes.
begin;
\ir _listener_fixture.psql
select plan(9);

select tests.pin_clock('2025-11-05 13:59-08');
select pg_temp.queue_message('+12095550171', 1) as a \gset
select pg_temp.queue_message('+12095550172', 1) as b \gset
select pg_temp.queue_message('+12095550173', 1) as c \gset
select pg_temp.queue_message('+12095550174', 1) as d \gset

select tests.pin_clock('2025-11-05 14:00-08');
select pg_temp.claim('old-worker');      -- a: claimed 14:00 by a worker that died
select tests.pin_clock('2025-11-05 14:29-08');
select pg_temp.claim('restarting');      -- b: claimed a minute ago by the restarting worker
select tests.pin_clock('2025-11-05 14:29:30-08');
select pg_temp.claim('busy');            -- c: claimed 30 s ago by a live worker
                                         -- d: still queued

select tests.pin_clock('2025-11-05 14:30-08');
select is(public.recover_stale_claims('restarting'), 2,
  'the restarting worker''s claim and the claim older than the lease are recovered (2 rows)');
select is((select status from public.messages where id = pg_temp.bubble(:a, 1)), 'unknown', 'the claim older than 10 minutes is unknown');
select matches((select error_message from public.messages where id = pg_temp.bubble(:a, 1)),
  '^claimed by old-worker at .* not finished within the claim lease \(00:10:00\); the modem may have sent it$',
  'with a message naming the worker and the lease');
select is((select status from public.messages where id = pg_temp.bubble(:b, 1)), 'unknown', 'the restarted worker''s fresh claim is unknown at once');
select matches((select error_message from public.messages where id = pg_temp.bubble(:b, 1)),
  '^claimed by restarting at .*that listener restarted before recording the outcome',
  'with a message saying the listener restarted');
select is((select status from public.messages where id = pg_temp.bubble(:c, 1)), 'sending', 'a live worker''s fresh claim is untouched');
select is((select status from public.messages where id = pg_temp.bubble(:d, 1)), 'queued', 'a queued bubble is untouched');
select tests.pin_clock('2025-11-05 14:39:29-08');
select is(public.recover_stale_claims(), 0,
  'without a worker id only the lease counts: 9 min 59 s is not stale');
select tests.pin_clock('2025-11-05 14:39:30-08');
select is(public.recover_stale_claims(), 1,
  'at exactly the lease the busy worker''s claim is recovered');

select * from finish();
rollback;
