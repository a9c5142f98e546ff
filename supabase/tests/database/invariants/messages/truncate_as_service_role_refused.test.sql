-- Invariants (c), (d): bubbles are never removed while their message exists. TRUNCATE skips row
-- triggers, so the service role (the dashboard's key) must not have the privilege at all (42501).
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.queued('+12095550314', 'one [BUBBLE] two') as sm \gset
select pg_temp.snapshot();

set local role service_role;
select pg_temp.outcome('truncate public.messages') as truncate_messages \gset
select pg_temp.outcome('truncate public.scheduled_messages cascade') as truncate_scheduled \gset
select pg_temp.outcome('truncate public.campaign_messages cascade') as truncate_campaign \gset
reset role;

select matches(:'truncate_messages'::text, '^42501: ', 'TRUNCATE messages as service_role is refused (42501)');
select matches(:'truncate_scheduled'::text, '^42501: ', 'TRUNCATE scheduled_messages as service_role is refused');
select matches(:'truncate_campaign'::text, '^42501: ', 'TRUNCATE campaign_messages as service_role is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from finish();
rollback;
