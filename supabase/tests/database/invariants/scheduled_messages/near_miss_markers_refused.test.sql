-- Invariant (g), the [BUBBLE] marker is exact. Attack (issue 10): `[bubble]`, `[ BUBBLE ]` and
-- full-width brackets went to the customer verbatim (not split). Every near miss is refused (23514),
-- on insert and on an edit of an SCH row, naming the row.
begin;
\ir ../_fixture.psql
select plan(8);

select pg_temp.schedule(pg_temp.approved('+12095550701', 'fine [BUBBLE] text')) as sm \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$insert into scheduled_messages (phone_number, message_content, scheduled_for)
                                values ('+12095550702', %L, '2025-11-05 15:00-08')$$, t),
                       '23514', null, null, format('insert with %s is refused', t))
  from (values ('a [bubble] b'), ('a [Bubble] b'), ('a [ BUBBLE ] b'), ('a ［BUBBLE］ b'),
               ('a [[BUBBLE]] b'), ('a [BUBBLE]] b')) v(t);
select pg_temp.refused(format($$update scheduled_messages set message_content = 'hi [bubble] there' where id = %s$$, :sm),
  '23514', 'scheduled_messages', :sm, 'editing an SCH row to a near miss is refused, naming the row');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from finish();
rollback;
