-- START after STOP opts the number back in with one opt-in confirmation; the history keeps both moves;
-- START from a number that never opted out does nothing (no text); a second START sends nothing.
begin;
\ir ../_inbound_fixture.psql
select plan(8);

select pg_temp.reply('+12095550311', 'START') as never \gset
select is((select action_note from public.inbound_messages where id = :never), 'not opted out: nothing to do',
  'START from a number that never opted out changes nothing');
select is(pg_temp.replies('+12095550311', 'opt_in_confirmation'), 0::bigint, 'and sends nothing');

select pg_temp.reply('+12095550311', 'STOP');
select tests.pin_clock('2025-11-06 10:00-08');
select pg_temp.reply('+12095550311', 'Start') as start \gset
select ok(not pg_temp.opted_out('+12095550311'), 'START opts the number back in');
select is(pg_temp.replies('+12095550311', 'opt_in_confirmation'), 1::bigint, 'with one opt-in confirmation');
select results_eq(
  $$select opted_out, changed_at, changed_by from public.opt_out_history where phone_number = '+12095550311' order by id$$,
  $$values (true, pg_temp.pt('2025-11-05 14:30'), 'reply'::text), (false, pg_temp.pt('2025-11-06 10:00'), 'reply'::text)$$,
  'the history keeps the opt-out and the opt-in, in order');
select is((select inbound_message_id from public.opt_outs where phone_number = '+12095550311'), :start::bigint,
  'the opt-out row names the START that changed it last');

select pg_temp.reply('+12095550311', 'UNSTOP');
select is(pg_temp.replies('+12095550311', 'opt_in_confirmation'), 1::bigint, 'a second opt-in word sends nothing');

select pg_temp.queue_message('+12095550311', 1) as sm \gset
select is((select status from public.scheduled_messages where id = :sm), 'queued',
  'texts to the number are promoted again');

select * from finish();
rollback;
