-- The caps count the messages one promotion call chooses too: a Florida number with two messages
-- queued today and two more due at once gets only one of them.
begin;
\ir ../_listener_fixture.psql
select plan(2);

insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
select '+13055550123', 'cap', 'offer ' || i, pg_temp.pt('2025-11-05 09:00'), 'c' || i from generate_series(1, 2) i;
select tests.pin_clock(pg_temp.pt('2025-11-05 09:00'));
select public.process_scheduled_messages();
insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
select '+13055550123', 'cap', 'offer ' || i, pg_temp.pt('2025-11-05 10:00'), 'c' || i from generate_series(3, 4) i;
select tests.pin_clock(pg_temp.pt('2025-11-05 10:00'));
select is(public.process_scheduled_messages(), 1, 'one of the two due messages is promoted');
select is((select count(*) from public.scheduled_messages where status = 'SCH')::integer, 1, 'the other stays SCH');

select * from finish();
rollback;
