-- Invariant (g): timestamps are finite (years 2000-2199) on every table, so every view can show them.
begin;
\ir ../_fixture.psql
select plan(3);

select pg_temp.approved('+12095550808', 'hello') as cm \gset
select pg_temp.snapshot();
select pg_temp.refused(format($$update campaign_messages set approved_at = 'infinity' where id = %s$$, :cm),
  '23514', 'campaign_messages', :cm, 'approved_at = infinity is refused (23514, naming the row)');
select pg_temp.refused($$insert into campaign_messages (campaign_name, phone_number, message_content, created_at)
  values ('inv-inf', '+12095550809', 'hi', '-infinity')$$, '23514', null, null, 'created_at = -infinity is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from finish();
rollback;
