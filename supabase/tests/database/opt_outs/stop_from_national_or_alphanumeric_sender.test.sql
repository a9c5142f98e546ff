-- The sender is kept as the network gave it; opt-outs and replies use its E.164 form (reply_number): a
-- US number in national form (10 digits, or 11 starting with 1) is +1 and that number; a short code or an
-- alphanumeric sender ("BANK") can be neither opted out nor answered, and the reply says so.
begin;
\ir ../_inbound_fixture.psql
select plan(6);

select pg_temp.queue_message('+12095550901', 2) as sm \gset
select pg_temp.reply('2095550901', 'STOP') as national \gset
select results_eq(format('select phone_number, reply_number, action from public.inbound_messages where id = %s', :national),
  $$values ('2095550901'::text, '+12095550901'::text, 'opt_out'::text)$$, 'a national-form sender is kept, its E.164 form used');
select ok(pg_temp.opted_out('+12095550901'), 'the E.164 number is opted out');
select is((select status from public.scheduled_messages where id = :sm), 'cancelled', 'and its texts stop');
select is(pg_temp.replies('+12095550901', 'opt_out_confirmation'), 1::bigint, 'the confirmation goes to the E.164 number');

select pg_temp.reply('BANK', 'STOP') as alpha \gset
select results_eq(format('select reply_number, action, action_note from public.inbound_messages where id = %s', :alpha),
  $$values (null::text, 'opt_out'::text, 'the sender is not a phone number (E.164): nothing to opt out or answer'::text)$$,
  'an alphanumeric sender''s STOP is decided and kept, nothing else');
select is((select count(*) from public.opt_outs), 1::bigint, 'no opt-out row for it');

select * from finish();
rollback;
