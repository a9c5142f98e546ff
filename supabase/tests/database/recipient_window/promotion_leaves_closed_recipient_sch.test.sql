-- Promotion queues a message only inside its recipient's effective window: at 18:30 Pacific a New York
-- recipient (21:30 Eastern) stays SCH while a California one is queued; the New York message is due
-- again and goes when the window opens (Thursday 9:00 Pacific, the business opening).
begin;
\ir ../_listener_fixture.psql
select plan(6);

select tests.pin_clock(pg_temp.pt('2025-11-05 18:30'));
insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12125550123', 'NY', 'hello', pg_temp.pt('2025-11-05 18:00'), 'ny'),
       ('+12095550123', 'CA', 'hello', pg_temp.pt('2025-11-05 18:00'), 'ca');

select is(public.process_scheduled_messages(), 1, 'at 18:30 Pacific one message is promoted');
select is((select status from public.scheduled_messages where campaign_name = 'ca'), 'queued',
  'the California recipient (18:30 local) is queued');
select is((select status from public.scheduled_messages where campaign_name = 'ny'), 'SCH',
  'the New York recipient (21:30 local) stays SCH');
select is((select count(*) from public.messages m join public.scheduled_messages s on s.id = m.scheduled_message_id
            where s.campaign_name = 'ny')::integer, 0, 'and has no bubbles');

select tests.pin_clock(pg_temp.pt('2025-11-06 08:59'));
select is((select processed_count from public.process_scheduled_messages_safe()), 0,
  'Thursday 8:59 Pacific (11:59 Eastern): the business window is still closed');
select tests.pin_clock(pg_temp.pt('2025-11-06 09:00'));
select is((select processed_count from public.process_scheduled_messages_safe()), 1,
  'Thursday 9:00 Pacific: the New York message is promoted');

select * from finish();
rollback;
