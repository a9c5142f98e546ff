-- Invariant (g): a bubble is at most 1,600 characters. Attack (issue 10): a 1,000,000-character bubble
-- was accepted (and would be split by the modem into hundreds of SMS parts, or fail at every try).
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.snapshot();
select pg_temp.refused($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
  values ('+12095550704', repeat('x', 1000000), '2025-11-05 15:00-08')$$,
  '23514', null, null, 'a 1,000,000-character text is refused (23514)');
select pg_temp.refused($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
  values ('+12095550704', 'short [BUBBLE] ' || repeat('x', 1601), '2025-11-05 15:00-08')$$,
  '23514', null, null, 'a 1,601-character bubble is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select lives_ok($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
  values ('+12095550704', 'short [BUBBLE] ' || repeat('x', 1600), '2025-11-05 15:00-08')$$,
  'a 1,600-character bubble is accepted');

select * from finish();
rollback;
