-- inbound_settings: words are stored folded (case, accents, punctuation ignored), and a person's edit is
-- refused with the problem named: an empty word, a word in two meanings, a missing FCC word, an empty or
-- multi-bubble reply text; the row cannot be deleted.
begin;
\ir ../_inbound_fixture.psql
select plan(8);

update public.inbound_settings set opt_in_words = '{start, "re-start!", Unstop, yes}';
select is((select opt_in_words from public.inbound_settings), '{START,RE START,UNSTOP,YES}'::text[],
  'words are stored folded');
select throws_ok($$update public.inbound_settings set help_words = '{HELP, "!!"}'$$, '23514',
  'inbound_settings.help_words: word 2 (''!!'') is empty once case, accents and punctuation are ignored',
  'an empty word is refused, naming the list and the word');
select throws_ok($$update public.inbound_settings set opt_in_words = '{START, stop}'$$, '23514',
  'inbound_settings: STOP is both an opt-out word and an opt-in word', 'a word in two meanings is refused');
select throws_ok($$update public.inbound_settings set opt_out_words = '{STOP, UNSUBSCRIBE}'$$, '23514',
  'inbound_settings.opt_out_words must keep the FCC''s revocation words: QUIT, END, REVOKE, OPT OUT, CANCEL missing',
  'the FCC''s words cannot be removed');
select throws_ok($$update public.inbound_settings set opt_out_reply = '  '$$, '23514',
  'inbound_settings.opt_out_reply: the reply text is empty', 'an empty reply text is refused');
select throws_ok($$update public.inbound_settings set help_reply = 'a [BUBBLE] b'$$, '23514',
  'inbound_settings.help_reply: a reply is one bubble: remove [BUBBLE]', 'a reply is one bubble');
select throws_like($$delete from public.inbound_settings$$, '%cannot be deleted%', 'the row cannot be deleted');
select throws_ok($$update public.inbound_settings set help_reply_interval = '-1 hour'$$, '23514', null,
  'the help interval is bounded');

select * from finish();
rollback;
