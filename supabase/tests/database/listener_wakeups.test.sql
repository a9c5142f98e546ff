-- Wake-ups: messages is in the supabase_realtime publication, and the notify triggers fire on a
-- queued insert and on a return to queued (delivery itself is tested with LISTEN in pytest).
begin;
\ir _listener_fixture.psql
select plan(5);

select ok(exists (select 1 from pg_publication_tables
                   where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'messages'),
  'public.messages is in the supabase_realtime publication');
select trigger_is('public', 'messages', 'messages_notify_inserted', 'internal', 'messages_notify_queued',
  'an AFTER INSERT trigger notifies about queued bubbles');
select trigger_is('public', 'messages', 'messages_notify_requeued', 'internal', 'messages_notify_queued',
  'an AFTER UPDATE trigger notifies when a bubble is queued again');

-- pg_notify inside this transaction is queued until commit (never, here); the trigger must still run
-- without error for a promotion's insert and a release.
select pg_temp.queue_message('+12095550211', 1) as sm \gset
select lives_ok($$select pg_temp.claim('w')$$, 'claiming after a notifying insert works');
select is((select status from public.release_bubble(pg_temp.bubble(:sm, 1), 'w')), 'queued', 'a release (which notifies) works');

select * from finish();
rollback;
