-- Bubbles go to the modem only inside the send window; the rest of a message already started may
-- finish within send_window.bubble_grace after closing, a message not yet started may not.
begin;
\ir _listener_fixture.psql
select plan(10);
-- One worker throughout: the rest of a started message leaves from the SIM that began it (issue 14).

select pg_temp.queue_message('+12095550111', 3) as started \gset
select pg_temp.queue_message('+12095550112', 2) as not_started \gset

select tests.pin_clock('2025-11-05 08:59:59-08');
select is(pg_temp.claim('w1'), null, 'nothing is claimed before the window opens (08:59:59 Pacific)');
select tests.pin_clock('2025-11-08 14:00-08');
select is(pg_temp.claim('w1'), null, 'nothing is claimed on a Saturday afternoon');

select tests.pin_clock('2025-11-05 19:59:50-08');
select is(pg_temp.claim('w1'), pg_temp.bubble(:started, 1), 'bubble 1 is claimed at 19:59:50, inside the window');
select tests.pin_clock('2025-11-05 19:59:58-08');
select public.mark_bubble_sent(pg_temp.bubble(:started, 1), 'w1', 'ref');

select tests.pin_clock('2025-11-05 20:02-08');
select is(pg_temp.claim('w1'), pg_temp.bubble(:started, 2),
  'after closing, bubble 2 of the started message is claimed within the grace (20:02)');
select tests.pin_clock('2025-11-05 20:02:05-08');
select public.mark_bubble_sent(pg_temp.bubble(:started, 2), 'w1', 'ref');
select tests.pin_clock('2025-11-05 20:03-08');
select is(pg_temp.claim('w1'), pg_temp.bubble(:started, 3),
  'and bubble 3 too while the grace lasts (20:03)');
select public.release_bubble(pg_temp.bubble(:started, 3), 'w1');
select tests.pin_clock('2025-11-05 20:05-08');
select is(pg_temp.claim('w1'), null,
  'at 20:05 (closing + 5 minute grace) even the started message waits');
select tests.pin_clock('2025-11-06 08:59-08');
select is(pg_temp.claim('w1'), null, 'still nothing at 08:59 the next morning');
select tests.pin_clock('2025-11-06 09:00-08');
select is(pg_temp.claim('w1'), pg_temp.bubble(:started, 3),
  'at 09:00 the started message is finished first (oldest)');

select public.release_bubble(pg_temp.bubble(:started, 3), 'w1');
update public.send_window set bubble_grace = '0 seconds';
select tests.pin_clock('2025-11-06 20:00:30-08');
select is(pg_temp.claim('w1'), null, 'with bubble_grace 0 nothing is claimed after closing');

update public.send_window set bubble_grace = '5 minutes';
-- Take the started message out of the way (a person cancels it): only the message not started is queued.
update public.scheduled_messages set status = 'cancelled' where id = :started;
select tests.pin_clock('2025-11-06 20:01-08');
select is(pg_temp.claim('w1'), null,
  'a message not yet started is never begun in the grace period');

select * from finish();
rollback;
