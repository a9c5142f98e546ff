-- Only service_role may register SIMs, pin recipients, read the senders' status or the routing tables;
-- anon and authenticated get "permission denied"; the helpers live in schema internal. The history of
-- moves is append-only, even for service_role.
begin;
\ir _fixture.psql
select plan(16);

set local role anon;
select throws_ok($$select public.register_sender('w', '310260000000001', null, null, '{}')$$, '42501',
  'permission denied for function register_sender', 'anon cannot register a SIM');
select throws_ok($$select public.pin_recipient('+12095550100', 1, 'x')$$, '42501',
  'permission denied for function pin_recipient', 'anon cannot pin');
select throws_ok($$select * from public.sender_status()$$, '42501', 'permission denied for function sender_status', 'anon cannot read the status');
select throws_ok($$select * from public.senders$$, '42501', 'permission denied for table senders', 'anon cannot read senders');
select throws_ok($$select * from public.recipient_senders$$, '42501', 'permission denied for table recipient_senders', 'anon cannot read assignments');
select throws_ok($$select * from public.dashboard_senders$$, '42501', 'permission denied for view dashboard_senders', 'anon cannot read the dashboard view');
reset role;

set local role authenticated;
select throws_ok($$select public.register_sender('w', '310260000000001', null, null, '{}')$$, '42501',
  'permission denied for function register_sender', 'authenticated cannot register a SIM');
select throws_ok($$select * from public.recipient_sender_moves$$, '42501',
  'permission denied for table recipient_sender_moves', 'authenticated cannot read the moves');
select throws_ok($$select * from public.sender_settings$$, '42501', 'permission denied for table sender_settings', 'authenticated cannot read the settings');
reset role;

set local role service_role;
select is((select imsi from public.register_sender('svc', '310260000000001', null, null, '{}')), '310260000000001',
  'service_role registers a SIM');
select is((select count(*) from public.sender_status()), 1::bigint, 'service_role reads the status');
select lives_ok($$select * from public.dashboard_senders, public.dashboard_recipient_moves$$, 'and the dashboard views');
select lives_ok($$select public.pin_recipient('+12095550100', (select id from public.senders), 'x')$$, 'service_role pins');
select throws_ok($$delete from public.recipient_sender_moves$$, '42501', 'permission denied for table recipient_sender_moves',
  'service_role cannot delete the history of moves');
select throws_ok($$select internal.claim_route('svc', now())$$, '42501', 'permission denied for schema internal',
  'nor call the internal helpers');
reset role;
select throws_ok($$update public.recipient_sender_moves set reason = 'nothing happened'$$, '55000', null,
  'even the owner cannot rewrite the history (append-only)');

select * from finish();
rollback;
