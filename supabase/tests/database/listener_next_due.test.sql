-- next_bubble_due_at: when a sleeping listener should look again: now if something is claimable,
-- a retry time, the next window opening, or null (nothing queued, or only blocked bubbles).
begin;
\ir _listener_fixture.psql
select plan(7);

select is(public.next_bubble_due_at(pg_temp.pt('2025-11-05 14:30')), null, 'nothing queued: null');

select pg_temp.queue_message('+12095550221', 2) as sm \gset
select is(public.next_bubble_due_at(pg_temp.pt('2025-11-05 14:30')), pg_temp.pt('2025-11-05 14:30'),
  'a claimable bubble: due now (at)');
select pg_temp.claim('w', '2025-11-05 14:30');
select is(public.next_bubble_due_at(pg_temp.pt('2025-11-05 14:30')), null,
  'only a bubble waiting for its earlier bubble (sending): null, the send itself wakes the listener');
select public.mark_bubble_failed(pg_temp.bubble(:sm, 1), 'w', 'busy', false, pg_temp.pt('2025-11-05 14:30'));
select is(public.next_bubble_due_at(pg_temp.pt('2025-11-05 14:30:01')), pg_temp.pt('2025-11-05 14:30:15'),
  'a bubble waiting for its retry: its next_attempt_at');
select is(public.next_bubble_due_at(pg_temp.pt('2025-11-05 21:00')), pg_temp.pt('2025-11-06 09:00'),
  'outside the window: the next opening (Thursday 09:00)');
select is(public.next_bubble_due_at(pg_temp.pt('2025-11-07 20:30')), pg_temp.pt('2025-11-10 09:00'),
  'on Friday night: Monday 09:00');

-- A started message whose next bubble is due in the grace period: that moment, not tomorrow.
select pg_temp.claim('w', '2025-11-05 19:59:50');
select public.mark_bubble_sent(pg_temp.bubble(:sm, 1), 'w', 'r', pg_temp.pt('2025-11-05 19:59:52'));
update public.messages set next_attempt_at = pg_temp.pt('2025-11-05 20:02') where id = pg_temp.bubble(:sm, 2);
select is(public.next_bubble_due_at(pg_temp.pt('2025-11-05 20:00')), pg_temp.pt('2025-11-05 20:02'),
  'the rest of a started message due within the grace: its retry time');

select * from finish();
rollback;
