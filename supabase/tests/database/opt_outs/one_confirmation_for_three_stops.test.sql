-- record_inbound_part -> opt-out: three STOPs opt the number out once and queue exactly one
-- confirmation (CTIA: confirm once, at once); the second and third STOP say why nothing was sent.
begin;
\ir ../_inbound_fixture.psql
select plan(8);

select pg_temp.reply('+12095550301', 'STOP') as first \gset
select tests.pin_clock('2025-11-05 14:31-08');
select pg_temp.reply('+12095550301', 'stop!!') as second \gset
select tests.pin_clock('2025-11-05 14:32-08');
select pg_temp.reply('+12095550301', 'Stop please') as third \gset

select ok(pg_temp.opted_out('+12095550301'), 'the number is opted out');
select is(pg_temp.replies('+12095550301', 'opt_out_confirmation'), 1::bigint, 'one confirmation for three STOPs');
select results_eq(
  format('select phone_number, status, scheduled_message_id, inbound_message_id, content from public.messages where reply_kind = %L',
         'opt_out_confirmation'),
  format($$values ('+12095550301'::text, 'queued'::text, null::bigint, %s::bigint, (select opt_out_reply from public.inbound_settings))$$, :first),
  'the confirmation is a queued reply bubble with no scheduled message, linked to the first STOP, with the settings'' text');
select is((select action_note from public.inbound_messages where id = :second), 'already opted out: no second confirmation',
  'the second STOP says why nothing was sent');
select is((select count(*) from public.inbound_messages where action = 'opt_out'), 3::bigint,
  'every STOP is kept as a reply, decided opt_out');
select is((select count(*) from public.opt_out_history), 1::bigint, 'the history has one opt-out');
select is((select inbound_message_id from public.opt_outs where phone_number = '+12095550301'), :first::bigint,
  'the opt-out names the reply that caused it');
select is((select changed_by from public.opt_outs where phone_number = '+12095550301'), 'reply', 'by a reply');

select * from finish();
rollback;
