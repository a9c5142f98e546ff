-- Supabase exposes `public` over HTTP: the anon and authenticated roles must not read a customer's number.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(10);

insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550901', 'Pgtap Anon', 'hello', now() + interval '1 day', 'pgtap-anon');

select ok((select relrowsecurity from pg_class where oid = 'public.scheduled_messages'::regclass),
          'RLS is enabled on scheduled_messages');
select ok((select relrowsecurity from pg_class where oid = 'public.campaign_messages'::regclass),
          'RLS is enabled on campaign_messages');
select ok((select relrowsecurity from pg_class where oid = 'public.messages'::regclass),
          'RLS is enabled on messages');
select ok((select relrowsecurity from pg_class where oid = 'public.send_window'::regclass),
          'RLS is enabled on send_window');

set local role anon;
select throws_ok('select phone_number from public.scheduled_messages', '42501', null,
                 'anon cannot read scheduled_messages.phone_number');
select throws_ok('select phone_number from public.campaign_messages', '42501', null,
                 'anon cannot read campaign_messages.phone_number');
select throws_ok('select phone_number from public.messages', '42501', null,
                 'anon cannot read messages.phone_number');
select throws_ok('select phone_number from public.scheduled_messages_pst', '42501', null,
                 'anon cannot read phone numbers through the scheduled_messages_pst view');
reset role;

set local role authenticated;
select throws_ok('select phone_number from public.scheduled_messages', '42501', null,
                 'authenticated cannot read scheduled_messages.phone_number');
reset role;

set local role service_role;
select is((select count(*)::integer from public.scheduled_messages where campaign_name = 'pgtap-anon'), 1,
          'service_role reads the row');
reset role;

select * from finish();
rollback;
