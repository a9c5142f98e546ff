-- The dashboard shows each recipient's zone, local time and window, and what waits and why: a New York
-- message at 18:30 Pacific (recipient window closed, until Thursday 9:00 Pacific), a 4th Florida message
-- of the day (frequency cap, until 24 hours after the first), anything on a blackout date.
begin;
\ir ../_listener_fixture.psql
select plan(9);

insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
select '+13055550123', 'cap', 'offer ' || i, pg_temp.pt('2025-11-05 09:00') + (i - 1) * interval '1 hour', 'fl' || i
  from generate_series(1, 4) i;
select tests.pin_clock(pg_temp.pt('2025-11-05 09:00'));
select public.process_scheduled_messages();
select tests.pin_clock(pg_temp.pt('2025-11-05 10:00'));
select public.process_scheduled_messages();
select tests.pin_clock(pg_temp.pt('2025-11-05 11:00'));
select public.process_scheduled_messages();
insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12125550123', 'NY', 'hello', pg_temp.pt('2025-11-05 18:00'), 'ny'),
       ('+12095550123', 'CA', 'hello', pg_temp.pt('2025-11-06 10:00'), 'ca');

select tests.pin_clock(pg_temp.pt('2025-11-05 16:00'));
select is((select reason from public.dashboard_waiting where campaign_name = 'fl4'),
  'frequency cap: 3 messages per 24:00:00', 'the 4th Florida message waits for the cap');
select is((select waiting_until from public.dashboard_waiting where campaign_name = 'fl4'), pg_temp.pt('2025-11-06 09:00'),
  'until 24 hours after the first');

select tests.pin_clock(pg_temp.pt('2025-11-05 18:30'));
select is((select reason from public.dashboard_waiting where campaign_name = 'ny'),
  'recipient window closed (Wed 21:30 local, US)', 'the New York message waits for its window, with its local time');
select is((select waiting_until from public.dashboard_waiting where campaign_name = 'ny'), pg_temp.pt('2025-11-06 09:00'),
  'until Thursday 9:00 Pacific');
select is((select recipient_time_zones from public.dashboard_next_sends where campaign_name = 'ny'),
  array['America/New_York'], 'dashboard_next_sends: the recipient''s zone');
select is((select recipient_window_open_now from public.dashboard_next_sends where campaign_name = 'ny'), false,
  'and that its window is closed now');
select is((select recipient_local_time_now from public.dashboard_next_sends where campaign_name = 'ny'),
  '2025-11-05 21:30:00'::timestamp, 'and its local time now');
select is((select earliest_release from public.dashboard_next_sends where campaign_name = 'ny'),
  pg_temp.pt('2025-11-06 09:00'), 'earliest_release: the recipient window''s next opening');

insert into public.blackout_dates (day, name) values ('2025-11-06', 'Company retreat');
select tests.pin_clock(pg_temp.pt('2025-11-06 10:30'));
select is((select reason from public.dashboard_waiting where campaign_name = 'ca'), 'blackout date: Company retreat',
  'on a blackout date that is the reason');

select * from finish();
rollback;
