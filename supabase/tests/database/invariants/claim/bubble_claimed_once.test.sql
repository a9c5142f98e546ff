-- Invariant (a): a bubble is with at most one worker. Claims by several workers hand out each bubble
-- once, a message's bubbles one at a time and in order (bubble n+1 waits for bubble n to be sent).
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.queued('+12095550503', 'one [BUBBLE] two') as sm \gset
select pg_temp.claim('w1') as c1 \gset
select is(:c1::bigint, pg_temp.bubble(:sm, 1), 'w1 gets bubble 1');
select is(pg_temp.claim('w2'), null::bigint, 'w2 gets nothing: bubble 1 is taken, bubble 2 waits for it');
select mark_bubble_sent(:c1, 'w1', 'mr-1');
select is(pg_temp.claim('w2'), null::bigint, 'after bubble 1 is sent, w2 still gets nothing: bubble 2 leaves from w1''s SIM (issue 14)');
select is(pg_temp.claim('w1'), pg_temp.bubble(:sm, 2), 'w1 gets bubble 2');
select is((select count(*) from messages where status = 'sending'), 1::bigint, 'one bubble sending, with one worker');

select * from finish();
rollback;
