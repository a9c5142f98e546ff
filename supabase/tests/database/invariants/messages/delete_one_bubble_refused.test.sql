-- Invariants (c) and (d): bubbles cannot be deleted by hand while their scheduled message exists
-- (cancel the scheduled message instead). Attack (issue 10): `delete from messages` of bubble 2 of 2
-- made the follow-up see "every bubble sent" after bubble 1, and reported the message sent while
-- bubble 2 never went out.
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.queued('+12095550301', 'one [BUBBLE] two') as sm \gset
select pg_temp.bubble(:sm, 2) as b2 \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$delete from messages where id = %s$$, :b2),
  '55000', 'messages', :b2, 'deleting a queued bubble is refused (55000, naming the row)');
select pg_temp.refused(format($$delete from messages where scheduled_message_id = %s$$, :sm),
  '55000', 'messages', null, 'deleting all of its bubbles is refused too');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select pg_temp.send_next('w1');
select is(pg_temp.sm_status(:sm), 'queued', 'after bubble 1 only, the message is not sent');
select pg_temp.send_next('w1');
select is(pg_temp.sm_status(:sm), 'sent', 'it is sent when bubble 2 went out');

select * from finish();
rollback;
