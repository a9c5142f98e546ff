-- Attacks by a person in the dashboard (as service_role, and as postgres) on what customers wrote and on
-- their opt-outs (issue 12; DESIGN invariant "nothing opted-out is queued"): editing a reply's body or
-- decision, deleting a reply, deleting or flipping an opt-out to sneak a text through, writing the
-- history, inserting a reply bubble by hand. All refused with the table named and the way out; the
-- settings row is the one thing a person edits.
begin;
\ir ../_fixture.psql
select plan(14);

select r.inbound_message_id as stop
  from public.record_inbound_part('w1', '+12095550601', statement_timestamp(), 'STOP', null, null, null, 'AA') r \gset

set local role service_role;
select throws_ok(format($$update public.inbound_messages set body = 'hello' where id = %s$$, :stop), '42501', null,
  'service_role cannot update a reply (no UPDATE privilege)');
select throws_ok($$delete from public.opt_outs$$, '42501', null, 'service_role cannot delete an opt-out');
select throws_ok($$insert into public.opt_outs (phone_number, opted_out, changed_by) values ('+12095550602', false, 'me')$$,
  '42501', null, 'nor insert one');
select throws_ok($$truncate public.opt_outs$$, '42501', null, 'nor truncate the opt-outs');
select lives_ok($$update public.inbound_settings set help_reply = 'Call us at 555-0100. Reply STOP to opt out.'$$,
  'service_role edits the settings row');
reset role;

-- As postgres (the SQL editor): the guards refuse what the privileges would allow.
select pg_temp.refused(format($$update public.inbound_messages set body = 'hello' where id = %s$$, :stop), '55000',
  'inbound_messages', null, 'a reply''s body cannot be rewritten');
select pg_temp.refused(format($$update public.inbound_messages set action = 'none' where id = %s$$, :stop), '55000',
  'inbound_messages', null, 'nor its decision');
select pg_temp.refused(format($$delete from public.inbound_messages where id = %s$$, :stop), '55000',
  'inbound_messages', null, 'nor can a reply be deleted');
select pg_temp.refused($$delete from public.opt_outs where phone_number = '+12095550601'$$, '55000', 'opt_outs', null,
  'an opt-out cannot be deleted to sneak a text through');
select pg_temp.refused($$update public.opt_outs set opted_out = false where phone_number = '+12095550601'$$, '55000',
  'opt_outs', null, 'nor flipped by hand (opt_in_number records who and why)');
select pg_temp.refused($$delete from public.opt_out_history$$, '55000', 'opt_out_history', null, 'the history is append-only');
select pg_temp.refused($$insert into public.messages (phone_number, content, reply_kind, inbound_message_id)
                         values ('+12095550601', 'Free pizza!', 'help', 1)$$, '55000', 'messages', null,
  'a reply bubble cannot be inserted by hand');

set local sms.writer = 'opt_out';
select pg_temp.refused($$delete from public.opt_outs$$, '55000', 'opt_outs', null,
  'claiming to be the opt_out writer does not help (the writer is believed only from its function)');
reset sms.writer;

select is((select count(*) from public.opt_outs where opted_out), 1::bigint, 'the opt-out stands');

select * from finish();
rollback;
