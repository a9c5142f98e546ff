-- record_status_report matches a report to the part it reports on by worker, reference, recipient and
-- time: reference 5 used twice days apart (the 8-bit reference wraps after 256 parts) goes to the part
-- sent most recently before the report's service-centre time stamp, so a late report of the first send
-- is not taken for the second. A repeated report is stored once and changes nothing.
begin;
\ir ../_inbound_fixture.psql
select plan(9);

select pg_temp.queue_message('+12095550701', 1) as first_sm \gset
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', '5');
select is((select delivery_status from public.messages where id = pg_temp.bubble(:first_sm, 1)), 'pending',
  'a bubble sent with a reference is pending');
select tests.pin_clock('2025-11-07 10:00-08');
select pg_temp.queue_message('+12095550701', 1) as second_sm \gset
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', '5');

select tests.pin_clock('2025-11-07 10:01-08');
create temp table r1 as
  select * from public.record_status_report('w1', 5, '+12095550701', pg_temp.pt('2025-11-07 10:00:02'),
                                            pg_temp.pt('2025-11-07 10:00:40'), 0, '0006050B912190555007F1');
select results_eq('select message_id, delivery_status from r1',
  format($$values (%s::bigint, 'delivered'::text)$$, pg_temp.bubble(:second_sm, 1)),
  'a report stamped after the second send is the second bubble''s');
select results_eq(format('select delivery_status, delivered_at from public.messages where id = %s', pg_temp.bubble(:second_sm, 1)),
  $$values ('delivered'::text, pg_temp.pt('2025-11-07 10:00:40'))$$, 'delivered at the discharge time');

-- A late report of the first send (stamped two days ago) arrives now.
create temp table r2 as
  select * from public.record_status_report('w1', 5, '+12095550701', pg_temp.pt('2025-11-05 14:30:01'),
                                            pg_temp.pt('2025-11-05 14:45'), 64, '0006050B912190555007F2');
select results_eq('select message_id, delivery_status from r2',
  format($$values (%s::bigint, 'failed'::text)$$, pg_temp.bubble(:first_sm, 1)),
  'a report stamped before the second send is the first bubble''s (permanent error 0x40: failed)');
select is((select delivery_status from public.messages where id = pg_temp.bubble(:second_sm, 1)), 'delivered',
  'the second bubble keeps its status');

create temp table r3 as
  select * from public.record_status_report('w1', 5, '+12095550701', pg_temp.pt('2025-11-07 10:00:02'),
                                            pg_temp.pt('2025-11-07 10:00:40'), 0, '0006050B912190555007F1');
select is((select report_id from r3), (select report_id from r1), 'a repeated report is the same row');
select is((select count(*) from public.status_reports), 2::bigint, 'stored once');
select is((select delivery_status from r3), 'delivered', 'and answers as the first time');

-- A report of a final part never changes it back (a late "still trying").
select public.record_status_report('w1', 5, '+12095550701', pg_temp.pt('2025-11-07 10:00:02'),
                                   pg_temp.pt('2025-11-07 10:00:30'), 32, '0006050B912190555007F3');
select is((select delivery_status from public.messages where id = pg_temp.bubble(:second_sm, 1)), 'delivered',
  'a later temporary-error report does not undo a delivery');

select * from finish();
rollback;
