-- A number outside the US gets its country's zones and the default hours (8:00-21:00), intersected
-- with the business window: London at 9:05 Pacific (17:05) is open, at 13:30 Pacific (21:30) closed.
begin;
\ir ../_listener_fixture.psql
select plan(5);

select is((select p.rule from public.recipient_profile('+447700900123') p), 'default', 'a UK number: the default rule');
select ok((select 'Europe/London' = any (p.time_zones) from public.recipient_profile('+447700900123') p),
  'its zones include Europe/London');
select is(public.recipient_window_open('+447700900123', pg_temp.pt('2025-11-05 09:05')), true,
  'UK at 09:05 Pacific (17:05 London): open');
select is(public.recipient_window_open('+447700900123', pg_temp.pt('2025-11-05 13:30')), false,
  'UK at 13:30 Pacific (21:30 London): closed');
select is(public.recipient_window_open('+33612345678', pg_temp.pt('2025-11-05 12:30')), false,
  'France at 12:30 Pacific (21:30 Paris): closed');

select * from finish();
rollback;
