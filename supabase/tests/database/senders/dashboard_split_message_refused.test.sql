-- Attack from the dashboard: move a recipient to another SIM in the middle of a message (bubble 1 sent,
-- bubble 2 queued), which would split the message across two numbers. A person's update, delete or
-- pin_recipient is refused while the message is under way; and even an assignment forged with triggers
-- off does not let the other SIM send the rest of the message. Once the message is done, a person may
-- move them, and that is recorded.
begin;
\ir _fixture.psql
select plan(8);

select pg_temp.register('w1', '310260000000001') as sim1 \gset
select pg_temp.register('w2', '310260000000002') as sim2 \gset
select pg_temp.queue_message('+12095551001', 2) as sm \gset
select pg_temp.send('w1');

select throws_ok(format($$update public.recipient_senders set sender_id = %s where phone_number = '+12095551001'$$, :sim2),
  '55000',
  format('recipient_senders: cannot move this recipient now: their message is under way (messages row %s), and every bubble of a message leaves from one SIM', pg_temp.bubble(:sm, 2)),
  'a person''s update mid-message is refused, naming the waiting bubble');
select throws_ok($$delete from public.recipient_senders where phone_number = '+12095551001'$$, '55000', null,
  'deleting the assignment mid-message is refused');
select throws_ok(format($$select public.pin_recipient('+12095551001', %s, 'x')$$, :sim2), '55000', null,
  'pin_recipient mid-message is refused');

-- Forged (triggers off, as a restore would): the claim still keeps the message on SIM 1.
set local session_replication_role = replica;
update public.recipient_senders set sender_id = :sim2 where phone_number = '+12095551001';
set local session_replication_role = origin;
select is(pg_temp.claim('w2'), null, 'with a forged assignment SIM 2 still cannot send bubble 2');
select is(pg_temp.claim('w1'), null, 'and SIM 1 no longer has the recipient: the bubble waits, split nowhere');
set local session_replication_role = replica;  -- put back the same way (a person's update is refused: under way)
update public.recipient_senders set sender_id = :sim1 where phone_number = '+12095551001';
set local session_replication_role = origin;
select is(pg_temp.send('w1'), pg_temp.bubble(:sm, 2), 'put back, SIM 1 finishes the message');

update public.recipient_senders set sender_id = :sim2, why = 'customer prefers the other number' where phone_number = '+12095551001';
select is(pg_temp.sim_of('+12095551001'), :sim2::bigint, 'after the message a person may move them');
select results_eq($$select from_sender_id, to_sender_id, kind, reason from public.recipient_sender_moves where kind = 'person'$$,
  format('values (%s::bigint, %s::bigint, %L::text, %L::text)', :sim1, :sim2, 'person', 'customer prefers the other number'),
  'and the move is recorded');

select * from finish();
rollback;
