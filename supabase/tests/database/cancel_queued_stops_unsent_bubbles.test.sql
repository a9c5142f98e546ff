-- Cancelling a queued scheduled message cancels its bubbles that have not gone out; sent ones stay sent.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(5);

insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, status,
                                       campaign_name, queued_at)
values ('+12095550921', 'Pgtap Cancel', 'a [BUBBLE] b [BUBBLE] c', now(), 'queued', 'pgtap-cancel', now());
insert into public.messages (scheduled_message_id, bubble_index, bubble_count, phone_number, content, status, sent_at)
select s.id, v.i, 3, s.phone_number, v.t, v.st, case when v.st = 'sent' then now() end
  from public.scheduled_messages s,
       (values (1, 'a', 'sent'), (2, 'b', 'queued'), (3, 'c', 'queued')) as v(i, t, st)
 where s.campaign_name = 'pgtap-cancel';

update public.scheduled_messages set status = 'cancelled' where campaign_name = 'pgtap-cancel';

select is((select status from public.scheduled_messages where campaign_name = 'pgtap-cancel'), 'cancelled',
          'the scheduled message is cancelled');
select results_eq(
  $$select m.bubble_index, m.status from public.messages m
      join public.scheduled_messages s on s.id = m.scheduled_message_id
     where s.campaign_name = 'pgtap-cancel' order by m.bubble_index$$,
  $$values (1, 'sent'::text), (2, 'cancelled'::text), (3, 'cancelled'::text)$$,
  'the sent bubble stays sent, the unsent bubbles are cancelled');
select matches(
  (select m.error_message from public.messages m join public.scheduled_messages s on s.id = m.scheduled_message_id
    where s.campaign_name = 'pgtap-cancel' and m.bubble_index = 2),
  'was cancelled', 'a cancelled bubble says why');

select throws_like(
  $$update public.scheduled_messages set status = 'SCH' where campaign_name = 'pgtap-cancel'$$,
  '%cannot move from cancelled to SCH%', 'a cancelled message cannot be revived');

update public.scheduled_messages set customer_name = 'Renamed' where campaign_name = 'pgtap-cancel';
select is((select customer_name from public.scheduled_messages where campaign_name = 'pgtap-cancel'), 'Renamed',
          'a field that does not affect sending may still be corrected');

select * from finish();
rollback;
