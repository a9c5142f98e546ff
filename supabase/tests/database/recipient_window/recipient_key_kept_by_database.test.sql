-- Promotion and the claim filter on scheduled_messages.recipient_key: the database keeps it (a person
-- cannot point a New York message at California's window), and editing a number's zones re-keys the
-- messages still to be sent.
begin;
\ir ../_listener_fixture.psql
select plan(4);

insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12125550123', 'NY', 'hello', pg_temp.pt('2025-11-05 18:00'), 'ny'),
       ('+12095550123', 'CA', 'hello', pg_temp.pt('2025-11-05 18:00'), 'ca');
update public.scheduled_messages
   set recipient_key = (select recipient_key from public.scheduled_messages where campaign_name = 'ca')
 where campaign_name = 'ny';
select isnt((select recipient_key from public.scheduled_messages where campaign_name = 'ny'),
            (select recipient_key from public.scheduled_messages where campaign_name = 'ca'),
  'setting recipient_key by hand is undone');

select tests.pin_clock(pg_temp.pt('2025-11-05 18:30'));
select is(public.process_scheduled_messages(), 1, 'at 18:30 Pacific only California is promoted');

update public.recipient_number_prefixes set time_zones = '{America/Los_Angeles}' where prefix = '1212';
select is(public.recipient_window_open('+12125550123', pg_temp.pt('2025-11-05 18:31')), true,
  'with 212 edited to Pacific time the window is open');
select tests.pin_clock(pg_temp.pt('2025-11-05 18:31'));
select is(public.process_scheduled_messages(), 1, 'and the waiting message was re-keyed: it is promoted');

select * from finish();
rollback;
