-- mark_bubble_unknown: the modem may have sent the bubble. It is never claimed again by itself,
-- later bubbles wait, the scheduled message stays queued with a note asking a person to decide,
-- and the person's decision takes effect: sent or failed, never queued (it may have left the modem).
begin;
\ir _listener_fixture.psql
select plan(12);

select pg_temp.queue_message('+12095550151', 3) as sm \gset
select pg_temp.bubble(:sm, 1) as b1 \gset
select pg_temp.bubble(:sm, 2) as b2 \gset

select pg_temp.claim('w1');
select throws_ok(format($$select public.mark_bubble_unknown(%s, 'w9', 'x')$$, :b1), '55000',
  format('messages row %s: cannot mark unknown: it is claimed by ''w1'', not by ''w9''', :b1),
  'only the claiming worker can mark it unknown');
select tests.pin_clock('2025-11-05 14:31-08');
select results_eq(
  format($$select status, error_message from public.mark_bubble_unknown(%s, 'w1', 'no +CMGS answer within 60 s')$$, :b1),
  $$values ('unknown'::text, 'no +CMGS answer within 60 s (no final answer at 2025-11-05 22:31:00 UTC, worker w1: the modem may have sent it)'::text)$$,
  'the bubble is unknown with the reason and the database clock');
select tests.pin_clock('2025-11-05 14:40-08');
select is(pg_temp.claim('w2'), null, 'neither it nor a later bubble is claimed again');
select is((select status from public.scheduled_messages where id = :sm), 'queued', 'the scheduled message stays queued');
select matches((select error_message from public.scheduled_messages where id = :sm),
  '^bubble 1 of 3 \(messages row [0-9]+\): outcome unknown .*A person must decide',
  'the scheduled message says a person must decide');
select tests.pin_clock('2025-11-06 14:40-08');
select is(public.recover_stale_claims(), 0, 'stale-claim recovery leaves it alone');

-- The person confirms it arrived: it counts as sent and the rest of the message continues.
update public.messages set status = 'sent', sent_at = pg_temp.pt('2025-11-05 14:31') where id = :b1;
select is((select error_message from public.scheduled_messages where id = :sm), null, 'the note is cleared once decided');
select tests.pin_clock('2025-11-05 14:41-08');
select is(pg_temp.claim('w1'), :b2::bigint, 'bubble 2 is claimable again (by the SIM that sent bubble 1, issue 14)');

-- Bubble 2 unknown: a person cannot put it back in the queue (it may have left the modem).
select tests.pin_clock('2025-11-05 14:42-08');
select public.mark_bubble_unknown(:b2, 'w1', 'modem vanished');
select throws_ok(format($$update public.messages set status = 'queued' where id = %s$$, :b2), '55000',
  format('messages row %s: cannot move from unknown to queued', :b2),
  'a person cannot re-queue an unknown bubble');
select is((select status from public.messages where id = :b2), 'unknown', 'it stays unknown');
update public.messages set status = 'failed' where id = :b2;
select is((select status from public.scheduled_messages where id = :sm), 'failed',
  'a person giving up (failed) fails the scheduled message');
select is((select status from public.messages where id = pg_temp.bubble(:sm, 3)), 'cancelled', 'and cancels the later bubbles');

select * from finish();
rollback;
