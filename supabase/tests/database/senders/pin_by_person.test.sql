-- A person pins a recipient to a SIM: later messages leave from that SIM, the pin is recorded with the
-- note and the person's role, it counts as a new recipient for that SIM, and it is refused with a clear
-- error for a missing or disabled SIM or one without room for a new recipient.
begin;
\ir _fixture.psql
select plan(9);

select pg_temp.register('w1', '310260000000001') as sim1 \gset
select pg_temp.register('w2', '310260000000002') as sim2 \gset
select pg_temp.queue_in('+12095550901', 1, 'a') as a \gset
select pg_temp.send('w1');

set local role service_role;
select results_eq($$select sender_id, pinned, why from public.pin_recipient('+12095550901', $$ || :sim2 || $$, 'customer asked for the Fresno number')$$,
  format('values (%s::bigint, true, %L::text)', :sim2, 'customer asked for the Fresno number'),
  'service_role pins the recipient to SIM 2');
reset role;
select results_eq($$select from_sender_id, to_sender_id, kind, reason, moved_by from public.recipient_sender_moves where kind = 'pin'$$,
  format('values (%s::bigint, %s::bigint, %L::text, %L::text, %L::text)', :sim1, :sim2, 'pin', 'customer asked for the Fresno number', session_user),
  'recorded: from, to, the note, who');
select is((select new_recipients_today from public.sender_status() where sender_id = :sim2), 1, 'it counts as a new recipient for SIM 2');

select pg_temp.queue_in('+12095550901', 1, 'b') as b \gset
select is(pg_temp.claim('w1'), null, 'SIM 1 no longer gets them');
select is(pg_temp.claim('w2'), pg_temp.bubble(:b, 1), 'SIM 2 does');

select throws_ok($$select public.pin_recipient('+12095550901', 999, 'x')$$, 'P0002', 'pin_recipient: no sender 999', 'a missing SIM is named');
update public.senders set status = 'disabled' where id = :sim1;
select throws_ok(format($$select public.pin_recipient('+12095550902', %s, 'x')$$, :sim1), '55000',
  format('pin_recipient: sender %s is disabled', :sim1), 'a disabled SIM is refused');
update public.senders set new_recipients_per_month = 1 where id = :sim2;
select throws_ok($$select public.pin_recipient('+12095550903', $$ || :sim2 || $$, 'x')$$, '55000',
  format('pin_recipient: sender %s has no room for a new recipient (limits new_recipients_per_day off, per_month 1)', :sim2),
  'a SIM without room for a new recipient is refused');
select throws_ok($$select public.pin_recipient('209-555-0904', 1, 'x')$$, '22023',
  'pin_recipient: "209-555-0904" is not an E.164 number', 'a number that is not E.164 is refused');

select * from finish();
rollback;
