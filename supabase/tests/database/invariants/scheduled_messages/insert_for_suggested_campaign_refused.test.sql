-- Invariant (b), nothing unapproved is queued: a scheduled message for a campaign row is accepted only
-- while that row is APR (or failed, for a retry). Attack (issue 10): a person inserts a
-- scheduled_messages row for a campaign message that is still SUG; it used to be promoted and sent.
begin;
\ir ../_fixture.psql
select plan(4);

insert into campaign_messages (campaign_name, customer_name, phone_number, message_content)
values ('inv-sug', 'Not Approved', '+12095550201', 'not approved yet') returning id as cm \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$
  insert into scheduled_messages (campaign_message_id, phone_number, customer_name, message_content,
                                  scheduled_for, status, campaign_name)
  values (%s, '+12095550201', 'Not Approved', 'not approved yet', '2025-11-05 14:00-08', 'SCH', 'inv-sug')$$, :cm),
  '55000', null, null, 'a scheduled message for a SUG campaign row is refused (55000)');
select is(pg_temp.changes(), 0::bigint, 'nothing changed: no scheduled row, the campaign row is untouched');

select * from process_scheduled_messages_safe();
select is((select count(*) from messages), 0::bigint, 'promotion queues no bubble for it');
select is(pg_temp.cm_status(:cm), 'SUG', 'the campaign row is still SUG');

select * from finish();
rollback;
