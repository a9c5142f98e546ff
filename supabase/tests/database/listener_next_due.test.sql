-- next_bubble_due_at: when a sleeping listener should look again (from the database clock): now if
-- something is claimable, a retry time, the next window opening, or null (nothing queued, or only
-- blocked bubbles).
begin;
\ir _listener_fixture.psql
select plan(7);

select is(public.next_bubble_due_at(), null, 'nothing queued: null');

select pg_temp.queue_message('+12095550221', 2) as sm \gset
select is(public.next_bubble_due_at(), pg_temp.pt('2025-11-05 14:30'),
  'a claimable bubble: due now (the database clock)');
select pg_temp.claim('w');
select is(public.next_bubble_due_at(), null,
  'only a bubble waiting for its earlier bubble (sending): null, the send itself wakes the listener');
select public.mark_bubble_failed(pg_temp.bubble(:sm, 1), 'w', 'busy', false);
select tests.pin_clock('2025-11-05 14:30:01-08');
select is(public.next_bubble_due_at(), pg_temp.pt('2025-11-05 14:30:15'),
  'a bubble waiting for its retry: its next_attempt_at');
select tests.pin_clock('2025-11-05 21:00-08');
select is(public.next_bubble_due_at(), pg_temp.pt('2025-11-06 09:00'),
  'outside the window: the next opening (Thursday 09:00)');
select tests.pin_clock('2025-11-07 20:30-08');
select is(public.next_bubble_due_at(), pg_temp.pt('2025-11-10 09:00'),
  'on Friday night: Monday 09:00');

-- A started message whose next bubble is due in the grace period: that moment, not tomorrow.
-- Bubble 1 is sent just before closing; bubble 2 fails transiently at 19:59:55 (retry 15 s later).
select tests.pin_clock('2025-11-05 19:59:50-08');
select pg_temp.claim('w');
select tests.pin_clock('2025-11-05 19:59:52-08');
select public.mark_bubble_sent(pg_temp.bubble(:sm, 1), 'w', 'r');
select tests.pin_clock('2025-11-05 19:59:55-08');
select pg_temp.claim('w');
select public.mark_bubble_failed(pg_temp.bubble(:sm, 2), 'w', 'busy', false);
select tests.pin_clock('2025-11-05 20:00-08');
select is(public.next_bubble_due_at(), pg_temp.pt('2025-11-05 20:00:10'),
  'the rest of a started message due within the grace: its retry time');

select * from finish();
rollback;
