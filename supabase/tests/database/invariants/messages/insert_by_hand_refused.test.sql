-- Invariant (e): bubbles are inserted by promotion only. Attack (issue 10): a person inserts an extra
-- bubble row for a queued message (it would be sent though nobody approved it, and could make
-- "every bubble sent" wrong), or a stand-alone bubble with no scheduled message.
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.queued('+12095550306', 'one [BUBBLE] two') as sm \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$
  insert into messages (scheduled_message_id, bubble_index, bubble_count, phone_number, content)
  values (%s, 3, 3, '+12095550306', 'three')$$, :sm),
  '55000', null, null, 'an extra bubble for a queued message is refused (55000)');
select pg_temp.refused($$
  insert into messages (phone_number, content) values ('+12095550307', 'stand-alone')$$,
  '55000', null, null, 'a bubble without a scheduled message is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select is(pg_temp.claimable_count(), 1, 'only the promoted bubble 1 is claimable');

select * from finish();
rollback;
