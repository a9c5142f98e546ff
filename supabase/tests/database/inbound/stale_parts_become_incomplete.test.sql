-- finish_stale_inbound_parts: parts still waiting after inbound_settings.missing_part_wait (default
-- 24 hours, on the database clock) become one inbound message marked incomplete, with the parts that
-- came and the numbers of those that did not, decided like any reply. A reference the sender's phone
-- reuses while an older message with it waits closes the older one first.
begin;
\ir ../_inbound_fixture.psql
select plan(8);

select public.record_inbound_part('w1', '+12095550421', pg_temp.pt('2025-11-05 14:20'), 'Please stop ', 33, 3, 1, 'EE01');
select public.record_inbound_part('w1', '+12095550421', pg_temp.pt('2025-11-05 14:20'), 'thanks', 33, 3, 3, 'EE03');
select tests.pin_clock('2025-11-06 14:29-08');
select is(public.finish_stale_inbound_parts(), 0, 'parts younger than 24 hours keep waiting');
select tests.pin_clock('2025-11-06 14:31-08');
select is(public.finish_stale_inbound_parts(), 1, 'after 24 hours they become one message');
select results_eq($$select body, incomplete, part_count, parts_expected, missing_parts, action from public.inbound_messages$$,
  $$values ('Please stop thanks'::text, true, 2, 3, array[2], 'opt_out'::text)$$,
  'marked incomplete, with the parts that came, the missing part number, and decided (a STOP opts out)');
select is(public.finish_stale_inbound_parts(), 0, 'nothing is left waiting');
select is((select count(*) from public.inbound_parts where inbound_message_id is null), 0::bigint, 'no part waits');

update public.inbound_settings set missing_part_wait = '10 minutes';
select public.record_inbound_part('w1', '+12095550422', pg_temp.pt('2025-11-06 14:30'), 'a', 5, 2, 1, 'FF01');
select tests.pin_clock('2025-11-06 14:42-08');
select is(public.finish_stale_inbound_parts(), 1, 'the wait is a setting');

select public.record_inbound_part('w1', '+12095550423', pg_temp.pt('2025-11-06 14:40'), 'old one', 6, 2, 1, 'AB01');
select public.record_inbound_part('w1', '+12095550423', pg_temp.pt('2025-11-06 14:41'), 'new one', 6, 2, 1, 'AB02');
select results_eq($$select body, incomplete from public.inbound_messages where phone_number = '+12095550423'$$,
  $$values ('old one'::text, true)$$, 'a reused reference closes the older waiting message as incomplete');
select throws_ok($$update public.inbound_settings set missing_part_wait = '30 days'$$, '23514', null,
  'the wait is bounded (1 minute to 7 days)');

select * from finish();
rollback;
