-- Invariant (b): the claim re-checks that the campaign row is not cancelled, so a bubble of a
-- cancelled campaign row never reaches a modem. The state (queued bubbles, campaign row cancelled) is
-- forged with triggers off: the follow-ups never leave it, the claim's re-check must still hold.
begin;
\ir ../_fixture.psql
select plan(2);

select pg_temp.queued('+12095550501', 'hello') as sm \gset
select campaign_message_id as cm from scheduled_messages where id = :sm \gset
select pg_temp.forge(format($$update campaign_messages set status = 'cancelled' where id = %s$$, :cm));

select is(pg_temp.claim('w1'), null::bigint, 'the bubble of a cancelled campaign row is not claimed');
select is(pg_temp.bubble_status(pg_temp.bubble(:sm, 1)), 'queued', 'it is left untouched');

select * from finish();
rollback;
