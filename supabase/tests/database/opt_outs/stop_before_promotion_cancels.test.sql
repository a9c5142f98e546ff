-- Suppression at promotion: a STOP before a text is due cancels the number's SCH texts at once with the
-- reason; a text scheduled afterwards (the opt-out already there) ends cancelled at promotion, with the
-- reason in scheduled_messages.error_message (shown by the views). The campaign row follows.
begin;
\ir ../_inbound_fixture.psql
select plan(7);

insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550331', 'Ann', 'Hello [BUBBLE] there', pg_temp.pt('2025-11-05 16:00'), 'c1') returning id as early \gset

select pg_temp.reply('+12095550331', 'stop') as stop \gset
select is((select status from public.scheduled_messages where id = :early), 'cancelled',
  'a STOP cancels the number''s SCH text at once');
select is((select error_message from public.scheduled_messages where id = :early),
  format('not sent: +12095550331 opted out at 2025-11-05 22:30:00 UTC (reply, inbound message %s)', :stop),
  'with the reason');

-- A person (or an import) schedules another text to the opted-out number; when it is due, promotion
-- cancels it instead of queuing it.
insert into public.campaign_messages (campaign_name, customer_name, phone_number, message_content)
values ('c2', 'Ann', '+12095550331', 'Sale today') returning id as cm \gset
update public.campaign_messages set status = 'APR' where id = :cm;
insert into public.scheduled_messages (campaign_message_id, phone_number, customer_name, message_content, scheduled_for, campaign_name)
values (:cm, '+12095550331', 'Ann', 'Sale today', pg_temp.pt('2025-11-05 14:45'), 'c2') returning id as later \gset
select tests.pin_clock('2025-11-05 14:46-08');
select is(public.process_scheduled_messages(), 0, 'promotion queues nothing');
select is((select status from public.scheduled_messages where id = :later), 'cancelled', 'the due text ends cancelled');
select is((select error_message from public.scheduled_messages where id = :later),
  'not sent: +12095550331 opted out at 2025-11-05 22:30:00 UTC', 'with the reason');
select is((select status from public.campaign_messages where id = :cm), 'cancelled', 'its campaign row follows');
select is((select count(*) from public.messages where scheduled_message_id is not null), 0::bigint, 'no bubble was created');

select * from finish();
rollback;
