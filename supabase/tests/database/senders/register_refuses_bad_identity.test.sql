-- register_sender refuses what is not a SIM's identity, with errors that say what to do: no IMSI and no
-- ICCID, digits that are not an IMSI or an ICCID, a number that is not E.164, a modem that is not a JSON
-- object; a person's edit of the table is validated the same way.
begin;
\ir _fixture.psql
select plan(8);

select throws_ok($$select public.register_sender('w1', null, ' ', null, '{}')$$, '22023',
  'register_sender (worker w1): the SIM has neither an IMSI nor an ICCID', 'no identity at all is refused');
select throws_ok($$select public.register_sender('', '310260000000001', null, null, '{}')$$, '22023',
  'register_sender: worker_id must be 1 to 100 characters', 'an empty worker id is refused');
select throws_ok($$select public.register_sender('w1', '31026-ABC', null, null, '{}')$$, '22023',
  'register_sender (worker w1): imsi "31026-ABC" is not an IMSI (5 to 15 digits)', 'an IMSI that is not digits is refused');
select throws_ok($$select public.register_sender('w1', null, '89012', null, '{}')$$, '22023',
  'register_sender (worker w1): iccid "89012" is not an ICCID (18 to 22 digits, a trailing F is dropped)', 'a short ICCID is refused');
select throws_ok($$select public.register_sender('w1', '310260000000001', null, '2095550100', '{}')$$, '22023',
  'register_sender (worker w1): own_number: "2095550100" is not an E.164 number', 'a number without +country is refused');
select throws_ok($$select public.register_sender('w1', '310260000000001', null, null, '[1, 2]')$$, '22023',
  'register_sender (worker w1): modem must be a JSON object, not array', 'modem health must be an object');

select pg_temp.register('w1', '310260000000001') as sim \gset
select throws_ok(format($$update public.senders set per_day = -5 where id = %s$$, :sim), '23514',
  format('senders row %s: limits: a limit must be empty (off) or between 0 and 100,000 (per_day, new_recipients_per_month: 1,000,000)', :sim),
  'a person''s negative limit is refused, naming the row');

select throws_ok($$insert into public.senders (imsi, own_number) values ('310260000000002', '555-0100')$$, '23514',
  null, 'a person''s insert with a number that is not E.164 is refused');

select * from finish();
rollback;
