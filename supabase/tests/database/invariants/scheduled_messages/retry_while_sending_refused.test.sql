-- Invariant (a): a bubble is with at most one worker, never again once it may have left a modem. A retry
-- (failed -> SCH) is refused while any bubble of the message is `sending`.
-- Attack (issue 10): retrying a message while one of its bubbles was still `sending` re-queued that
-- bubble and a second listener sent it again. No allowed sequence reaches "failed with a bubble
-- sending" any more (bubbles leave one at a time and only a sending bubble's own outcome fails the
-- message), so the state is forged with triggers off and the guard itself is tested.
begin;
\ir ../_fixture.psql
select plan(6);

select pg_temp.queued('+12095550213', 'one [BUBBLE] two') as sm \gset
select pg_temp.send_next('w1') as b1 \gset
select pg_temp.claim('w1') as b2 \gset
select is(pg_temp.bubble_status(:b2), 'sending', 'set-up: bubble 2 is sending with w1');

-- what a person tries first: fail it by hand, to retry it
select pg_temp.refused(format($$update scheduled_messages set status = 'failed' where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'a person cannot set queued -> failed');

select pg_temp.forge(format($$update scheduled_messages set status = 'failed', error_message = 'forged' where id = %s$$, :sm));
select pg_temp.snapshot();
select pg_temp.refused(format($$update scheduled_messages set status = 'SCH' where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'failed -> SCH is refused while bubble 2 is sending (55000, naming the row)');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from process_scheduled_messages_safe();
select is(pg_temp.claimable_count(), 0, 'no second listener can claim any bubble of it');
select is(pg_temp.bubble_status(:b2), 'sending', 'bubble 2 is still with w1 only');

select * from finish();
rollback;
