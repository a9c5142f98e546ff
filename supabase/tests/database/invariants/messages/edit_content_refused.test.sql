-- Invariant (e), bubbles are frozen copies: recipient, text, position and parent of a bubble are set by
-- promotion and never change. Attack (issue 10): a person edits the text of a queued bubble in the
-- dashboard; the modem would send what nobody approved (or to whom nobody approved).
begin;
\ir ../_fixture.psql
select plan(5);

select pg_temp.queued('+12095550304', 'one [BUBBLE] two') as sm \gset
select pg_temp.queued('+12095550305', 'other') as other \gset
select pg_temp.bubble(:sm, 1) as b1 \gset
select pg_temp.claim('w1') as sending \gset
select pg_temp.bubble(:sm, 2) as b2 \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$update messages set content = %s where id = %s$$, $$'a text nobody approved'$$, :b2),
  '55000', 'messages', :b2, 'changing content of a queued bubble is refused (55000, naming the row)');
select pg_temp.refused(format($$update messages set content = %s where id = %s$$, $$'a text nobody approved'$$, :b1),
  '55000', 'messages', :b1, 'changing content of a sending bubble is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');
select is((select count(*) from messages m join scheduled_messages s on s.id = m.scheduled_message_id
            where m.phone_number <> s.phone_number), 0::bigint, 'every bubble goes to its scheduled message''s recipient');
select is((select string_agg(content, '|' order by bubble_index) from messages where scheduled_message_id = :sm),
          'one|two', 'the bubbles are still the approved text, in order');

select * from finish();
rollback;
