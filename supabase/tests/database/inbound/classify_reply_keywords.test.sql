-- internal.classify_reply: the keyword decision, table-driven (docs/sql-api.md, "Replies and opt-outs").
-- Case, accents, full-width letters, punctuation, emoji and filler are ignored; STOP and its kin opt out
-- alone or anywhere as whole words; END/CANCEL/QUIT opt out alone and are flagged inside a longer text;
-- START/UNSTOP/YES opt in alone; HELP/INFO alone get help; everything else is nothing.
begin;
\ir ../_inbound_fixture.psql

create temp table cases (body text, expected text);
insert into cases values
  ('STOP', 'opt_out STOP'),
  ('stop', 'opt_out STOP'),
  ('Stop please', 'opt_out STOP'),
  ('STOP!!!', 'opt_out STOP'),
  ('  stop.  ', 'opt_out STOP'),
  ('🛑 STOP 🛑', 'opt_out STOP'),
  ('Stöp', 'opt_out STOP'),
  ('ＳＴＯＰ', 'opt_out STOP'),
  ('stop now thanks', 'opt_out STOP'),
  ('Please stop texting me', 'opt_out STOP'),
  ('STOPALL', 'opt_out STOPALL'),
  ('unsubscribe me', 'opt_out UNSUBSCRIBE'),
  ('Unsubscribe!', 'opt_out UNSUBSCRIBE'),
  ('opt out', 'opt_out OPT OUT'),
  ('OPT-OUT', 'opt_out OPT OUT'),
  ('opt me out', 'opt_out OPT OUT'),
  ('optout', 'opt_out OPTOUT'),
  ('I want to opt out of these', 'opt_out OPT OUT'),
  ('revoke', 'opt_out REVOKE'),
  ('I revoke my consent', 'opt_out REVOKE'),
  ('Cancel', 'opt_out CANCEL'),
  ('CANCEL please', 'opt_out CANCEL'),
  ('End', 'opt_out END'),
  ('quit!', 'opt_out QUIT'),
  ('Quit.', 'opt_out QUIT'),
  ('cancel my appointment', 'flagged CANCEL'),
  ('Can we end the call early?', 'flagged END'),
  ('I quit smoking 🎉', 'flagged QUIT'),
  ('stopping by later', 'none'),
  ('nonstop fun', 'none'),
  ('Unstoppable', 'none'),
  ('START', 'opt_in START'),
  ('start please', 'opt_in START'),
  ('Unstop', 'opt_in UNSTOP'),
  ('yes', 'opt_in YES'),
  ('Yes!', 'opt_in YES'),
  ('Yes I will be there', 'none'),
  ('HELP', 'help HELP'),
  ('help?', 'help HELP'),
  ('info', 'help INFO'),
  ('I need help with my order', 'none'),
  ('Thanks!', 'none'),
  ('😀', 'none'),
  ('', 'none'),
  ('See you at 5', 'none');

select plan((select count(*)::integer from cases) + 1);

select is(pg_temp.decide(c.body), c.expected, format('%s -> %s', coalesce(nullif(c.body, ''), '(empty)'), c.expected))
  from cases c;

update public.inbound_settings set ambiguous_words = ambiguous_words || '{NO MORE}'::text[];
select is(pg_temp.decide('no more of this'), 'flagged NO MORE', 'an edited list applies at once (a two-word phrase too)');

select * from finish();
rollback;
