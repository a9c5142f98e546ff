-- Invariant (a): sent bubbles are never sent again; a retry creates NEW bubble rows (the next
-- `promotion`) for what was not sent and never re-queues an old row. Attack (issue 10): a sent bubble
-- whose text did not change was re-queued during a retry and sent again.
begin;
\ir ../_fixture.psql
select plan(8);

select pg_temp.queued('+12095550401', 'one [BUBBLE] two [BUBBLE] three') as sm \gset
select pg_temp.send_next('w1') as b1 \gset
select pg_temp.claim('w1') as b2 \gset
select mark_bubble_failed(:b2, 'w1', '+CMS ERROR: 38 network out of order', true);
select pg_temp.bubble(:sm, 3) as b3 \gset
select is(pg_temp.sm_status(:sm), 'failed', 'set-up: bubble 2 failed, so the message failed');

-- a person retries it, as docs/state-machine.md says: failed -> SCH
update scheduled_messages set status = 'SCH' where id = :sm;
select results_eq($$select processed_count from process_scheduled_messages_safe()$$, $$values (1)$$,
                  'the retry is promoted');

select results_eq(format($$select bubble_index, status from messages where scheduled_message_id = %s
                             and promotion = 2 order by bubble_index$$, :sm),
                  $$values (2, 'queued'::text), (3, 'queued'::text)$$,
                  'promotion 2 has new rows for bubbles 2 and 3 only, not for the sent bubble 1');
select results_eq(format($$select id, status from messages where id in (%s, %s, %s) order by id$$, :b1, :b2, :b3),
                  format($$values (%s::bigint, 'sent'::text), (%s, 'failed'), (%s, 'cancelled')$$, :b1, :b2, :b3),
                  'the rows of promotion 1 keep their final statuses');

select is(pg_temp.send_next('w1'), pg_temp.bubble(:sm, 2), 'the new bubble 2 goes out first');
select is(pg_temp.send_next('w1'), pg_temp.bubble(:sm, 3), 'then bubble 3');
select is(pg_temp.claimable_count(), 0, 'nothing else (bubble 1 is never claimed again)');
select is(pg_temp.sm_status(:sm), 'sent', 'the message is sent: every bubble went out once');

select * from finish();
rollback;
