-- A blackout date (Thanksgiving 2025-11-27, a Thursday) closes the window all day for everyone: the
-- business window functions, the recipient ones, recipient_windows and promotion.
begin;
\ir ../_listener_fixture.psql
select plan(7);

insert into public.blackout_dates (day, name) values ('2025-11-27', 'Thanksgiving Day');

select is(public.is_business_hours(pg_temp.pt('2025-11-27 12:00')), false, 'is_business_hours: closed on Thanksgiving');
select is(public.next_window_opening(pg_temp.pt('2025-11-26 20:00')), pg_temp.pt('2025-11-28 09:00'),
  'next_window_opening skips it (Friday 9:00)');
select is(public.recipient_window_open('+12095550123', pg_temp.pt('2025-11-27 12:00')), false,
  'recipient_window_open: closed');
select is(public.recipient_next_window_opening('+12125550123', pg_temp.pt('2025-11-26 20:00')),
  pg_temp.pt('2025-11-28 09:00'), 'recipient_next_window_opening: Friday 9:00 Pacific');
select is((select count(*) from public.recipient_windows(array['+12095550123'], pg_temp.pt('2025-11-26 00:00'),
                                                         pg_temp.pt('2025-11-29 00:00')))::integer,
  2, 'recipient_windows: Wednesday and Friday, no Thursday');

select tests.pin_clock(pg_temp.pt('2025-11-27 12:00'));
insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550123', 'holiday', 'hello', pg_temp.pt('2025-11-27 11:00'), 'h');
select is(public.process_scheduled_messages(), 0, 'promotion leaves the message SCH');
select matches((select skipped_reason from public.process_scheduled_messages_safe()), 'blackout date: Thanksgiving Day',
  'process_scheduled_messages_safe says why');

select * from finish();
rollback;
