-- claim_next_bubble re-checks the opt-out (defence in depth): a queued bubble to a number that is
-- opted out is never handed out, even in a state the opt-out's own cancel did not reach (forged here
-- with triggers off: an opt-out committed while a promotion of that number was in flight).
begin;
\ir ../_inbound_fixture.psql
select plan(3);

select pg_temp.queue_message('+12095550351', 2) as sm \gset
set local session_replication_role = replica;
insert into public.opt_outs (phone_number, opted_out, changed_by) values ('+12095550351', true, 'forged');
set local session_replication_role = origin;
select is(pg_temp.claim('w1'), null, 'no bubble to an opted-out number is claimed');
select is(public.next_bubble_due_at(), null, 'and next_bubble_due_at does not count it');
select pg_temp.queue_message('+12095550352', 1) as other \gset
select is(pg_temp.claim('w1'), pg_temp.bubble(:other, 1), 'a bubble to another number is claimed as usual');

select * from finish();
rollback;
