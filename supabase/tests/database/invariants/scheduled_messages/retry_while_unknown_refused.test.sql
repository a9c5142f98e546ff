-- Invariant (a): a bubble that may have left a modem (`unknown`) is never sent again by itself; a retry
-- (failed -> SCH) is refused while any bubble of the message is `unknown` (a person decides first:
-- unknown -> sent or failed). Forged state (triggers off): with the follow-ups on, an unknown bubble
-- keeps its message queued; the guard must still refuse.
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.queued('+12095550214', 'one [BUBBLE] two') as sm \gset
select pg_temp.claim('w1') as b1 \gset
select mark_bubble_unknown(:b1, 'w1', 'no +CMGS answer');
select is(pg_temp.bubble_status(:b1), 'unknown', 'set-up: bubble 1 is unknown');

select pg_temp.forge(format($$update scheduled_messages set status = 'failed', error_message = 'forged' where id = %s$$, :sm));
select pg_temp.snapshot();
select pg_temp.refused(format($$update scheduled_messages set status = 'SCH' where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'failed -> SCH is refused while bubble 1 is unknown (55000, naming the row)');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from process_scheduled_messages_safe();
select is(pg_temp.claimable_count(), 0, 'nothing of it can be claimed');
select is(pg_temp.bubble_status(:b1), 'unknown', 'bubble 1 is still unknown');

select * from finish();
rollback;
