-- Invariant (b): a scheduled message for a campaign row must carry that row's recipient and text; the
-- approval was of that text, to that person. Attack: insert a scheduled row pointing at an APR
-- campaign row but with another text, or another phone number.
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.approved('+12095550203', 'the approved text') as cm \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$
  insert into scheduled_messages (campaign_message_id, phone_number, customer_name, message_content, scheduled_for, status)
  values (%s, '+12095550203', 'x', 'a text nobody approved', '2025-11-05 14:00-08', 'SCH')$$, :cm),
  '55000', null, null, 'another text than the approved one is refused');
select pg_temp.refused(format($$
  insert into scheduled_messages (campaign_message_id, phone_number, customer_name, message_content, scheduled_for, status)
  values (%s, '+12095550999', 'x', 'the approved text', '2025-11-05 14:00-08', 'SCH')$$, :cm),
  '55000', null, null, 'another recipient than the approved one is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select is(pg_temp.cm_status(:cm), 'APR', 'the campaign row is still APR');

select * from finish();
rollback;
