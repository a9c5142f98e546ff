-- Invariant (g), the [BUBBLE] marker is exact, at the campaign row already (what a person approves is
-- what will be split). Attack (issue 10): `[bubble]`, `[ BUBBLE ]`, full-width brackets were imported,
-- approved and sent verbatim.
begin;
\ir ../_fixture.psql
select plan(7);

select pg_temp.snapshot();
select pg_temp.refused(format($$insert into campaign_messages (campaign_name, phone_number, message_content)
                                values ('inv-marker', '+12095550803', %L)$$, t),
                       '23514', null, null, format('importing %s is refused (23514)', t))
  from (values ('a [bubble] b'), ('a [Bubble] b'), ('a [ BUBBLE ] b'), ('a ［BUBBLE］ b'),
               ('a [[BUBBLE]] b'), ('a [BUBBLE]] b')) v(t);
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from finish();
rollback;
