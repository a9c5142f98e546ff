-- A bubble sent as three parts ("+CMGS" references 20,21,22) is delivered only when all three are;
-- a temporary error (0x20-0x3F: the centre still tries) is not final; scheduled_message_deliveries shows
-- the scheduled message delivered when its every bubble is.
begin;
\ir ../_inbound_fixture.psql
select plan(7);

select pg_temp.queue_message('+12095550721', 2) as sm \gset
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', '20,21,22');
select public.mark_bubble_sent(pg_temp.claim('w1'), 'w1', '23');
select is((select count(*) from public.sent_parts where message_id = pg_temp.bubble(:sm, 1)), 3::bigint,
  'one sent part per reference');

create function pg_temp.report(ref integer, st integer, dt text) returns text language sql as $$
  select delivery_status from public.record_status_report('w1', ref, '+12095550721', pg_temp.pt('2025-11-05 14:30'),
                                                          pg_temp.pt(dt::timestamp), st, 'P' || ref || '-' || st)
$$;
select tests.pin_clock('2025-11-05 14:35-08');
select is(pg_temp.report(21, 0, '2025-11-05 14:31'), 'pending', 'one part delivered: the bubble is still pending');
select is(pg_temp.report(20, 33, '2025-11-05 14:31'), 'retrying', 'a part the network still tries: retrying');
select is(pg_temp.report(20, 0, '2025-11-05 14:32'), 'pending', 'the retried part delivered too, two of three: still pending');
select is(pg_temp.report(22, 0, '2025-11-05 14:33'), 'delivered', 'all three: delivered');
select is(pg_temp.report(23, 0, '2025-11-05 14:34'), 'delivered', 'the second bubble is delivered');
select results_eq(format('select bubbles, bubbles_delivered, delivery_status, delivered_at from public.scheduled_message_deliveries where id = %s', :sm),
  $$values (2, 2, 'delivered'::text, pg_temp.pt('2025-11-05 14:34'))$$,
  'the scheduled message shows when its last bubble was delivered');

select * from finish();
rollback;
