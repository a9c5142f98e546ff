-- claim_next_bubble hands out the oldest claimable bubble, one message's bubbles strictly in order:
-- bubble n+1 never while bubble n is queued, sending, failed, unknown or cancelled.
begin;
\ir _listener_fixture.psql
select plan(14);

select pg_temp.queue_message('+12095550101', 3) as first_message \gset
select pg_temp.queue_message('+12095550102', 2) as second_message \gset

select is(pg_temp.claim('w1', '2025-11-05 14:30'), pg_temp.bubble(:first_message, 1),
  'the first claim gets bubble 1 of the oldest message');
select results_eq(
  $$select status, worker_id, claimed_at, attempts from public.messages where id = pg_temp.bubble(1, 1)$$,
  $$values ('sending'::text, 'w1'::text, pg_temp.pt('2025-11-05 14:30'), 1)$$,
  'the claimed bubble is sending, with the worker id, the claim time (at) and attempts 1');
select is(pg_temp.claim('w2', '2025-11-05 14:30'), pg_temp.bubble(:second_message, 1),
  'a second worker skips bubble 2 (bubble 1 is sending) and gets the next message''s bubble 1');
select is(pg_temp.claim('w3', '2025-11-05 14:30'), null,
  'nothing else is claimable while both messages have a bubble sending');

select lives_ok($$select public.mark_bubble_sent(pg_temp.bubble(1, 1), 'w1', 'ref-1', pg_temp.pt('2025-11-05 14:30:05'))$$,
  'w1 marks bubble 1 of the first message sent');
select is(pg_temp.claim('w3', '2025-11-05 14:30:06'), pg_temp.bubble(:first_message, 2),
  'once bubble 1 is sent, bubble 2 of the same message is next (oldest first)');

-- Take the second message out of the way: only the first message's bubble 3 is left queued.
update public.messages set status = 'cancelled' where id = pg_temp.bubble(:second_message, 2);
select is(pg_temp.claim('w4', '2025-11-05 14:30:06'), null,
  'bubble 3 is not handed out while bubble 2 is sending');

select public.mark_bubble_unknown(pg_temp.bubble(:first_message, 2), 'w3', 'no answer', pg_temp.pt('2025-11-05 14:31'));
select is(pg_temp.claim('w4', '2025-11-05 14:31'), null,
  'an unknown bubble blocks the later bubbles of its message');

update public.messages set status = 'failed' where id = pg_temp.bubble(:first_message, 2);
select is((select status from public.messages where id = pg_temp.bubble(:first_message, 3)), 'cancelled',
  'a failed bubble''s later bubbles are cancelled, not left claimable');
select is(pg_temp.claim('w4', '2025-11-05 14:31'), null,
  'a failed or cancelled earlier bubble never lets a later one out');

select pg_temp.queue_message('+12095550103', 2) as third_message \gset
select is(pg_temp.claim('w4', '2025-11-05 14:32'), pg_temp.bubble(:third_message, 1),
  'a newer message is claimable while older ones are blocked');
select public.mark_bubble_failed(pg_temp.bubble(:third_message, 1), 'w4', 'network busy', false, pg_temp.pt('2025-11-05 14:32'));
select is(pg_temp.claim('w4', '2025-11-05 14:32:01'), null,
  'a bubble waiting for its retry time (and the bubble after it) is not claimable early');
select is(pg_temp.claim('w4', '2025-11-05 14:32:15'), pg_temp.bubble(:third_message, 1),
  'the retried bubble is claimable at its next_attempt_at');
select is((select attempts from public.messages where id = pg_temp.bubble(:third_message, 1)), 2,
  'each claim counts one attempt');

select * from finish();
rollback;
