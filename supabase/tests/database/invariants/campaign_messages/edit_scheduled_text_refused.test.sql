-- Invariant (b): what is queued is what was approved. Attack: once its scheduled message exists, a
-- person edits the campaign row's text or number (the approval and the SMS no longer agree). Refused
-- while the campaign row is SCH (edit the scheduled message, which is an approval of its text).
begin;
\ir ../_fixture.psql
select plan(4);

select pg_temp.approved('+12095550810', 'approved text') as cm \gset
select pg_temp.schedule(:cm) as sm \gset
select is(pg_temp.cm_status(:cm), 'SCH', 'set-up: the campaign row followed to SCH');
select pg_temp.snapshot();

select pg_temp.refused(format($$update campaign_messages set message_content = 'other text' where id = %s$$, :cm),
  '55000', 'campaign_messages', :cm, 'editing the text of an SCH campaign row is refused (55000, naming the row)');
select pg_temp.refused(format($$update campaign_messages set phone_number = '+12095550811' where id = %s$$, :cm),
  '55000', 'campaign_messages', :cm, 'editing the number of an SCH campaign row is refused');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from finish();
rollback;
