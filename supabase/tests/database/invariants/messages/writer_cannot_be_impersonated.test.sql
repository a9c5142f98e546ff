-- Invariant (h), one writer per move: "a person's statement can never make a move reserved for it"
-- (docs/state-machine.md, Writers). The writer is read from the setting sms.writer, which each writer
-- function sets in its definition; a person can set it too. Attack: service_role (the dashboard's key)
-- runs `set local sms.writer = 'promotion'` and inserts a bubble, or `= 'claim'` and marks one sending.
--
-- internal.writer() believes sms.writer only when the owning function (internal.writers) is on the call
-- stack, so both statements are the person's and are refused. (A superuser can still disable triggers.)
begin;
\ir ../_fixture.psql
select plan(3);

select pg_temp.queued('+12095550317', 'one') as sm \gset
select pg_temp.bubble(:sm, 1) as b1 \gset
select pg_temp.snapshot();

set local role service_role;
set local sms.writer = 'promotion';
select pg_temp.outcome(format($$insert into public.messages (scheduled_message_id, promotion, bubble_index, bubble_count,
                                  phone_number, content) values (%s, 1, 2, 2, '+12095550317', 'forged')$$, :sm)) as forged_insert \gset
set local sms.writer = 'claim';
select pg_temp.outcome(format($$update public.messages set status = 'sending', worker_id = 'me', claimed_at = statement_timestamp()
                                  where id = %s$$, :b1)) as forged_claim \gset
reset sms.writer;
reset role;

select matches(:'forged_insert'::text, '^55000: ', 'an insert as a forged promotion writer is refused');
select matches(:'forged_claim'::text, '^55000: ', 'a claim move as a forged claim writer is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from finish();
rollback;
