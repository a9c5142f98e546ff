-- Area code 208 (Idaho) spans Mountain (Boise) and Pacific time: the window must hold in both, so at
-- 20:30 Pacific (21:30 in Boise) it is closed although it is only 20:30 in northern Idaho.
begin;
\ir ../_listener_fixture.psql
select plan(4);

update public.send_window set closes_at = '23:00';

select ok((select p.time_zones @> array['America/Boise', 'America/Los_Angeles']
             from public.recipient_profile('+12085550123') p),
  'recipient_profile: +1 208 has the Boise and Los Angeles zones');
select is(public.recipient_window_open('+12085550123', pg_temp.pt('2025-11-05 19:59')), true,
  '+1 208 at 19:59 Pacific (20:59 Mountain): open');
select is(public.recipient_window_open('+12085550123', pg_temp.pt('2025-11-05 20:30')), false,
  '+1 208 at 20:30 Pacific (21:30 Mountain): closed');
select is(public.recipient_window_open('+12095550123', pg_temp.pt('2025-11-05 20:30')), true,
  'a California number at 20:30 Pacific: open');

select * from finish();
rollback;
