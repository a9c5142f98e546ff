-- Demo rows for `supabase db reset`: a small campaign in every state a person sees in the dashboard.
-- Why fictional numbers: +1 xxx 555-01xx are reserved for fiction; nothing here can reach a real phone.

insert into public.campaign_messages (campaign_name, customer_name, phone_number, message_content, status)
values
  ('demo-budtenders', 'Avery Demo', '+12095550101', 'Hi Avery! [BUBBLE] New menu drops Friday. [BUBBLE] Reply STOP to opt out.', 'APR'),
  ('demo-budtenders', 'Blake Demo', '+15595550102', 'Hi Blake! [BUBBLE] New menu drops Friday. [BUBBLE] Reply STOP to opt out.', 'APR'),
  ('demo-budtenders', 'Casey Demo', '+12095550103', 'Hi Casey! [BUBBLE] New menu drops Friday. [BUBBLE] Reply STOP to opt out.', 'SUG'),
  ('demo-budtenders', 'Drew Demo', '+15595550104', 'Hi Drew! [BUBBLE] New menu drops Friday. [BUBBLE] Reply STOP to opt out.', 'SUG')
on conflict do nothing;

-- Two approved texts scheduled (this moves their campaign rows APR -> SCH), a few minutes apart.
insert into public.scheduled_messages (campaign_message_id, phone_number, customer_name, message_content,
                                       scheduled_for, campaign_name)
select c.id, c.phone_number, c.customer_name, c.message_content,
       now() + (row_number() over (order by c.id)) * interval '5 minutes', c.campaign_name
  from public.campaign_messages c
 where c.campaign_name = 'demo-budtenders' and c.status = 'APR'
on conflict do nothing;

-- A direct test message, as in the seed's Test 2 (no campaign row).
insert into public.scheduled_messages (phone_number, customer_name, message_content, scheduled_for, campaign_name)
values ('+16195550199', 'Test User', E'Test bubble 1\n\n[BUBBLE]\n\nTest bubble 2', now() + interval '2 minutes', 'test');
