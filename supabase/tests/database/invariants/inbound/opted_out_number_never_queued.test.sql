-- Invariant "nothing opted-out is queued": after a STOP, whatever a person runs, nothing is queued to the
-- number: a retry of its failed text, a text rescheduled to now, a new text due now, each ends cancelled
-- at promotion with the reason, and the claim hands nothing out.
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.queued('+12095550611', 'one [BUBBLE] two') as sm \gset
select public.mark_bubble_failed(pg_temp.claim('w1'), 'w1', 'refused', true);
select is(pg_temp.sm_status(:sm), 'failed', 'the text failed');
select public.record_inbound_part('w1', '+12095550611', statement_timestamp(), 'stop', null, null, null, 'AB');
update public.scheduled_messages set status = 'SCH' where id = :sm;  -- a person retries it
select pg_temp.schedule(pg_temp.approved('+12095550611', 'new offer')) as fresh \gset
select * from public.process_scheduled_messages_safe();
select is(pg_temp.sm_status(:sm), 'cancelled', 'the retried text is cancelled at promotion');
select is(pg_temp.sm_status(:fresh), 'cancelled', 'a new text to the number is cancelled at promotion');
select is(pg_temp.claimable_count(), 1, 'only the confirmation can be claimed');
select is((select count(*) from public.messages where phone_number = '+12095550611' and status = 'queued'
             and reply_kind is null), 0::bigint, 'no campaign bubble to the number is queued');

select * from finish();
rollback;
