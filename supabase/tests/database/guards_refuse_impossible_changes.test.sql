-- State-machine guards: errors name the row and the reason.
begin;
create extension if not exists pgtap with schema extensions;
set local search_path = public, extensions;
select plan(6);

insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, status,
                                       campaign_name, sent_at)
values ('+12095550951', 'Pgtap Guard', 'done', now() - interval '1 hour', 'sent', 'pgtap-guard', now());
create temporary table guard_row on commit drop as
  select id from public.scheduled_messages where campaign_name = 'pgtap-guard';
grant select on guard_row to public;

select throws_like(
  format($$update public.scheduled_messages set status = 'cancelled' where id = %s$$, (select id from guard_row)),
  format('scheduled_messages row %s: cannot cancel, it was already sent%%', (select id from guard_row)),
  'cancelling a sent row is refused and names the row');
select throws_like(
  format($$update public.scheduled_messages set message_content = 'x' where id = %s$$, (select id from guard_row)),
  format('scheduled_messages row %s: cannot change message_content while it is sent', (select id from guard_row)),
  'editing a sent row is refused');
select throws_like(
  format($$update public.scheduled_messages set status = 'SCH' where id = %s$$, (select id from guard_row)),
  '%cannot move from sent to SCH%', 'moving backwards is refused');

insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+12095550952', 'Pgtap Guard 2', 'later', now() + interval '1 day', 'pgtap-guard-2');
select throws_like(
  $$update public.scheduled_messages set scheduled_for = now() - interval '1 hour' where campaign_name = 'pgtap-guard-2'$$,
  '%cannot reschedule into the past%', 'a reschedule into the past is refused');
select lives_ok(
  $$update public.scheduled_messages set scheduled_for = scheduled_for + interval '1 hour' where campaign_name = 'pgtap-guard-2'$$,
  'pushing a SCH row back an hour is allowed');
select throws_ok(
  $$insert into public.scheduled_messages (phone_number, message_content, scheduled_for) values ('209-555-0100', 'x', now())$$,
  '23514', null, 'a number that is not E.164 is refused');

select * from finish();
rollback;
