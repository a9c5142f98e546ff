-- claim_next_bubble hands out the oldest claimable bubble, one message's bubbles strictly in order:
-- bubble n+1 never while bubble n is queued, sending, failed, unknown or cancelled.
begin;
\ir _listener_fixture.psql
select plan(15);

select pg_temp.queue_message('+12095550101', 3) as first_message \gset
select pg_temp.queue_message('+12095550102', 2) as second_message \gset

select is(pg_temp.claim('w1'), pg_temp.bubble(:first_message, 1),
  'the first claim gets bubble 1 of the oldest message');
select results_eq(
  format('select status, worker_id, claimed_at, attempts from public.messages where id = %s',
         pg_temp.bubble(:first_message, 1)),
  $$values ('sending'::text, 'w1'::text, pg_temp.pt('2025-11-05 14:30'), 1)$$,
  'the claimed bubble is sending, with the worker id, the claim time (the database clock) and attempts 1');
select is(pg_temp.claim('w2'), pg_temp.bubble(:second_message, 1),
  'a second worker skips bubble 2 (bubble 1 is sending) and gets the next message''s bubble 1');
select is(pg_temp.claim('w3'), null,
  'nothing else is claimable while both messages have a bubble sending');

select tests.pin_clock('2025-11-05 14:30:05-08');
select lives_ok(format($$select public.mark_bubble_sent(%s, 'w1', 'ref-1')$$, pg_temp.bubble(:first_message, 1)),
  'w1 marks bubble 1 of the first message sent');
select tests.pin_clock('2025-11-05 14:30:06-08');
select is(pg_temp.claim('w3'), null,
  'bubble 2 does not go to another SIM (issue 14: every bubble of a message from one SIM)');
select is(pg_temp.claim('w1'), pg_temp.bubble(:first_message, 2),
  'once bubble 1 is sent, bubble 2 of the same message is next (oldest first), for the SIM that sent bubble 1');

-- Take the second message out of the way (a person cancels it: its queued bubble 2 is cancelled);
-- only the first message's bubble 3 is left queued.
update public.scheduled_messages set status = 'cancelled' where id = :second_message;
select is(pg_temp.claim('w4'), null,
  'bubble 3 is not handed out while bubble 2 is sending');

select tests.pin_clock('2025-11-05 14:31-08');
select public.mark_bubble_unknown(pg_temp.bubble(:first_message, 2), 'w1', 'no answer');
select is(pg_temp.claim('w4'), null,
  'an unknown bubble blocks the later bubbles of its message');

-- A person checked the phone: it did not arrive.
update public.messages set status = 'failed' where id = pg_temp.bubble(:first_message, 2);
select is((select status from public.messages where id = pg_temp.bubble(:first_message, 3)), 'cancelled',
  'a failed bubble''s later bubbles are cancelled, not left claimable');
select is(pg_temp.claim('w4'), null,
  'a failed or cancelled earlier bubble never lets a later one out');

select tests.pin_clock('2025-11-05 14:32-08');
select pg_temp.queue_message('+12095550103', 2) as third_message \gset
select is(pg_temp.claim('w4'), pg_temp.bubble(:third_message, 1),
  'a newer message is claimable while older ones are blocked');
select public.mark_bubble_failed(pg_temp.bubble(:third_message, 1), 'w4', 'network busy', false);
select tests.pin_clock('2025-11-05 14:32:01-08');
select is(pg_temp.claim('w4'), null,
  'a bubble waiting for its retry time (and the bubble after it) is not claimable early');
select tests.pin_clock('2025-11-05 14:32:15-08');
select is(pg_temp.claim('w4'), pg_temp.bubble(:third_message, 1),
  'the retried bubble is claimable at its next_attempt_at');
select is((select attempts from public.messages where id = pg_temp.bubble(:third_message, 1)), 2,
  'each claim counts one attempt');

select * from finish();
rollback;
