-- Every bubble of a message leaves from the same SIM: while another SIM is free and asks first, the rest
-- of a started message waits for the SIM that sent bubble 1, also after a transient failure and a release.
begin;
\ir _fixture.psql
select plan(7);

select pg_temp.register('w1', '310260000000001') as sim1 \gset
select pg_temp.register('w2', '310260000000002') as sim2 \gset
select pg_temp.queue_message('+12095550501', 3) as sm \gset

select is(pg_temp.send('w1'), pg_temp.bubble(:sm, 1), 'w1 sends bubble 1');
select is(pg_temp.claim('w2'), null, 'w2 asks first for bubble 2: nothing (it leaves from w1''s SIM)');
select is(pg_temp.claim('w1'), pg_temp.bubble(:sm, 2), 'w1 claims bubble 2');
select public.mark_bubble_failed(pg_temp.bubble(:sm, 2), 'w1', 'network busy', false);
select tests.pin_clock('2025-11-05 14:31-08');
select pg_temp.register('w2', '310260000000002');
select is(pg_temp.claim('w2'), null, 'after a transient failure bubble 2 still does not go to w2');
select is(pg_temp.send('w1'), pg_temp.bubble(:sm, 2), 'w1 retries bubble 2');
select is(pg_temp.send('w1'), pg_temp.bubble(:sm, 3), 'and sends bubble 3');
select is((select array_agg(distinct sender_id) from public.messages where scheduled_message_id = :sm),
  array[:sim1::bigint], 'all three bubbles name w1''s SIM');

select * from finish();
rollback;
