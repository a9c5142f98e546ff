-- Invariant (c), `sent` means every bubble was sent; (h) queued -> sent is the bubbles' follow-up only.
-- Attack (issue 10): `update scheduled_messages set status = 'sent'` on a queued message reported it
-- sent while its bubbles were never sent (and stopped them: sent parents are not claimed).
begin;
\ir ../_fixture.psql
select plan(6);

select pg_temp.queued('+12095550207', 'one [BUBBLE] two') as sm \gset
select is(pg_temp.sm_status(:sm), 'queued', 'set-up: promoted');
select pg_temp.snapshot();

select pg_temp.refused(format($$update scheduled_messages set status = 'sent', sent_at = statement_timestamp() where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'queued -> sent by a person is refused (55000, naming the row)');
select pg_temp.refused(format($$update scheduled_messages set status = 'failed' where id = %s$$, :sm),
  '55000', 'scheduled_messages', :sm, 'queued -> failed by a person is refused too (a person cancels instead)');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

-- and it still progresses: both bubbles go out, then the follow-up says sent
select pg_temp.send_next('w1'), pg_temp.send_next('w1');
select is(pg_temp.sm_status(:sm), 'sent', 'sent once both bubbles were sent');
select is((select count(*) from messages where scheduled_message_id = :sm and status = 'sent'), 2::bigint,
          'with both bubbles sent');

select * from finish();
rollback;
