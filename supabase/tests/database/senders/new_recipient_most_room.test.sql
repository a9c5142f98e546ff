-- A new recipient goes to the alive SIM with the most room for new recipients: a SIM with less room asks
-- first and gets nothing; the roomier one takes the recipient; unlimited beats any number; a SIM that is
-- not alive does not count; with equal room whoever asks first wins.
begin;
\ir _fixture.psql
select plan(7);

select pg_temp.register('w1', '310260000000001') as sim1 \gset
select pg_temp.register('w2', '310260000000002') as sim2 \gset
update public.senders set new_recipients_per_day = 5 where id = :sim1;
update public.senders set new_recipients_per_day = 10 where id = :sim2;
select pg_temp.queue_message('+12095550601', 1) as m1 \gset

select is(pg_temp.claim('w1'), null, 'w1 (room 5) asks first: nothing, w2 has more room (10)');
select is(pg_temp.claim('w2'), pg_temp.bubble(:m1, 1), 'w2 takes the new recipient');
select is(pg_temp.sim_of('+12095550601'), :sim2::bigint, 'and is now their SIM');

update public.senders set new_recipients_per_day = null where id = :sim1;
select pg_temp.queue_message('+12095550602', 1) as m2 \gset
select is(pg_temp.claim('w2'), null, 'w2 (room 9) gets nothing while w1 is unlimited');
select is(pg_temp.claim('w1'), pg_temp.bubble(:m2, 1), 'unlimited w1 takes it');

select tests.pin_clock('2025-11-05 14:40-08');  -- w1 not seen for 10 minutes (alive_after 2 minutes)
select pg_temp.register('w2', '310260000000002');
select pg_temp.queue_message('+12095550603', 1) as m3 \gset
select is(pg_temp.claim('w2'), pg_temp.bubble(:m3, 1), 'a SIM that is not alive does not count: w2 takes the next one');

update public.senders set new_recipients_per_day = null;
select pg_temp.register('w1', '310260000000001');
select pg_temp.queue_message('+12095550604', 1) as m4 \gset
select is(pg_temp.claim('w1'), pg_temp.bubble(:m4, 1), 'equal (unlimited) room: whoever asks first');

select * from finish();
rollback;
