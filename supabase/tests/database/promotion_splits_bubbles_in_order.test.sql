-- Promotion splits [BUBBLE] parts (trimmed, empty ones dropped, order kept) into queued messages rows.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(7);

update public.send_window set catch_up_gap = '4 minutes';
insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550941', 'Pgtap Split', E'Test bubble 1\n\n[BUBBLE]\n\n[BUBBLE]\n\nTest bubble 2  ',
        '2025-11-05 14:29:30-08', 'pgtap-split');

select is(public.process_scheduled_messages('2025-11-05 14:29:00-08'), 0, 'not promoted before it is due');
select is(public.process_scheduled_messages('2025-11-05 14:30:00-08'), 1, 'promoted once due');
select results_eq(
  $$select m.bubble_index, m.bubble_count, m.content, m.status, m.phone_number from public.messages m
      join public.scheduled_messages s on s.id = m.scheduled_message_id
     where s.campaign_name = 'pgtap-split' order by m.bubble_index$$,
  $$values (1, 2, 'Test bubble 1'::text, 'queued'::text, '+12095550941'::text),
           (2, 2, 'Test bubble 2'::text, 'queued'::text, '+12095550941'::text)$$,
  'two bubbles, trimmed, in order, empty part dropped');
select is((select status from public.scheduled_messages where campaign_name = 'pgtap-split'), 'queued',
          'the scheduled message is queued, not sent');
select is((select queued_at from public.scheduled_messages where campaign_name = 'pgtap-split'),
          '2025-11-05 14:30:00-08'::timestamptz, 'queued_at is the promotion time');
select is(public.process_scheduled_messages('2025-11-05 14:45:00-08'), 0, 'a second call promotes nothing again');
select is((select count(*)::integer from public.messages m join public.scheduled_messages s
            on s.id = m.scheduled_message_id where s.campaign_name = 'pgtap-split'), 2, 'still two bubbles');

select * from finish();
rollback;
