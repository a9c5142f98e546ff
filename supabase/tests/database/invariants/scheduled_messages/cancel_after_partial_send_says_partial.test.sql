-- Invariant (c): a message cancelled after some bubbles went out says so in error_message ("partially
-- sent: 1 of 2 bubbles went out") and is not reported as fully sent nor as never sent.
begin;
\ir ../_fixture.psql
select plan(3);

select pg_temp.queued('+12095550706', 'one [BUBBLE] two') as sm \gset
select pg_temp.send_next('w1');
update scheduled_messages set status = 'cancelled' where id = :sm;

select is(pg_temp.sm_status(:sm), 'cancelled', 'the message is cancelled');
select matches((select error_message from scheduled_messages where id = :sm),
               'partially sent: 1 of 2 bubbles went out', 'error_message says partially sent: 1 of 2');
select is(pg_temp.bubble_status(pg_temp.bubble(:sm, 2)), 'cancelled', 'bubble 2 is cancelled, never sent');

select * from finish();
rollback;
