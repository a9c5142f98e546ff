-- record_inbound_part is idempotent on the PDU's natural key (sender, SCTS, concatenation reference,
-- total, part number, text): a re-read after a crash between storing and deleting it from the modem
-- stores nothing twice and returns the first ids with duplicate = true, also after its message was
-- assembled; the raw PDU may differ (a network re-delivery), the key does not. Same sender, same second,
-- another text: another message.
begin;
\ir ../_inbound_fixture.psql
select plan(8);

select * from public.record_inbound_part('w1', '+12095550411', pg_temp.pt('2025-11-05 14:29'), 'STOP', null, null, null, '0011AA') \gset first_
select * from public.record_inbound_part('w1', '+12095550411', pg_temp.pt('2025-11-05 14:29'), 'STOP', null, null, null, '0011AA') \gset again_
select is(:'again_duplicate'::boolean, true, 'a re-read of the same PDU is a duplicate');
select is(:again_part_id::bigint, :first_part_id::bigint, 'with the first part id');
select is(:again_inbound_message_id::bigint, :first_inbound_message_id::bigint, 'and the first inbound message id');
select is((select duplicate from public.record_inbound_part('w2', '+12095550411', pg_temp.pt('2025-11-05 14:29'), 'STOP',
                                                             null, null, null, '0791FFFF0011AA')), true,
  'the same SMS with another SMSC field, read by another worker, is a duplicate too');
select is((select count(*) from public.inbound_messages), 1::bigint, 'one inbound message');
select is(pg_temp.replies('+12095550411', 'opt_out_confirmation'), 1::bigint, 'one confirmation');

select public.record_inbound_part('w1', '+12095550412', pg_temp.pt('2025-11-05 14:28'), 'part one ', 9, 2, 1, 'CC01');
select public.record_inbound_part('w1', '+12095550412', pg_temp.pt('2025-11-05 14:28'), 'part one ', 9, 2, 1, 'CC01');
select public.record_inbound_part('w1', '+12095550412', pg_temp.pt('2025-11-05 14:28'), 'part two', 9, 2, 2, 'CC02');
select public.record_inbound_part('w1', '+12095550412', pg_temp.pt('2025-11-05 14:28'), 'part one ', 9, 2, 1, 'CC01');
select results_eq($$select body, part_count from public.inbound_messages where phone_number = '+12095550412'$$,
  $$values ('part one part two'::text, 2)$$, 'a part re-read before and after assembly is stored once');

select public.record_inbound_part('w1', '+12095550413', pg_temp.pt('2025-11-05 14:27'), 'Yes', null, null, null, 'DD01');
select public.record_inbound_part('w1', '+12095550413', pg_temp.pt('2025-11-05 14:27'), 'See you then', null, null, null, 'DD02');
select is((select count(*) from public.inbound_messages where phone_number = '+12095550413'), 2::bigint,
  'two different texts in the same second are two messages');

select * from finish();
rollback;
