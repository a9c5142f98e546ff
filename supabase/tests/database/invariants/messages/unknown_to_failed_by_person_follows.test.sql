-- Invariant (h) person's move unknown -> failed ("it did not arrive"), and (d): the parent follows at
-- once (failed, the later bubble cancelled, the campaign row failed), so nothing is stuck queued.
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.queued('+12095550310', 'one [BUBBLE] two') as sm \gset
select id as cm from campaign_messages where phone_number = '+12095550310' \gset
select pg_temp.claim('w1') as b1 \gset
select mark_bubble_unknown(:b1, 'w1', 'no +CMGS answer');

update messages set status = 'failed' where id = :b1;
select is(pg_temp.bubble_status(:b1), 'failed', 'a person may set unknown -> failed');
select is(pg_temp.sm_status(:sm), 'failed', 'the message is failed');
select is(pg_temp.bubble_status(pg_temp.bubble(:sm, 2)), 'cancelled', 'its bubble 2 is cancelled');
select is(pg_temp.cm_status(:cm), 'failed', 'the campaign row follows');
select is(pg_temp.claimable_count(), 0, 'nothing is claimable');

select * from finish();
rollback;
