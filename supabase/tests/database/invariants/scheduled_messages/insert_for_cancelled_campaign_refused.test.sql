-- Invariant (b), nothing unapproved is queued. Attack (issue 10): a campaign message a person cancelled
-- (SUG -> APR -> cancelled) gets a scheduled_messages row inserted by hand; it used to be promoted and sent.
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.approved('+12095550202', 'changed my mind') as cm \gset
update campaign_messages set status = 'cancelled' where id = :cm;
select pg_temp.snapshot();

select pg_temp.refused(format($$
  insert into scheduled_messages (campaign_message_id, phone_number, customer_name, message_content,
                                  scheduled_for, status, campaign_name)
  select id, phone_number, customer_name, message_content, '2025-11-05 14:00-08', 'SCH', campaign_name
    from campaign_messages where id = %s$$, :cm),
  '55000', null, null, 'a scheduled message for a cancelled campaign row is refused (55000)');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from process_scheduled_messages_safe();
select is((select count(*) from messages), 0::bigint, 'promotion queues no bubble');
select is(pg_temp.cm_status(:cm), 'cancelled', 'the campaign row stays cancelled');

select * from finish();
rollback;
