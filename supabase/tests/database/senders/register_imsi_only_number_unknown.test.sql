-- A listener registers its SIM by IMSI alone (many prepaid SIMs know neither their number nor, through
-- some modems, their ICCID): that is a SIM like any other, its number shown as unknown until a person or
-- SIM_NUMBER sets it; registering again (a restart, another box) updates the same row.
begin;
\ir _fixture.psql
select plan(9);

select pg_temp.register('box1-ttyUSB0', '310260000000001') as sim \gset
select results_eq(
  format('select imsi, iccid, own_number, worker_id, status, auto_registered, last_seen_at from public.senders where id = %s', :sim),
  $$values ('310260000000001'::text, null::text, null::text, 'box1-ttyUSB0'::text, 'active'::text, false,
            pg_temp.pt('2025-11-05 14:30'))$$,
  'IMSI only: registered, active, number unknown (null), seen now');
select is((select own_number from public.sender_status() where sender_id = :sim), null,
  'sender_status shows the number as unknown');

update public.senders set own_number = '+12095550100' where id = :sim;
select tests.pin_clock('2025-11-05 14:31-08');
select is(pg_temp.register('box1-ttyUSB0', '310260000000001'), :sim::bigint, 'a restart registers the same row (by IMSI)');
select is((select own_number from public.senders where id = :sim), '+12095550100',
  'a number a person set is kept when the SIM does not know it (own_number null)');

select isnt((select id from public.register_sender('box1-ttyUSB0', null, '8901260000000000012F', '+12095550199', '{"model": "E3372"}')),
  :sim::bigint, 'an ICCID nobody registered is a new SIM (the SIM in this worker was swapped)');
select is((select worker_id from public.senders where id = :sim), null,
  'the worker left the SIM it used before');
select results_eq(
  $$select iccid, own_number, modem_health from public.senders where worker_id = 'box1-ttyUSB0'$$,
  $$values ('8901260000000000012'::text, '+12095550199'::text, '{"model": "E3372"}'::jsonb)$$,
  'the ICCID is stored without its trailing F; the SIM''s own number and the modem JSON are kept');

select tests.pin_clock('2025-11-05 14:32-08');
select is(pg_temp.register('box2-ttyUSB3', '310260000000001'), :sim::bigint,
  'the first SIM moved to another box: same row (same recipients), new worker');
select is((select worker_id from public.senders where id = :sim), 'box2-ttyUSB3', 'the row names the new worker');

select * from finish();
rollback;
