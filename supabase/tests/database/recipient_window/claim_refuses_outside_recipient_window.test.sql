-- The claim re-checks the recipient's window: a New York bubble queued at 17:50 Pacific is not handed
-- out at 18:00:30 Pacific (21:00:30 Eastern), a California bubble queued after it is; the New York one
-- is next due at Thursday 9:00 Pacific.
begin;
\ir ../_listener_fixture.psql
select plan(4);

select tests.pin_clock(pg_temp.pt('2025-11-05 17:50'));
select pg_temp.queue_message('+12125550123', 1) as ny \gset
select pg_temp.queue_message('+12095550123', 1) as ca \gset

select tests.pin_clock(pg_temp.pt('2025-11-05 18:00:30'));
select is(pg_temp.claim('w1'), pg_temp.bubble(:ca, 1), 'at 18:00:30 Pacific the California bubble is claimed');
select public.mark_bubble_sent(pg_temp.bubble(:ca, 1), 'w1', 'ref');
select is(pg_temp.claim('w1'), null, 'the New York bubble (21:00:30 Eastern) is not');
select is(public.next_bubble_due_at(), pg_temp.pt('2025-11-06 09:00'),
  'next_bubble_due_at: Thursday 9:00 Pacific, when New York''s effective window opens');
select tests.pin_clock(pg_temp.pt('2025-11-06 09:00'));
select is(pg_temp.claim('w1'), pg_temp.bubble(:ny, 1), 'at 9:00 Pacific it is claimed');

select * from finish();
rollback;
