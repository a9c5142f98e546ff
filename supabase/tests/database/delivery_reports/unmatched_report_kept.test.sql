-- A report that matches no part (unknown reference, another worker, older than 7 days, a bubble
-- marked sent without a usable reference) is kept with message_id null, never dropped; the TP-ST
-- values map as docs/sql-listener-api.md says.
begin;
\ir ../_inbound_fixture.psql
select plan(8);

select pg_temp.queue_message('+12095550731', 1) as sm \gset
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', '40');
select tests.pin_clock('2025-11-13 14:31-08');
select is((select message_id from public.record_status_report('w1', 40, '+12095550731', pg_temp.pt('2025-11-13 14:30'),
                                                                null, 0, 'AA')), null,
  'a part sent more than 7 days before the report is not matched');
select is((select message_id from public.record_status_report('w1', 99, '+12095550731', null, null, 0, 'AB')), null,
  'an unknown reference matches nothing');
select is((select count(*) from public.status_reports where message_id is null), 2::bigint, 'both are kept');

select pg_temp.queue_message('+12095550732', 1) as text_mode \gset
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', 'OK');
select is((select delivery_status from public.messages where id = pg_temp.bubble(:text_mode, 1)), null,
  'a bubble without a usable reference has no delivery status');

select is(array(select internal.tp_status_delivery(s) from unnest(array[0, 2, 31, 32, 63, 64, 70, 96, 101, 127, 128]) s),
  array['delivered', 'delivered', 'delivered', 'retrying', 'retrying', 'failed', 'expired', 'failed', 'expired', 'failed', null],
  'TP-ST: 0x00-0x1F delivered, 0x20-0x3F retrying, 0x40-0x7F failed (0x46 and 0x65 expired), 0x80+ reserved');
select is((select delivery_status from public.record_status_report('w9', 1, null, null, null, 200, 'RESERVED')), null,
  'a reserved TP-ST is kept without a status');
select is((select count(*) from public.status_reports where raw_pdu = 'RESERVED'), 1::bigint, 'and kept');
select throws_ok($$select public.record_status_report('', 1, null, null, null, 0, 'X')$$, '22023', null,
  'a worker id is required');

select * from finish();
rollback;
