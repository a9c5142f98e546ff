-- HELP (or INFO) alone queues the help text, at most once per number per inbound_settings.help_reply_interval
-- (default 1 hour): an auto-responder cannot start a loop. HELP inside a longer text is not a keyword.
begin;
\ir ../_inbound_fixture.psql
select plan(6);

select pg_temp.reply('+12095550321', 'HELP') as h1 \gset
select results_eq($$select content, inbound_message_id from public.messages where reply_kind = 'help'$$,
  format($$values ((select help_reply from public.inbound_settings), %s::bigint)$$, :h1),
  'HELP queues the help text, linked to the HELP');
select tests.pin_clock('2025-11-05 14:50-08');
select pg_temp.reply('+12095550321', 'info') as h2 \gset
select is(pg_temp.replies('+12095550321', 'help'), 1::bigint, 'a second HELP within the hour gets nothing');
select matches((select action_note from public.inbound_messages where id = :h2), 'less than 01:00:00 ago: not sent again',
  'and says why');
select tests.pin_clock('2025-11-05 15:31-08');
select pg_temp.reply('+12095550321', 'help');
select is(pg_temp.replies('+12095550321', 'help'), 2::bigint, 'an hour later HELP is answered again');
select pg_temp.reply('+12095550321', 'HELP') ;
update public.inbound_settings set help_reply_interval = '0';
select pg_temp.reply('+12095550321', 'HELP!');
select is(pg_temp.replies('+12095550321', 'help'), 3::bigint, 'with the interval 0 every HELP is answered');
select pg_temp.reply('+12095550322', 'I need help with my order');
select is(pg_temp.replies('+12095550322', 'help'), 0::bigint, 'HELP inside a longer text is not a keyword');

select * from finish();
rollback;
