-- What a person may run on the bank's tables from the dashboard (service_role), and what is refused
-- naming the row and the way out: a bubble's SIM is kept by the claim (moving a recipient is
-- pin_recipient's job), a SIM with history cannot be deleted (disable it instead), limits and settings
-- stay within their bounds, and there is one settings row. Disabling a SIM and deleting an unused one
-- are allowed.
begin;
\ir _fixture.psql
select plan(9);

select pg_temp.register('w1', '310260000000001') as sim1 \gset
select pg_temp.register('w2', '310260000000002') as sim2 \gset
select pg_temp.register('w3', '310260000000003') as sim3 \gset
select pg_temp.queue_in('+12095550601', 2, 'a') as r1 \gset
select pg_temp.send('w1');

set local role service_role;
select throws_ok(format('update public.messages set sender_id = %s where id = %s', :sim2, pg_temp.bubble(:r1, 2)),
  '55000', format('messages row %s: sender_id is kept by claim_next_bubble (the SIM that has the bubble)', pg_temp.bubble(:r1, 2)),
  'a bubble cannot be moved to another SIM by hand (bubble 2 would leave from a second number)');
select throws_ok(format('delete from public.senders where id = %s', :sim1), '55000',
  format('senders row %s: cannot delete a SIM that has recipients, moves or bubbles', :sim1),
  'a SIM with recipients cannot be deleted');
select lives_ok(format('delete from public.senders where id = %s', :sim3), 'a SIM that never sent can be deleted');
select throws_ok(format('update public.senders set per_hour = -1 where id = %s', :sim1), '23514', null,
  'a negative limit is refused');
select throws_ok($$update public.sender_settings set handover_after = '0'$$, '23514', null,
  'handover_after 0 (every SIM handed over at once) is refused');
select throws_ok($$update public.sender_settings set alive_after = '1 second'$$, '23514', null,
  'alive_after shorter than a heartbeat can keep up with is refused');
select throws_ok($$insert into public.sender_settings (id) values (true)$$, '23505', null, 'there is one settings row');
select lives_ok(format($$update public.senders set status = 'disabled', status_note = 'blocked' where id = %s$$, :sim1),
  'disabling a SIM is the way out');
reset role;
select is((select sender_id from public.messages where id = pg_temp.bubble(:r1, 2)), :sim1::bigint,
  'the bubble still belongs to the SIM that sent bubble 1');

select * from finish();
rollback;
