-- Invariant (g): at most 10 bubbles. Attack (issue 10): 20,000 bubbles in one message were accepted
-- (one promotion then inserted 20,000 rows and the recipient got 20,000 texts).
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.snapshot();
select pg_temp.refused($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
  values ('+12095550705', (select string_agg('b' || i, ' [BUBBLE] ') from generate_series(1, 20000) i), '2025-11-05 15:00-08')$$,
  '23514', null, null, '20,000 bubbles are refused (23514)');
select pg_temp.refused($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
  values ('+12095550705', (select string_agg('b' || i, ' [BUBBLE] ') from generate_series(1, 11) i), '2025-11-05 15:00-08')$$,
  '23514', null, null, '11 bubbles are refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select lives_ok($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
  values ('+12095550705', (select string_agg('b' || i, ' [BUBBLE] ') from generate_series(1, 10) i), '2025-11-05 15:00-08')$$,
  '10 bubbles are accepted');

select * from finish();
rollback;
