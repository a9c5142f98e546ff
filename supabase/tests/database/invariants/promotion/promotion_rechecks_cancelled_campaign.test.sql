-- Invariant (b): promotion re-checks that the campaign row is not cancelled. No allowed sequence leaves
-- an SCH scheduled message under a cancelled campaign row (the follow-ups keep them together), so the
-- state is forged with triggers off: the re-check itself must hold.
begin;
\ir ../_fixture.psql
select plan(3);

select pg_temp.approved('+12095550405', 'hello') as cm \gset
select pg_temp.schedule(:cm) as sm \gset
select pg_temp.forge(format($$update campaign_messages set status = 'cancelled' where id = %s$$, :cm));

select * from process_scheduled_messages_safe();
select isnt(pg_temp.sm_status(:sm), 'queued', 'a scheduled message of a cancelled campaign row is not queued');
select is((select count(*) from messages where scheduled_message_id = :sm), 0::bigint, 'no bubble was created');
select is(pg_temp.claimable_count(), 0, 'nothing is claimable');

select * from finish();
rollback;
