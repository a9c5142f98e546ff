-- Invariant (h), one writer per move: campaign APR -> SCH and SCH -> sent/failed/cancelled are the
-- follow-up's (they mirror the scheduled message). Attack: a person sets a campaign row SCH (nothing is
-- scheduled, the row is stuck) or sent (reporting a text as sent that never was).
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.approved('+12095550805', 'hello') as cm \gset
insert into campaign_messages (campaign_name, phone_number, message_content)
values ('inv-follow', '+12095550806', 'hello') returning id as sug \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$update campaign_messages set status = 'SCH' where id = %s$$, :cm),
  '55000', 'campaign_messages', :cm, 'APR -> SCH by hand is refused (55000, naming the row)');
select pg_temp.refused(format($$update campaign_messages set status = 'sent' where id = %s$$, :cm),
  '55000', 'campaign_messages', :cm, 'APR -> sent by hand is refused');
select pg_temp.refused(format($$update campaign_messages set status = 'SCH' where id = %s$$, :sug),
  '55000', 'campaign_messages', :sug, 'SUG -> SCH by hand is refused');
select pg_temp.refused($$insert into campaign_messages (campaign_name, phone_number, message_content, status)
  values ('inv-follow', '+12095550807', 'hello', 'sent')$$, '55000', null, null, 'inserting a sent campaign row is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from finish();
rollback;
