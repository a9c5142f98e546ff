-- Every function of ours is callable by service_role only, never by anon/authenticated over the API.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(6);

select is_empty($$
  select p.proname
    from pg_proc p
   where p.pronamespace = 'public'::regnamespace
     and p.prokind = 'f'
     and (has_function_privilege('anon', p.oid, 'execute')
          or has_function_privilege('authenticated', p.oid, 'execute'))
$$, 'no public function is executable by anon or authenticated');

set local role anon;
select throws_ok('select public.process_scheduled_messages_safe()', '42501', null,
                 'anon cannot trigger promotion');
select throws_ok('select public.is_business_hours()', '42501', null, 'anon cannot call is_business_hours');
reset role;

set local role service_role;
select lives_ok('select public.is_business_hours()', 'service_role calls is_business_hours');
select lives_ok('select public.next_window_opening()', 'service_role calls next_window_opening');
select lives_ok('select public.promotion_job_active()', 'service_role calls promotion_job_active');
reset role;

select * from finish();
rollback;
