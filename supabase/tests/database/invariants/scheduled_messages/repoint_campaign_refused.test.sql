-- Invariant (b): a scheduled message carries an approved campaign row's recipient and text. Attack: a
-- person re-points an SCH scheduled message at another campaign row that is only SUG (or cancelled),
-- so what goes out is tied to an approval that never happened.
begin;
\ir ../_fixture.psql
select plan(3);

select pg_temp.schedule(pg_temp.approved('+12095550212', 'hello')) as sm \gset
insert into campaign_messages (campaign_name, customer_name, phone_number, message_content)
values ('inv-repoint', 'Invariant Test', '+12095550212', 'hello') returning id as sug \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$update scheduled_messages set campaign_message_id = %s where id = %s$$, :sug, :sm),
  '55000', 'scheduled_messages', :sm, 'pointing an SCH message at a SUG campaign row is refused (55000, naming the row)');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select is(pg_temp.cm_status(:sug), 'SUG', 'the SUG row stays SUG');

select * from finish();
rollback;
