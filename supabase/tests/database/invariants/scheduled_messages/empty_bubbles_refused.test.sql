-- Invariant (g): a bubble that is empty, white space only or only invisible characters (zero-width
-- space/joiner, BOM, soft hyphen) is refused (23514, "bubble 2 of 3 is empty"); so is a blank text.
-- Attack (issue 10): blank message_content was accepted, and `a [BUBBLE] [BUBBLE] b` sent an empty SMS
-- (or silently dropped a part a person meant to send).
begin;
\ir ../_fixture.psql
select plan(10);

select pg_temp.snapshot();
select pg_temp.refused(format($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
                                values ('+12095550703', %L, '2025-11-05 15:00-08')$$, t),
                       '23514', null, null, format('text %s is refused', d))
  from (values ('', 'empty'), (E'  \n\t ', 'white space'), (E'\u200B', 'a zero-width space'),
               (E'\uFEFF\u00AD\u200D', 'BOM, soft hyphen and zero-width joiner'),
               ('a [BUBBLE] [BUBBLE] b', 'a [BUBBLE] [BUBBLE] b (bubble 2 empty)'),
               ('a [BUBBLE]', 'a trailing marker'), ('[BUBBLE] a', 'a leading marker'),
               (E'a [BUBBLE] \u200B\u200C [BUBBLE] b', 'an invisible middle bubble')) v(t, d);
select matches(pg_temp.outcome($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
                                 values ('+12095550703', 'a [BUBBLE]  [BUBBLE] c', '2025-11-05 15:00-08')$$),
               'bubble 2 of 3 is empty', 'the message names the empty bubble: bubble 2 of 3 is empty');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from finish();
rollback;
