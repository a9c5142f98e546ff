-- Never lost; the campaign row follows its scheduled message (docs/state-machine.md: a campaign row
-- leaves SCH only by the follow-up of its scheduled message, to sent, failed or cancelled). Attack: a
-- person deletes the SCH scheduled message of an approved campaign text (to "unschedule" it). The
-- campaign row would stay SCH forever: no follow-up can come, and it cannot be scheduled again (that
-- needs APR). Refused (55000, naming the row); cancelling it, or editing scheduled_for, is the way.
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.approved('+12095550214', 'hello') as cm \gset
select pg_temp.schedule(:cm, '2025-11-06 10:00-08') as sm \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$delete from scheduled_messages where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'deleting the SCH scheduled message of a campaign row is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

-- the ways that work
update scheduled_messages set scheduled_for = '2025-11-07 10:00-08' where id = :sm;
select is((select scheduled_for from scheduled_messages where id = :sm), '2025-11-07 10:00-08'::timestamptz,
          'rescheduling it is accepted');
update scheduled_messages set status = 'cancelled' where id = :sm;
select is(pg_temp.cm_status(:cm), 'cancelled', 'cancelling it cancels the campaign row too (nothing stuck in SCH)');
select is((select count(*) from campaign_messages where status = 'SCH'
             and not exists (select 1 from scheduled_messages s where s.campaign_message_id = campaign_messages.id)),
          0::bigint, 'no campaign row is SCH without a scheduled message');

select * from finish();
rollback;
