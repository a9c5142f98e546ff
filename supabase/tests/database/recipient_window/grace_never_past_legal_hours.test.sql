-- The rest of a started message may finish within bubble_grace, but never outside the recipient's legal
-- hours: a New York message started at 17:59:50 Pacific does not get bubble 2 at 18:01 (21:01
-- Eastern), a Florida one started at 16:59:50 not at 17:01 (20:01, Florida closes at 20:00), while a
-- California one started at 19:59:50 finishes at 20:02. With the business open until 21:00, the
-- California rest waits after 21:00 Pacific too.
begin;
\ir ../_listener_fixture.psql
select plan(6);

select tests.pin_clock(pg_temp.pt('2025-11-05 16:59:40'));
select pg_temp.queue_message('+13055550123', 2) as fl \gset
select tests.pin_clock(pg_temp.pt('2025-11-05 16:59:50'));
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', 'ref');
select tests.pin_clock(pg_temp.pt('2025-11-05 17:01'));
select is(pg_temp.claim('w1'), null, 'Florida: bubble 2 is not claimed at 20:01 Eastern');

select tests.pin_clock(pg_temp.pt('2025-11-05 17:59:40'));
update public.scheduled_messages set status = 'cancelled' where id = :fl;
select pg_temp.queue_message('+12125550123', 2) as ny \gset
select tests.pin_clock(pg_temp.pt('2025-11-05 17:59:50'));
select is(pg_temp.claim('w1'), pg_temp.bubble(:ny, 1), 'New York: bubble 1 is claimed at 20:59:50 Eastern');
select public.mark_bubble_sent(pg_temp.bubble(:ny, 1), 'w1', 'ref');
select tests.pin_clock(pg_temp.pt('2025-11-05 18:01'));
select is(pg_temp.claim('w1'), null, 'New York: bubble 2 is not claimed at 21:01 Eastern, grace or not');
update public.scheduled_messages set status = 'cancelled' where id = :ny;

select tests.pin_clock(pg_temp.pt('2025-11-05 19:59:40'));
select pg_temp.queue_message('+12095550123', 2) as ca \gset
select tests.pin_clock(pg_temp.pt('2025-11-05 19:59:50'));
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', 'ref');
select tests.pin_clock(pg_temp.pt('2025-11-05 20:02'));
select is(pg_temp.claim('w1'), pg_temp.bubble(:ca, 2), 'California: bubble 2 is claimed in the grace (20:02 Pacific)');
update public.scheduled_messages set status = 'cancelled' where id = :ca;

update public.send_window set closes_at = '21:00';
select tests.pin_clock(pg_temp.pt('2025-11-05 20:59:40'));
select pg_temp.queue_message('+12095550123', 2) as ca2 \gset
select tests.pin_clock(pg_temp.pt('2025-11-05 20:59:50'));
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', 'ref');
select tests.pin_clock(pg_temp.pt('2025-11-05 21:01'));
select is(pg_temp.claim('w1'), null, 'California with the business open until 21:00: no bubble at 21:01 Pacific');
select is(public.next_bubble_due_at(), pg_temp.pt('2025-11-06 09:00'),
  'its rest is next due when the window opens again');

select * from finish();
rollback;
