-- Never outside the send window: promotion and claim decide on the database clock. On Saturday
-- 2025-11-08 (closed by default) nothing due is promoted and no queued bubble is claimed.
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.queued('+12095550601', 'queued on Wednesday') as wed \gset
select pg_temp.schedule(pg_temp.approved('+12095550602', 'due on Saturday'), '2025-11-08 10:00-08') as sat \gset
select tests.pin_clock('2025-11-08 10:30-08');

select results_eq($$select processed_count, error_message from process_scheduled_messages_safe()$$,
                  $$values (0, null::text)$$, 'Saturday: nothing is promoted');
select matches((select skipped_reason from process_scheduled_messages_safe()), '^Outside business hours',
               'the reason says the window is closed');
select is(pg_temp.sm_status(:sat), 'SCH', 'the Saturday row waits');
select is(pg_temp.claim('w1'), null::bigint, 'the bubble queued on Wednesday is not claimed on Saturday');

select * from finish();
rollback;
