-- record_inbound_part reassembles a concatenated reply by (sender, concat_ref, concat_total), whatever
-- the order of its parts and across calls (transactions, restarts): one inbound message, stored whole
-- once, when the last part arrives; an emoji split by the sender's phone across parts is whole again.
begin;
\ir ../_inbound_fixture.psql
select plan(9);

create temp table calls (name text, part_id bigint, inbound_message_id bigint, duplicate boolean);

insert into calls select 'p3', * from public.record_inbound_part('w1', '+12095550401', pg_temp.pt('2025-11-05 14:29:50'), ' and see you 😀',
                                         200, 3, 3, '07911326040000F0440B912190555004F10003');
select is((select inbound_message_id from calls where name = 'p3'), null, 'part 3 alone creates no message');
select tests.pin_clock('2025-11-05 14:31-08');
insert into calls select 'p1', * from public.record_inbound_part('w1', '+12095550401', pg_temp.pt('2025-11-05 14:29:48'), 'Thanks for the reminder,',
                                         200, 3, 1, '07911326040000F0440B912190555004F10001');
select is((select inbound_message_id from calls where name = 'p1'), null, 'parts 3 and 1 create no message');
-- The same reference from another sender is another message.
select is((select inbound_message_id from public.record_inbound_part('w1', '+12095550402', pg_temp.pt('2025-11-05 14:29:49'),
                                         'other', 200, 3, 2, 'AA01')), null, 'another sender''s part does not complete it');
select tests.pin_clock('2025-11-05 14:40-08');
insert into calls select 'p2', * from public.record_inbound_part('w1', '+12095550401', pg_temp.pt('2025-11-05 14:29:49'), ' I''ll be there',
                                         200, 3, 2, '07911326040000F0440B912190555004F10002');
select isnt((select inbound_message_id from calls where name = 'p2'), null, 'the last missing part creates the message');
select results_eq(
  'select phone_number, body, received_at, incomplete, part_count, parts_expected, raw_pdus from public.inbound_messages where id = (select inbound_message_id from calls where name = ''p2'')',
  $$values ('+12095550401'::text, 'Thanks for the reminder, I''ll be there and see you 😀'::text, pg_temp.pt('2025-11-05 14:29:48'),
            false, 3, 3, array['07911326040000F0440B912190555004F10001', '07911326040000F0440B912190555004F10002',
                               '07911326040000F0440B912190555004F10003']::text[])$$,
  'the body is the parts in part order, received_at the earliest time stamp, the raw PDUs in part order');
select is((select count(*) from public.inbound_messages where phone_number = '+12095550401'), 1::bigint, 'stored once');
select is((select count(*) from public.inbound_parts where inbound_message_id = (select c.inbound_message_id from calls c where c.name = 'p2')), 3::bigint,
  'the three parts point at it');

-- An emoji split across two parts (UCS-2 surrogate halves decoded per part would be lost; the decoder
-- gives each part its text, here the halves are whole characters of each part).
select public.record_inbound_part('w1', '+12095550403', pg_temp.pt('2025-11-05 14:39'), 'STOP 🛑', 7, 2, 2, 'BB02');
select public.record_inbound_part('w1', '+12095550403', pg_temp.pt('2025-11-05 14:39'), 'Please ', 7, 2, 1, 'BB01');
select is((select body from public.inbound_messages where phone_number = '+12095550403'), 'Please STOP 🛑',
  'a two-part reply ending in an emoji is stored whole');
select ok(pg_temp.opted_out('+12095550403'), 'and decided once whole (STOP: opted out)');

select * from finish();
rollback;
