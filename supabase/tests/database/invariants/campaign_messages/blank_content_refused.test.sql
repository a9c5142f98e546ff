-- Invariant (g): texts are non-blank, bubbles too. Attack (issue 10): blank message_content was accepted
-- (an approval of nothing; promotion later failed the row). Refused (23514) on insert and on edit.
begin;
\ir ../_fixture.psql
select plan(6);

insert into campaign_messages (campaign_name, phone_number, message_content)
values ('inv-blank', '+12095550801', 'a real text') returning id as cm \gset
select pg_temp.snapshot();

select pg_temp.refused(format($$insert into campaign_messages (campaign_name, phone_number, message_content)
                                values ('inv-blank', '+12095550802', %L)$$, t),
                       '23514', null, null, format('text %s is refused', d))
  from (values ('', 'empty'), (E' \n ', 'white space'), (E'\u200B\uFEFF', 'invisible characters only'),
               ('hi [BUBBLE] [BUBBLE] there', 'with an empty bubble')) v(t, d);
select pg_temp.refused(format($$update campaign_messages set message_content = ' ' where id = %s$$, :cm),
  '23514', 'campaign_messages', :cm, 'editing a SUG row''s text to blank is refused, naming the row');
select is(pg_temp.changes(), 0::bigint, 'nothing changed');

select * from finish();
rollback;
