-- Promotion splits [BUBBLE] parts (trimmed, order kept) into queued messages rows of promotion 1, on the
-- database clock: not before the message is due, once when it is.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(8);

update public.send_window set catch_up_gap = '4 minutes';
select tests.pin_clock('2025-11-05 14:29:00-08');
insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550941', 'Pgtap Split', E'Test bubble 1\n\n[BUBBLE]\n\nTest bubble 2  ',
        '2025-11-05 14:29:30-08', 'pgtap-split');

select is(public.process_scheduled_messages(), 0, 'not promoted before it is due');
select tests.pin_clock('2025-11-05 14:30:00-08');
select is(public.process_scheduled_messages(), 1, 'promoted once due');
select results_eq(
  $$select m.promotion, m.bubble_index, m.bubble_count, m.content, m.status, m.phone_number from public.messages m
      join public.scheduled_messages s on s.id = m.scheduled_message_id
     where s.campaign_name = 'pgtap-split' order by m.bubble_index$$,
  $$values (1, 1, 2, 'Test bubble 1'::text, 'queued'::text, '+12095550941'::text),
           (1, 2, 2, 'Test bubble 2'::text, 'queued'::text, '+12095550941'::text)$$,
  'two bubbles of promotion 1, trimmed, in order');
select ok((select (array_agg(m.id order by m.bubble_index))[1] < (array_agg(m.id order by m.bubble_index))[2]
             from public.messages m join public.scheduled_messages s on s.id = m.scheduled_message_id
            where s.campaign_name = 'pgtap-split'), 'bubble 1 has the lower id: the claim takes it first');
select is((select status from public.scheduled_messages where campaign_name = 'pgtap-split'), 'queued',
          'the scheduled message is queued, not sent');
select is((select queued_at from public.scheduled_messages where campaign_name = 'pgtap-split'),
          '2025-11-05 14:30:00-08'::timestamptz, 'queued_at is the promotion time (the database clock)');
select tests.pin_clock('2025-11-05 14:45:00-08');
select is(public.process_scheduled_messages(), 0, 'a second call promotes nothing again');
select is((select count(*)::integer from public.messages m join public.scheduled_messages s
            on s.id = m.scheduled_message_id where s.campaign_name = 'pgtap-split'), 2, 'still two bubbles');

select * from finish();
rollback;
