-- Two modems have separate reference counters: reference 12 on worker w1 and on worker w2 are two
-- parts; a report read by w2 matches w2's part only. A recipient given in national form matches too.
begin;
\ir ../_inbound_fixture.psql
select plan(3);

select pg_temp.queue_message('+12095550711', 1) as a \gset
select pg_temp.queue_message('+12095550712', 1) as b \gset
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', '12');
select public.mark_bubble_sent(pg_temp.claim('w2'), 'w2', '12');
select tests.pin_clock('2025-11-05 14:31-08');

select is((select message_id from public.record_status_report('w2', 12, '2095550712', pg_temp.pt('2025-11-05 14:30:01'),
                                                                pg_temp.pt('2025-11-05 14:30:20'), 0, 'AA')),
  pg_temp.bubble(:b, 1), 'w2''s report matches w2''s part (recipient in national form)');
select is((select delivery_status from public.messages where id = pg_temp.bubble(:a, 1)), 'pending',
  'w1''s part with the same reference is untouched');
select is((select message_id from public.record_status_report('w1', 12, '+12095550799', pg_temp.pt('2025-11-05 14:30:01'),
                                                                pg_temp.pt('2025-11-05 14:30:20'), 0, 'AB')),
  null, 'a report for another recipient matches nothing');

select * from finish();
rollback;
