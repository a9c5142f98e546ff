-- Florida allows at most 3 marketing messages per 24 hours (Fla. Stat. 501.059(8)): the 4th due the same
-- day stays SCH (not dropped) until 24 hours after the first went out; a California number has no cap.
begin;
\ir ../_listener_fixture.psql
select plan(6);

create function pg_temp.due(phone text, campaign text, at timestamp) returns void language sql as $$
  insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
  values (phone, 'cap', 'offer ' || campaign, pg_temp.pt(at), campaign)
$$;
select pg_temp.due('+13055550123', 'fl' || i, timestamp '2025-11-05 09:00' + (i - 1) * interval '1 hour'),
       pg_temp.due('+12095550123', 'ca' || i, timestamp '2025-11-05 09:00' + (i - 1) * interval '1 hour')
  from generate_series(1, 4) i;

select tests.pin_clock(pg_temp.pt('2025-11-05 09:00'));
select public.process_scheduled_messages();
select tests.pin_clock(pg_temp.pt('2025-11-05 10:00'));
select public.process_scheduled_messages();
select tests.pin_clock(pg_temp.pt('2025-11-05 11:00'));
select public.process_scheduled_messages();
select tests.pin_clock(pg_temp.pt('2025-11-05 12:00'));
select public.process_scheduled_messages();

select is((select count(*) from public.scheduled_messages where phone_number = '+13055550123' and status = 'queued')::integer,
  3, 'Florida: three messages were queued by 12:00');
select is((select status from public.scheduled_messages where campaign_name = 'fl4'), 'SCH',
  'the 4th Florida message stays SCH');
select is((select count(*) from public.scheduled_messages where phone_number = '+12095550123' and status = 'queued')::integer,
  4, 'California: all four were queued');

select tests.pin_clock(pg_temp.pt('2025-11-05 16:00'));
select public.process_scheduled_messages();
select is((select status from public.scheduled_messages where campaign_name = 'fl4'), 'SCH',
  'at 16:00 it still waits');
select tests.pin_clock(pg_temp.pt('2025-11-06 08:59:59'));
select is((select count(*) from public.scheduled_messages s where s.phone_number = '+13055550123'
             and s.queued_at > statement_timestamp() - interval '24 hours')::integer, 3,
  'Thursday 8:59:59: three in the last 24 hours');
select tests.pin_clock(pg_temp.pt('2025-11-06 09:00'));
select public.process_scheduled_messages();
select is((select status from public.scheduled_messages where campaign_name = 'fl4'), 'queued',
  'Thursday 9:00, 24 hours after the first: the 4th is queued');

select * from finish();
rollback;
