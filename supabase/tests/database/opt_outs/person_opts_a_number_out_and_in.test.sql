-- opt_out_number / opt_in_number: a person opts a number out by hand (no text is sent; its SCH and
-- queued texts are cancelled at once) and back in with a reason; the history says who; opted_out_among
-- lists the opted-out numbers among a list (the scheduler's import and preview).
begin;
\ir ../_inbound_fixture.psql
select plan(9);

insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550531', 'Bo', 'Hi', pg_temp.pt('2025-11-05 16:00'), 'c') returning id as sm \gset
select results_eq($$select phone_number, opted_out, changed_by, note from public.opt_out_number('+12095550531', 'asked by phone')$$,
  $$values ('+12095550531'::text, true, 'person (postgres)'::text, 'asked by phone'::text)$$,
  'opt_out_number returns the opt-out row, naming the person');
select is((select status from public.scheduled_messages where id = :sm), 'cancelled', 'its SCH text is cancelled');
select is((select count(*) from public.messages where phone_number = '+12095550531'), 0::bigint, 'no confirmation text');
select is(public.opted_out_among(array['+12095550531', '+12095550532']), '+12095550531', 'opted_out_among finds it');
select throws_ok($$select public.opt_in_number('+12095550531', '  ')$$, '22023', null, 'opting in needs a reason');
select throws_ok($$select public.opt_out_number('209-555-0531', null)$$, '22023', null, 'a number must be E.164');
set local role service_role;
select is((select opted_out from public.opt_in_number('+12095550531', 'signed the form again')), false,
  'opt_in_number opts it back in');
reset role;
select results_eq($$select opted_out, changed_by from public.opt_out_history where phone_number = '+12095550531' order by id$$,
  $$values (true, 'person (postgres)'::text), (false, 'person (service_role)'::text)$$, 'the history says who did what');
select is_empty($$select public.opted_out_among(array['+12095550531'])$$, 'and it is no longer among the opted out');

select * from finish();
rollback;
