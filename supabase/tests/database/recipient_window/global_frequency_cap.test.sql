-- The global cap (send_window.recipient_cap) is off by default; set to 2 per hour, the 3rd message to a
-- California number waits until an hour after the first.
begin;
\ir ../_listener_fixture.psql
select plan(4);

select is((select recipient_cap from public.send_window), null, 'the global cap is off by default');
insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
select '+12095550123', 'cap', 'offer ' || i, pg_temp.pt('2025-11-05 10:00') + (i - 1) * interval '10 minutes', 'g' || i
  from generate_series(1, 3) i;
update public.send_window set recipient_cap = 2, recipient_cap_period = '1 hour';

select tests.pin_clock(pg_temp.pt('2025-11-05 10:00'));
select public.process_scheduled_messages();
select tests.pin_clock(pg_temp.pt('2025-11-05 10:10'));
select public.process_scheduled_messages();
select tests.pin_clock(pg_temp.pt('2025-11-05 10:20'));
select is(public.process_scheduled_messages(), 0, 'at 10:20 the 3rd message is over the cap (2 per hour)');
select tests.pin_clock(pg_temp.pt('2025-11-05 10:59'));
select is(public.process_scheduled_messages(), 0, 'at 10:59 still');
select tests.pin_clock(pg_temp.pt('2025-11-05 11:00'));
select is(public.process_scheduled_messages(), 1, 'at 11:00, an hour after the first, it is promoted');

select * from finish();
rollback;
