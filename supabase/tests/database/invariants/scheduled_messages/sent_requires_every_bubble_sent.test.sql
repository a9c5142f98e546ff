-- Invariant (c), `sent` means every bubble was sent: after bubble 1 of 3 is sent the message is still
-- queued, and whatever the listener does next the message is sent only when all three are.
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.queued('+12095550208', 'a [BUBBLE] b [BUBBLE] c') as sm \gset
select pg_temp.send_next('w1');
select is(pg_temp.sm_status(:sm), 'queued', 'one of three sent: still queued');
select pg_temp.send_next('w1');
select is(pg_temp.sm_status(:sm), 'queued', 'two of three sent: still queued');
select pg_temp.send_next('w1');
select is(pg_temp.sm_status(:sm), 'sent', 'three of three: sent');
select is((select count(*) from messages where scheduled_message_id = :sm and status <> 'sent'), 0::bigint,
          'and no bubble of it is unsent');

select * from finish();
rollback;
