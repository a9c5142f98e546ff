-- The seed: "Manually fix and reset to status='SCH' to retry". A failed row reset to SCH is promoted again.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(7);

insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550911', 'Pgtap Retry', '  [BUBBLE]  ', now() - interval '5 minutes', 'pgtap-retry');

select is(public.process_scheduled_messages(now()), 0, 'a message with no text is not queued');
select is((select status from public.scheduled_messages where campaign_name = 'pgtap-retry'), 'failed',
          'it is marked failed');
select matches((select error_message from public.scheduled_messages where campaign_name = 'pgtap-retry'),
               'no text to send', 'the reason says there is no text');

update public.scheduled_messages
   set status = 'SCH', message_content = 'Fixed text [BUBBLE] second part'
 where campaign_name = 'pgtap-retry';
select is((select error_message from public.scheduled_messages where campaign_name = 'pgtap-retry'), null,
          'the reset clears the old error');

select is(public.process_scheduled_messages(now()), 1, 'the reset row is promoted again');
select is((select status from public.scheduled_messages where campaign_name = 'pgtap-retry'), 'queued',
          'the retried row is queued');
select results_eq(
  $$select m.bubble_index, m.content, m.status from public.messages m
      join public.scheduled_messages s on s.id = m.scheduled_message_id
     where s.campaign_name = 'pgtap-retry' order by m.bubble_index$$,
  $$values (1, 'Fixed text'::text, 'queued'::text), (2, 'second part'::text, 'queued'::text)$$,
  'the fixed text is queued as two bubbles');

select * from finish();
rollback;
