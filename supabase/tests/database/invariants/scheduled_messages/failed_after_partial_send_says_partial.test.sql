-- Invariant (c): a message that failed after some bubbles went out says so in error_message.
begin;
\ir ../_fixture.psql
select plan(2);

select pg_temp.queued('+12095550707', 'one [BUBBLE] two [BUBBLE] three') as sm \gset
select pg_temp.send_next('w1');
select pg_temp.claim('w1') as b2 \gset
select mark_bubble_failed(:b2, 'w1', '+CMS ERROR: 21', true);

select is(pg_temp.sm_status(:sm), 'failed', 'the message failed');
select matches((select error_message from scheduled_messages where id = :sm),
               'partially sent: 1 of 3 bubbles went out', 'error_message says partially sent: 1 of 3');

select * from finish();
rollback;
