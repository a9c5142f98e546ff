-- Inbound SMS, keywords, opt-outs and the replies they cause (issue 12).
--
-- Why in SQL: US law (TCPA, FCC 2024 revocation rule, 47 CFR 64.1200(a)(10)) and the carriers' rules
-- (CTIA) require that a reply such as STOP ends all further marketing texts at once and that the
-- customer gets one confirmation. Whoever writes an inbound row (a listener, another gateway, a person)
-- must get the same decision, and the decision must hold against every path that sends: promotion, the
-- claim, a retry. So the keyword decision (internal.classify_reply), the opt-out record and the
-- suppression are here, next to the tables they guard; the listener only stores what the modem heard.
--
-- The pieces, in order: settings (public.inbound_settings, one row the dashboard edits); the fold and
-- the classification; the inbound tables (parts waiting for their siblings, whole replies, malformed
-- PDUs); opt-outs with their history; reply bubbles (messages rows with no scheduled message); the API
-- functions (docs/sql-listener-api.md); the dashboard views (docs/sql-api.md). Every table has RLS and no
-- policy; service_role may read them and edit only the settings row; every write goes through one
-- SECURITY DEFINER function that declares its writer (internal.writers), and guard triggers refuse the
-- rest, so a person in the dashboard cannot edit what a customer wrote or delete an opt-out to sneak a
-- text through.

-- Settings ----------------------------------------------------------------------------------------
create table public.inbound_settings (
  id boolean primary key default true,
  -- A reply that is one of these alone (filler ignored) opts the number out.
  opt_out_words text[] not null
    default '{STOP,STOPALL,UNSUBSCRIBE,CANCEL,END,QUIT,REVOKE,OPTOUT,OPT OUT}',
  -- A reply that contains one of these anywhere, as whole words, opts the number out.
  opt_out_anywhere_words text[] not null default '{STOP,STOPALL,UNSUBSCRIBE,OPTOUT,OPT OUT,REVOKE}',
  -- A longer reply that contains one of these (and no opt-out word anywhere) is flagged for a person.
  ambiguous_words text[] not null default '{END,CANCEL,QUIT}',
  opt_in_words text[] not null default '{START,UNSTOP,YES}',
  help_words text[] not null default '{HELP,INFO}',
  -- Ignored around a keyword: "Stop please", "STOP NOW", "unsubscribe me", "opt me out".
  filler_words text[] not null
    default '{PLEASE,PLS,PLZ,NOW,ME,THANKS,THANK YOU,THX,TY,JUST,OK,OKAY}',
  opt_out_reply text not null
    default 'You are unsubscribed and will receive no more messages from this number. Reply START to resubscribe.',
  opt_in_reply text not null
    default 'You are subscribed again. Reply STOP to unsubscribe, HELP for help.',
  help_reply text not null
    default 'Reply STOP to unsubscribe, START to resubscribe. Msg & data rates may apply.',
  -- At most one HELP reply per number in this interval ('0' = one per HELP).
  help_reply_interval interval not null default '1 hour',
  -- Parts of a concatenated reply still missing after this long become an incomplete message.
  missing_part_wait interval not null default '24 hours',
  updated_at timestamptz not null default now(),
  constraint inbound_settings_singleton check (id),
  constraint inbound_settings_help_reply_interval_bounds
    check (help_reply_interval between interval '0' and interval '7 days'),
  constraint inbound_settings_missing_part_wait_bounds
    check (missing_part_wait between interval '1 minute' and interval '7 days')
);

comment on table public.inbound_settings is
  'Singleton settings row for replies (issue 12): the keyword lists (stored folded: upper case, no accents or '
  'punctuation), the reply texts, the HELP rate limit and how long to wait for missing parts. Edit it; never '
  'delete it. docs/sql-api.md explains each list.';

alter table public.inbound_settings enable row level security;
revoke all on table public.inbound_settings from public, anon, authenticated, service_role;
grant select, insert, update on table public.inbound_settings to service_role;

-- The fold every word and reply goes through: compatibility decomposition (full-width letters, ligatures),
-- accents dropped, a few letters without a decomposition spelled out, upper case, and every run of
-- anything that is not A-Z or 0-9 (punctuation, emoji, white space, other scripts) one space. No
-- extension: unaccent is not in the same schema everywhere (hosted Supabase puts it in `extensions`).
create function internal.fold_text(body text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select pg_catalog.btrim(pg_catalog.regexp_replace(
           pg_catalog.upper(pg_catalog.translate(
             pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
               pg_catalog.regexp_replace(normalize(coalesce($1, ''), NFKD), '[\u0300-\u036F]', '', 'g'),
               'ß', 'ss'), 'æ', 'ae'), 'Æ', 'AE'), 'œ', 'oe'), 'Œ', 'OE'),
             'øØłŁđĐħĦıþÞ', 'oOlLdDhHitT')),
           '[^A-Z0-9]+', ' ', 'g'))
$$;

comment on function internal.fold_text(text) is
  'A reply as the keyword rules see it: no case, accents, punctuation or emoji; words separated by one space.';

-- Fold a settings list, refusing what a person could not mean; `column_name` names it in the error.
create function internal.fold_words(words text[], column_name text)
returns text[]
language plpgsql
immutable
set search_path = ''
as $$
declare
  v_out text[] := '{}'::text[];
  v_word text;
  v_folded text;
  v_i integer := 0;
begin
  if words is null then
    raise exception 'inbound_settings.%: the list is missing (use ''{}'' for none)', column_name
      using errcode = 'check_violation', constraint = 'inbound_settings_' || column_name;
  end if;
  if cardinality(words) > 100 then
    raise exception 'inbound_settings.%: % words, at most 100', column_name, cardinality(words)
      using errcode = 'check_violation', constraint = 'inbound_settings_' || column_name;
  end if;
  foreach v_word in array words loop
    v_i := v_i + 1;
    v_folded := internal.fold_text(v_word);
    if v_folded = '' or char_length(v_folded) > 40 then
      raise exception 'inbound_settings.%: word % (%) is % once case, accents and punctuation are ignored',
        column_name, v_i, coalesce(pg_catalog.quote_literal(pg_catalog.left(v_word, 40)), 'null'),
        case when v_folded = '' then 'empty' else 'longer than 40 characters' end
        using errcode = 'check_violation', constraint = 'inbound_settings_' || column_name,
              hint = 'A keyword is letters and digits, e.g. STOP or OPT OUT.';
    end if;
    if not v_folded = any (v_out) then
      v_out := v_out || v_folded;
    end if;
  end loop;
  return v_out;
end
$$;

create function internal.inbound_settings_validate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_fcc constant text[] := '{STOP,QUIT,END,REVOKE,OPT OUT,CANCEL,UNSUBSCRIBE}';
  v_missing text;
  v_clash text;
  v_column text;
  v_text text;
begin
  if tg_op = 'DELETE' then
    raise exception 'inbound_settings: the settings row cannot be deleted; update it instead'
      using errcode = 'restrict_violation';
  end if;
  new.opt_out_words := internal.fold_words(new.opt_out_words, 'opt_out_words');
  new.opt_out_anywhere_words := internal.fold_words(new.opt_out_anywhere_words, 'opt_out_anywhere_words');
  new.ambiguous_words := internal.fold_words(new.ambiguous_words, 'ambiguous_words');
  new.opt_in_words := internal.fold_words(new.opt_in_words, 'opt_in_words');
  new.help_words := internal.fold_words(new.help_words, 'help_words');
  new.filler_words := internal.fold_words(new.filler_words, 'filler_words');
  select string_agg(w, ', ') into v_missing from unnest(v_fcc) w where not w = any (new.opt_out_words);
  if v_missing is not null then
    raise exception 'inbound_settings.opt_out_words must keep the FCC''s revocation words: % missing', v_missing
      using errcode = 'check_violation', constraint = 'inbound_settings_opt_out_words',
            hint = '47 CFR 64.1200(a)(10) names stop, quit, end, revoke, opt out, cancel and unsubscribe; add words, do not remove these.';
  end if;
  -- A word may belong to one meaning only (opt-out words may also be "anywhere" or ambiguous words).
  select format('%s is both an opt-out word and an %s word', w, k) into v_clash
    from (select w, 'opt-in' as k from unnest(new.opt_in_words) w
          union all select w, 'help' from unnest(new.help_words) w
          union all select w, 'filler' from unnest(new.filler_words) w) x
   where w = any (new.opt_out_words || new.opt_out_anywhere_words || new.ambiguous_words)
   limit 1;
  if v_clash is null then
    select format('%s is both a %s word and a %s word', a.w, a.k, b.k) into v_clash
      from (select w, 'opt-in' as k from unnest(new.opt_in_words) w
            union all select w, 'help' from unnest(new.help_words) w
            union all select w, 'filler' from unnest(new.filler_words) w) a
      join (select w, 'opt-in' as k from unnest(new.opt_in_words) w
            union all select w, 'help' from unnest(new.help_words) w
            union all select w, 'filler' from unnest(new.filler_words) w) b on a.w = b.w and a.k < b.k
     limit 1;
  end if;
  if v_clash is not null then
    raise exception 'inbound_settings: %', v_clash
      using errcode = 'check_violation', constraint = 'inbound_settings_words_disjoint',
            hint = 'Remove the word from one of the lists.';
  end if;
  foreach v_column in array array['opt_out_reply', 'opt_in_reply', 'help_reply'] loop
    v_text := case v_column when 'opt_out_reply' then new.opt_out_reply when 'opt_in_reply' then new.opt_in_reply
                            else new.help_reply end;
    if v_text is null or pg_catalog.btrim(v_text) = '' or char_length(v_text) > 1600
       or pg_catalog.strpos(v_text, '[BUBBLE]') > 0 or internal.bubble_problem(v_text) is not null then
      raise exception 'inbound_settings.%: %', v_column,
        case when v_text is null or pg_catalog.btrim(v_text) = '' then 'the reply text is empty'
             when char_length(v_text) > 1600 then format('%s characters, at most 1,600', char_length(v_text))
             when pg_catalog.strpos(v_text, '[BUBBLE]') > 0 then 'a reply is one bubble: remove [BUBBLE]'
             else internal.bubble_problem(v_text) end
        using errcode = 'check_violation', constraint = 'inbound_settings_' || v_column;
    end if;
  end loop;
  new.updated_at := pg_catalog.statement_timestamp();
  return new;
end
$$;

create function internal.refuse_truncate()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  raise exception '%: cannot be truncated (its rows are a record the law or the system relies on)', tg_table_name
    using errcode = 'restrict_violation';
end
$$;

create trigger inbound_settings_validate
  before insert or update or delete on public.inbound_settings
  for each row execute function internal.inbound_settings_validate();
create trigger inbound_settings_refuse_truncate
  before truncate on public.inbound_settings
  for each statement execute function internal.refuse_truncate();

insert into public.inbound_settings default values on conflict (id) do nothing;

create function internal.inbound_settings()
returns public.inbound_settings
language plpgsql
stable
set search_path = ''
as $$
declare
  v_settings public.inbound_settings;
begin
  select * into v_settings from public.inbound_settings where id;
  if not found then
    raise exception 'inbound_settings: the settings row is missing'
      using errcode = 'P0002', hint = 'insert into public.inbound_settings default values; restores the defaults.';
  end if;
  return v_settings;
end
$$;

-- The keyword decision ---------------------------------------------------------------------------
-- action: opt_out | opt_in | help | flagged | none; keyword: the (folded) word that decided it.
--   1. the reply without filler is an opt-out word alone              -> opt_out  ("Stop please", "OPT-OUT")
--   2. it contains an "anywhere" word as whole words                  -> opt_out  ("please stop texting me")
--   3. the reply without filler is an opt-in word alone               -> opt_in   ("START", "yes!")
--   4. the reply without filler is a help word alone                  -> help     ("HELP?")
--   5. it contains an ambiguous word as a whole word                  -> flagged  ("cancel my appointment")
--   6. anything else                                                   -> none     ("stopping by later")
create function internal.classify_reply(body text, out action text, out keyword text)
language plpgsql
stable
set search_path = ''
as $$
declare
  v_settings constant public.inbound_settings := internal.inbound_settings();
  v_folded constant text := internal.fold_text(body);
  v_core text := ' ' || internal.fold_text(body) || ' ';
  v_previous text;
  v_word text;
begin
  action := 'none';
  keyword := null;
  if v_folded = '' then
    return;
  end if;
  loop
    v_previous := v_core;
    foreach v_word in array v_settings.filler_words loop
      v_core := pg_catalog.replace(v_core, ' ' || v_word || ' ', ' ');
    end loop;
    exit when v_core = v_previous;
  end loop;
  v_core := pg_catalog.btrim(v_core);
  if v_core = any (v_settings.opt_out_words) then
    action := 'opt_out';
    keyword := v_core;
    return;
  end if;
  foreach v_word in array v_settings.opt_out_anywhere_words loop
    if pg_catalog.strpos(' ' || v_folded || ' ', ' ' || v_word || ' ') > 0
       or pg_catalog.strpos(' ' || v_core || ' ', ' ' || v_word || ' ') > 0 then
      action := 'opt_out';
      keyword := v_word;
      return;
    end if;
  end loop;
  if v_core = any (v_settings.opt_in_words) then
    action := 'opt_in';
    keyword := v_core;
    return;
  end if;
  if v_core = any (v_settings.help_words) then
    action := 'help';
    keyword := v_core;
    return;
  end if;
  foreach v_word in array v_settings.ambiguous_words loop
    if pg_catalog.strpos(' ' || v_folded || ' ', ' ' || v_word || ' ') > 0 then
      action := 'flagged';
      keyword := v_word;
      return;
    end if;
  end loop;
end
$$;

comment on function internal.classify_reply(text) is
  'The keyword decision for a reply (opt_out, opt_in, help, flagged, none) and the word that decided it; the '
  'rules are in docs/sql-api.md ("Replies and opt-outs") and the lists in public.inbound_settings.';

-- Ten business days (Monday to Friday in the send window's time zone; holidays are not counted) after
-- `moment`: the end of the tenth weekday after its local date. The FCC's deadline to honour a revocation.
create function internal.honour_by(moment timestamptz)
returns timestamptz
language sql
stable
set search_path = ''
as $$
  select ((select max(d.day) from (
            select g.day::date as day
              from public.send_window w2
             cross join lateral pg_catalog.generate_series(($1 at time zone w2.time_zone)::date + 1,
                                                           ($1 at time zone w2.time_zone)::date + 20,
                                                           interval '1 day') as g(day)
             where w2.id and extract(isodow from g.day) < 6
             order by g.day
             limit 10) d) + 1)::timestamp at time zone w.time_zone
    from public.send_window w
   where w.id
$$;

-- Inbound tables -------------------------------------------------------------------------------------
-- phone_number is the sender as decoded: E.164 (+ and digits) for a number, else the text the network
-- gave (national digits, a short code, an alphanumeric name such as "BANK"). Only an E.164 sender can
-- be opted out or answered (messages.phone_number is E.164).
create table public.inbound_messages (
  id bigint generated always as identity primary key,
  phone_number text not null,
  reply_number text,
  body text not null,
  received_at timestamptz not null,
  stored_at timestamptz not null default statement_timestamp(),
  worker_id text not null,
  raw_pdus text[] not null,
  part_count integer not null default 1,
  parts_expected integer not null default 1,
  incomplete boolean not null default false,
  missing_parts integer[] not null default '{}',
  scheduled_message_id bigint references public.scheduled_messages (id) on delete set null,
  action text not null default 'none',
  keyword text,
  action_note text,
  reviewed_at timestamptz,
  review_note text,
  constraint inbound_messages_phone_number_length check (char_length(phone_number) between 1 and 40),
  constraint inbound_messages_body_length check (char_length(body) <= 260000),
  constraint inbound_messages_worker_id_length check (char_length(worker_id) between 1 and 100),
  constraint inbound_messages_action_check check (action in ('opt_out', 'opt_in', 'help', 'flagged', 'none')),
  constraint inbound_messages_parts check (part_count between 1 and 255 and parts_expected between part_count and 255
                                           and incomplete = (part_count < parts_expected)),
  constraint inbound_messages_moments_finite check (isfinite(received_at) and isfinite(stored_at)),
  constraint inbound_messages_review_note_length check (char_length(review_note) <= 2000)
);

comment on table public.inbound_messages is
  'One row per reply as the customer wrote it (concatenated parts joined), with the keyword decision '
  '(action, keyword, action_note) and the latest scheduled message sent to that number (scheduled_message_id). '
  'Written by record_inbound_part() and finish_stale_inbound_parts() only; see docs/sql-api.md.';
comment on column public.inbound_messages.phone_number is
  'The sender: E.164 for a number, else as the network gave it (national digits, short code, alphanumeric name).';
comment on column public.inbound_messages.reply_number is
  'The E.164 number that opt-outs, replies and the context use: phone_number itself, or a US number the network '
  'gave in national form (10 digits, or 11 starting with 1); null for a short code or an alphanumeric sender.';
comment on column public.inbound_messages.received_at is 'The service-centre time stamp (SCTS) of its first part.';
comment on column public.inbound_messages.incomplete is
  'Some parts never arrived within inbound_settings.missing_part_wait (missing_parts lists them); body joins the rest.';

create index inbound_messages_phone_idx on public.inbound_messages (phone_number, received_at);
create index inbound_messages_reply_number_idx on public.inbound_messages (reply_number, received_at);
create index inbound_messages_flagged_idx on public.inbound_messages (received_at) where action = 'flagged' and reviewed_at is null;

alter table public.inbound_messages enable row level security;
-- Read-only for service_role (Supabase's default privileges would give it ALL): writes go through the API functions.
revoke all on table public.inbound_messages from public, anon, authenticated, service_role;
grant select on table public.inbound_messages to service_role;
revoke all on sequence public.inbound_messages_id_seq from public, anon, authenticated, service_role;

-- Parts as the modem stored them: each SMS-DELIVER once (the natural key below), waiting for its
-- siblings while inbound_message_id is null. Kept after assembly: a re-read of a part (a crash between
-- storing and deleting it from the modem) must still be recognised.
create table public.inbound_parts (
  id bigint generated always as identity primary key,
  worker_id text not null,
  sender text not null,
  received_at timestamptz not null,
  body text not null,
  concat_ref integer,
  concat_total integer,
  concat_seq integer,
  raw_pdu text not null,
  stored_at timestamptz not null default statement_timestamp(),
  inbound_message_id bigint references public.inbound_messages (id),
  constraint inbound_parts_concat check (
    (concat_ref is null and concat_total is null and concat_seq is null)
    or (concat_ref between 0 and 65535 and concat_total between 1 and 255 and concat_seq between 1 and concat_total)
  ),
  constraint inbound_parts_lengths check (char_length(worker_id) between 1 and 100 and char_length(sender) between 1 and 40
                                          and char_length(body) <= 1000 and char_length(raw_pdu) <= 2000)
);

comment on table public.inbound_parts is
  'Every SMS-DELIVER stored once (natural key: sender, SCTS, concatenation reference, total and part number, '
  'and the text). inbound_message_id null = waiting for its siblings (by sender, concat_ref, concat_total).';

-- The natural key. Not a hash of the PDU: the same SMS delivered twice by the network (a late +CNMA) can
-- differ in the SMSC field or first-octet flags, yet has the same sender, time stamp and parts. The text
-- is in the key because the time stamp has one-second resolution: two different single SMS in the same
-- second are two messages; the same text twice in one second is one.
create unique index inbound_parts_natural_key
  on public.inbound_parts (sender, received_at, concat_ref, concat_total, concat_seq, md5(body)) nulls not distinct;
create index inbound_parts_waiting_idx
  on public.inbound_parts (sender, concat_ref, concat_total) where inbound_message_id is null;
create index inbound_parts_message_idx on public.inbound_parts (inbound_message_id);

alter table public.inbound_parts enable row level security;
-- Read-only for service_role (Supabase's default privileges would give it ALL): writes go through the API functions.
revoke all on table public.inbound_parts from public, anon, authenticated, service_role;
grant select on table public.inbound_parts to service_role;
revoke all on sequence public.inbound_parts_id_seq from public, anon, authenticated, service_role;

-- PDUs the listener could not decode (or whose values the database cannot accept), raw, with the reason.
create table public.inbound_malformed (
  id bigint generated always as identity primary key,
  worker_id text not null,
  raw_pdu text not null,
  reason text not null,
  stored_at timestamptz not null default statement_timestamp(),
  constraint inbound_malformed_lengths check (char_length(worker_id) between 1 and 100
                                              and char_length(raw_pdu) <= 4000 and char_length(reason) <= 2000)
);

comment on table public.inbound_malformed is
  'PDUs that could not be stored as a reply, kept raw (upper-case hex, no white space) with the reason; one row per PDU.';

create unique index inbound_malformed_pdu_key on public.inbound_malformed (md5(raw_pdu));

alter table public.inbound_malformed enable row level security;
-- Read-only for service_role (Supabase's default privileges would give it ALL): writes go through the API functions.
revoke all on table public.inbound_malformed from public, anon, authenticated, service_role;
grant select on table public.inbound_malformed to service_role;
revoke all on sequence public.inbound_malformed_id_seq from public, anon, authenticated, service_role;

-- Reply bubbles name the inbound message they answer (the columns are in 20261201000400_messages.sql).
alter table public.messages
  add constraint messages_inbound_message_id_fkey foreign key (inbound_message_id) references public.inbound_messages (id);
create index messages_inbound_message_idx on public.messages (inbound_message_id) where inbound_message_id is not null;
create index messages_reply_to_number_idx on public.messages (phone_number, created_at) where reply_kind is not null;
-- "The latest scheduled message sent to that number", for a reply's context.
create index messages_sent_to_number_idx on public.messages (phone_number, sent_at)
  where status = 'sent' and scheduled_message_id is not null;

-- Opt-outs -------------------------------------------------------------------------------------------
create table public.opt_outs (
  phone_number text primary key,
  opted_out boolean not null,
  changed_at timestamptz not null default statement_timestamp(),
  changed_by text not null,
  inbound_message_id bigint references public.inbound_messages (id),
  note text,
  first_opted_out_at timestamptz not null default statement_timestamp(),
  constraint opt_outs_phone_number_e164 check (phone_number ~ '^\+[1-9][0-9]{6,14}$'),
  constraint opt_outs_note_length check (char_length(note) <= 2000 and char_length(changed_by) <= 200)
);

comment on table public.opt_outs is
  'One row per number that ever opted out: opted_out now, since when, by whom (reply or person) and the inbound '
  'message that caused it. Promotion and the claim never send a campaign text to an opted-out number. Change it '
  'with opt_out_number() / opt_in_number() (or review_reply()); opt_out_history keeps every change.';

alter table public.opt_outs enable row level security;
-- Read-only for service_role (Supabase's default privileges would give it ALL): writes go through the API functions.
revoke all on table public.opt_outs from public, anon, authenticated, service_role;
grant select on table public.opt_outs to service_role;

create table public.opt_out_history (
  id bigint generated always as identity primary key,
  phone_number text not null,
  opted_out boolean not null,
  changed_at timestamptz not null default statement_timestamp(),
  changed_by text not null,
  inbound_message_id bigint references public.inbound_messages (id),
  note text
);

comment on table public.opt_out_history is 'Every opt-out and opt-in of a number, oldest first (append only).';

create index opt_out_history_phone_idx on public.opt_out_history (phone_number, changed_at);

alter table public.opt_out_history enable row level security;
-- Read-only for service_role (Supabase's default privileges would give it ALL): writes go through the API functions.
revoke all on table public.opt_out_history from public, anon, authenticated, service_role;
grant select on table public.opt_out_history to service_role;
revoke all on sequence public.opt_out_history_id_seq from public, anon, authenticated, service_role;

-- Guards: each table's rows are written by its writer only (a person's INSERT, UPDATE or DELETE is
-- refused, whoever the role), and no table can be truncated.
create function internal.inbound_refuse_foreign_write()
returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_writer constant text := internal.writer();
  v_owner constant text := tg_argv[0];
begin
  if v_writer = v_owner then
    return case when tg_op = 'DELETE' then old else new end;
  end if;
  -- A deleted scheduled message leaves its replies, without the link (on delete set null).
  if tg_table_name = 'inbound_messages' and tg_op = 'UPDATE' then
    if to_jsonb(new) ->> 'scheduled_message_id' is null
       and (to_jsonb(new) - 'scheduled_message_id') = (to_jsonb(old) - 'scheduled_message_id') then
      return new;
    end if;
  end if;
  raise exception '%: % refused: rows are written by % only, not by %', tg_table_name, pg_catalog.lower(tg_op),
    v_owner, v_writer
    using errcode = 'object_not_in_prerequisite_state',
          hint = case when tg_table_name in ('opt_outs', 'opt_out_history')
                      then 'Use select opt_out_number(''+1...'', ''why''), opt_in_number(''+1...'', ''why'') or review_reply(...).'
                      when tg_table_name = 'inbound_messages'
                      then 'A reply is kept as the customer wrote it; mark it reviewed with review_reply(id, opt_out, note).'
                      else 'The listener stores inbound SMS with record_inbound_part() (docs/sql-listener-api.md).' end;
end
$$;

create trigger inbound_messages_guard before insert or update or delete on public.inbound_messages
  for each row execute function internal.inbound_refuse_foreign_write('inbound');
create trigger inbound_parts_guard before insert or update or delete on public.inbound_parts
  for each row execute function internal.inbound_refuse_foreign_write('inbound');
create trigger inbound_malformed_guard before insert or update or delete on public.inbound_malformed
  for each row execute function internal.inbound_refuse_foreign_write('inbound');
create trigger opt_outs_guard before insert or update or delete on public.opt_outs
  for each row execute function internal.inbound_refuse_foreign_write('opt_out');
create trigger opt_out_history_guard before insert or update or delete on public.opt_out_history
  for each row execute function internal.inbound_refuse_foreign_write('opt_out');
create trigger inbound_messages_refuse_truncate before truncate on public.inbound_messages
  for each statement execute function internal.refuse_truncate();
create trigger inbound_parts_refuse_truncate before truncate on public.inbound_parts
  for each statement execute function internal.refuse_truncate();
create trigger opt_outs_refuse_truncate before truncate on public.opt_outs
  for each statement execute function internal.refuse_truncate();
create trigger opt_out_history_refuse_truncate before truncate on public.opt_out_history
  for each statement execute function internal.refuse_truncate();

-- Who a person is, for the record: the role a PostgREST request or a SET ROLE chose, else the login.
create function internal.acting_person()
returns text
language sql
stable
set search_path = ''
as $$
  select 'person (' || coalesce(nullif(pg_catalog.current_setting('role', true), 'none'), session_user::text) || ')'
$$;

-- Serialise everything about one number (its parts, its opt-out, its replies) in this transaction.
create function internal.lock_number(phone_number text)
returns void
language sql
volatile
set search_path = ''
as $$
  select pg_catalog.pg_advisory_xact_lock(1397572436, pg_catalog.hashtext($1))
$$;

-- Opt a number out (or back in). The one writer of opt_outs and opt_out_history. Returns true when the
-- state changed (false: it already was). An opt-out cancels, in the same transaction, every SCH and
-- queued scheduled message to the number (their queued bubbles follow; a bubble already `sending` is
-- left to its outcome, and the message then says how much went out).
create function internal.set_opt_out(phone_number text, opt_out boolean, inbound_message_id bigint, note text,
                                     changed_by text)
returns boolean
language plpgsql
volatile
security definer
set search_path = ''
set sms.writer = 'opt_out'
as $$
declare
  v_now constant timestamptz := pg_catalog.statement_timestamp();
  v_current public.opt_outs;
  v_note constant text := nullif(pg_catalog.btrim(coalesce($4, '')), '');
begin
  perform internal.lock_number($1);
  select * into v_current from public.opt_outs o where o.phone_number = $1 for update;
  if (found and v_current.opted_out = $2) or (not found and not $2) then
    return false;
  end if;
  insert into public.opt_outs as o (phone_number, opted_out, changed_at, changed_by, inbound_message_id, note,
                                    first_opted_out_at)
  values ($1, $2, v_now, $5, $3, v_note, v_now)
  on conflict on constraint opt_outs_pkey do update
     set opted_out = excluded.opted_out, changed_at = excluded.changed_at, changed_by = excluded.changed_by,
         inbound_message_id = excluded.inbound_message_id, note = excluded.note;
  insert into public.opt_out_history (phone_number, opted_out, changed_at, changed_by, inbound_message_id, note)
  values ($1, $2, v_now, $5, $3, v_note);
  if $2 then
    update public.scheduled_messages s
       set status = 'cancelled',
           error_message = format('not sent: %s opted out at %s (%s)', s.phone_number,
                                  to_char(v_now at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS "UTC"'),
                                  case when $3 is not null then format('reply, inbound message %s', $3)
                                       else $5 end)
     where s.phone_number = $1 and s.status in ('SCH', 'queued');
  end if;
  return true;
end
$$;

-- Queue a reply bubble (no scheduled message) to the sender of an inbound message; its id.
create function internal.queue_reply(inbound_message_id bigint, phone_number text, reply_kind text, content text)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
set sms.writer = 'reply'
as $$
declare
  v_id bigint;
begin
  insert into public.messages (phone_number, content, status, reply_kind, inbound_message_id, created_at)
  values ($2, $4, 'queued', $3, $1, pg_catalog.statement_timestamp())
  returning id into v_id;
  return v_id;
end
$$;

-- The E.164 number to opt out or answer for a sender: E.164 as it is; a US number in national form
-- (TP-OA type "unknown"/national: 10 digits, or 11 starting with 1) with +1; else null (a short code, an
-- alphanumeric name). US-centred on purpose: the rules this serves (TCPA, CTIA) are US rules.
create function internal.reply_address(sender text)
returns text
language sql
immutable
parallel safe
set search_path = ''
as $$
  select case
    when internal.phone_problem($1) is null then $1
    when $1 ~ '^1[2-9][0-9]{9}$' then '+' || $1
    when $1 ~ '^[2-9][0-9]{9}$' then '+1' || $1
  end
$$;

-- Store one reply from its parts (in part order), decide its keyword and act on it; returns its id.
-- Called with the sender locked (internal.lock_number) by the inbound writer's functions.
create function internal.store_inbound(part_ids bigint[])
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_now constant timestamptz := pg_catalog.statement_timestamp();
  v_settings constant public.inbound_settings := internal.inbound_settings();
  v_row public.inbound_messages;
  v_decision record;
  v_is_number boolean;
  v_reply bigint;
  v_note text;
begin
  insert into public.inbound_messages (phone_number, reply_number, body, received_at, stored_at, worker_id, raw_pdus,
                                       part_count, parts_expected, incomplete, missing_parts, scheduled_message_id)
  select min(p.sender), internal.reply_address(min(p.sender)), string_agg(p.body, '' order by p.concat_seq nulls first, p.id),
         min(p.received_at), v_now, (array_agg(p.worker_id order by p.concat_seq nulls first, p.id))[1],
         array_agg(p.raw_pdu order by p.concat_seq nulls first, p.id), count(*)::integer,
         coalesce(max(p.concat_total), 1), count(*) < coalesce(max(p.concat_total), 1),
         coalesce((select array_agg(g.n order by g.n) from pg_catalog.generate_series(1, coalesce(max(p.concat_total), 1)) g(n)
                    where g.n <> all (array_agg(coalesce(p.concat_seq, 1)))), '{}'),
         (select m.scheduled_message_id from public.messages m
           where m.phone_number = internal.reply_address(min(p.sender)) and m.status = 'sent' and m.scheduled_message_id is not null
             and m.sent_at <= v_now
           order by m.sent_at desc, m.id desc limit 1)
    from public.inbound_parts p
   where p.id = any ($1)
  returning * into v_row;
  update public.inbound_parts p set inbound_message_id = v_row.id where p.id = any ($1);
  -- issue 14: a number that texts a SIM before we ever texted them becomes that SIM's recipient, so the
  -- answer (and every later text) comes from the number they wrote to (20261201000970_senders.sql).
  if v_row.reply_number is not null and v_row.worker_id is not null then
    perform internal.assign_recipient_if_new(v_row.reply_number, v_row.worker_id, 'texted this SIM first');
  end if;

  select * into v_decision from internal.classify_reply(v_row.body);
  v_is_number := v_row.reply_number is not null;
  if v_decision.action in ('opt_out', 'opt_in', 'help') and not v_is_number then
    v_note := 'the sender is not a phone number (E.164): nothing to opt out or answer';
  elsif v_decision.action = 'opt_out' then
    if internal.set_opt_out(v_row.reply_number, true, v_row.id, format('reply %s', v_decision.keyword), 'reply') then
      v_reply := internal.queue_reply(v_row.id, v_row.reply_number, 'opt_out_confirmation', v_settings.opt_out_reply);
      v_note := format('opted out; confirmation queued (messages row %s)', v_reply);
    else
      v_note := 'already opted out: no second confirmation';
    end if;
  elsif v_decision.action = 'opt_in' then
    if internal.set_opt_out(v_row.reply_number, false, v_row.id, format('reply %s', v_decision.keyword), 'reply') then
      v_reply := internal.queue_reply(v_row.id, v_row.reply_number, 'opt_in_confirmation', v_settings.opt_in_reply);
      v_note := format('opted in again; confirmation queued (messages row %s)', v_reply);
    else
      v_note := 'not opted out: nothing to do';
    end if;
  elsif v_decision.action = 'help' then
    if exists (select 1 from public.messages m
                where m.phone_number = v_row.reply_number and m.reply_kind = 'help'
                  and m.created_at > v_now - v_settings.help_reply_interval) then
      v_note := format('a help text went to this number less than %s ago: not sent again', v_settings.help_reply_interval);
    else
      v_reply := internal.queue_reply(v_row.id, v_row.reply_number, 'help', v_settings.help_reply);
      v_note := format('help text queued (messages row %s)', v_reply);
    end if;
  elsif v_decision.action = 'flagged' then
    v_note := format('flagged for a person (%s): if it is an opt-out, honour it by %s (10 business days)',
                     v_decision.keyword,
                     to_char(internal.honour_by(v_row.received_at) at time zone 'UTC', 'YYYY-MM-DD HH24:MI "UTC"'));
  end if;
  update public.inbound_messages i
     set action = v_decision.action, keyword = v_decision.keyword, action_note = v_note
   where i.id = v_row.id;
  return v_row.id;
end
$$;

-- The API -----------------------------------------------------------------------------------------------
-- Keep a PDU the database cannot store as a reply; idempotent on the PDU (upper-case hex, no white space).
create function internal.store_malformed(worker_id text, raw_pdu text, reason text)
returns bigint
language plpgsql
volatile
set search_path = ''
as $$
declare
  v_pdu constant text := pg_catalog.left(pg_catalog.upper(pg_catalog.regexp_replace(coalesce($2, ''), '\s', '', 'g')), 4000);
  v_id bigint;
begin
  perform pg_catalog.pg_advisory_xact_lock(1397572437, pg_catalog.hashtext(v_pdu));
  select m.id into v_id from public.inbound_malformed m where pg_catalog.md5(m.raw_pdu) = pg_catalog.md5(v_pdu);
  if found then
    return v_id;
  end if;
  insert into public.inbound_malformed (worker_id, raw_pdu, reason)
  values (pg_catalog.left($1, 100), v_pdu,
          pg_catalog.left(coalesce(nullif(pg_catalog.btrim(coalesce($3, '')), ''), 'no reason given'), 2000))
  returning id into v_id;
  return v_id;
end
$$;

create function public.record_malformed_inbound(worker_id text, raw_pdu text, reason text)
returns bigint
language plpgsql
volatile
security definer
set search_path = ''
set sms.writer = 'inbound'
as $$
declare
  v_worker constant text := pg_catalog.btrim(coalesce($1, ''));
begin
  if v_worker = '' or char_length(v_worker) > 100 then
    raise exception 'record_malformed_inbound: worker_id must be 1 to 100 characters' using errcode = '22023';
  end if;
  return internal.store_malformed(v_worker, $2, $3);
end
$$;

comment on function public.record_malformed_inbound(text, text, text) is
  'Keeps a PDU the listener could not decode, raw, with the reason (idempotent on the PDU); returns its row id.';

-- One SMS-DELIVER, stored before the listener deletes it from the modem. Idempotent on the natural key
-- (duplicate = true, with the ids stored the first time). A single SMS, or the part that completes a
-- concatenated one, creates the inbound message at once (inbound_message_id); else that is null. A part
-- whose values cannot be stored is kept in inbound_malformed instead (part_id null).
create function public.record_inbound_part(worker_id text, sender text, received_at timestamptz, body text,
                                           concat_ref integer, concat_total integer, concat_seq integer,
                                           raw_pdu text)
returns table (part_id bigint, inbound_message_id bigint, duplicate boolean)
language plpgsql
volatile
security definer
set search_path = ''
set sms.writer = 'inbound'
as $$
#variable_conflict use_column
declare
  v_worker constant text := pg_catalog.btrim(coalesce(record_inbound_part.worker_id, ''));
  v_sender constant text := pg_catalog.btrim(coalesce(record_inbound_part.sender, ''));
  v_body constant text := coalesce(record_inbound_part.body, '');
  v_ref constant integer := record_inbound_part.concat_ref;
  v_total constant integer := record_inbound_part.concat_total;
  v_seq constant integer := record_inbound_part.concat_seq;
  v_pdu constant text := pg_catalog.upper(pg_catalog.regexp_replace(coalesce(record_inbound_part.raw_pdu, ''), '\s', '', 'g'));
  v_problem text;
  v_part public.inbound_parts;
  v_ids bigint[];
  v_inbound bigint;
begin
  if v_worker = '' or char_length(v_worker) > 100 then
    raise exception 'record_inbound_part: worker_id must be 1 to 100 characters' using errcode = '22023';
  end if;
  v_problem := case
    when v_sender = '' then 'no sender'
    when char_length(v_sender) > 40 then 'the sender is longer than 40 characters'
    when record_inbound_part.received_at is null then 'no service-centre time stamp'
    when internal.moment_problem(record_inbound_part.received_at) is not null then
      'service-centre time stamp: ' || internal.moment_problem(record_inbound_part.received_at)
    when num_nulls(v_ref, v_total, v_seq) not in (0, 3) then 'concat_ref, concat_total and concat_seq must all be given or none'
    when v_ref not between 0 and 65535 then format('concatenation reference %s is outside 0-65535', v_ref)
    when v_total not between 1 and 255 then format('concatenation total %s is outside 1-255', v_total)
    when v_seq not between 1 and v_total then format('part number %s is outside 1-%s', v_seq, v_total)
    when char_length(v_body) > 1000 then 'the text of one part is longer than 1,000 characters'
    when v_pdu = '' then 'no raw PDU'
    when char_length(v_pdu) > 2000 then 'the raw PDU is longer than 2,000 characters'
  end;
  if v_problem is not null then
    perform internal.store_malformed(v_worker, coalesce(nullif(v_pdu, ''), '(none) ' || v_sender), v_problem);
    part_id := null;
    inbound_message_id := null;
    duplicate := false;
    return next;
    return;
  end if;

  perform internal.lock_number(v_sender);
  select * into v_part
    from public.inbound_parts p
   where p.sender = v_sender and p.received_at = record_inbound_part.received_at
     and p.concat_ref is not distinct from v_ref and p.concat_total is not distinct from v_total
     and p.concat_seq is not distinct from v_seq and pg_catalog.md5(p.body) = pg_catalog.md5(v_body);
  if found then
    part_id := v_part.id;
    inbound_message_id := v_part.inbound_message_id;
    duplicate := true;
    return next;
    return;
  end if;

  if v_ref is not null then
    -- The sender's phone reused this reference (it is 8 or 16 bits) while an older message with it is still
    -- waiting: that one will not be completed by this part, so it is stored as it is (incomplete).
    select array_agg(p.id order by p.concat_seq) into v_ids
      from public.inbound_parts p
     where p.sender = v_sender and p.concat_ref = v_ref and p.concat_total = v_total and p.inbound_message_id is null;
    if v_ids is not null and exists (select 1 from public.inbound_parts p where p.id = any (v_ids) and p.concat_seq = v_seq) then
      perform internal.store_inbound(v_ids);
    end if;
  end if;

  insert into public.inbound_parts (worker_id, sender, received_at, body, concat_ref, concat_total, concat_seq, raw_pdu)
  values (v_worker, v_sender, record_inbound_part.received_at, v_body, v_ref, v_total, v_seq, v_pdu)
  returning * into v_part;

  select array_agg(p.id order by p.concat_seq) into v_ids
    from public.inbound_parts p
   where p.inbound_message_id is null
     and (p.id = v_part.id
          or (v_ref is not null and p.sender = v_sender and p.concat_ref = v_ref and p.concat_total = v_total));
  if v_ref is null or cardinality(v_ids) = v_total then
    v_inbound := internal.store_inbound(v_ids);
  end if;
  part_id := v_part.id;
  inbound_message_id := v_inbound;
  duplicate := false;
  return next;
end
$$;

comment on function public.record_inbound_part(text, text, timestamptz, text, integer, integer, integer, text) is
  'Stores one SMS-DELIVER (idempotent on sender, SCTS, concatenation and text: duplicate = true); when the reply is '
  'complete, creates its inbound_messages row (keyword decision, opt-out, confirmation) and returns its id.';

-- Parts still waiting longer than inbound_settings.missing_part_wait become an incomplete reply (decided
-- like any reply). Returns how many replies it stored.
create function public.finish_stale_inbound_parts()
returns integer
language plpgsql
volatile
security definer
set search_path = ''
set sms.writer = 'inbound'
as $$
declare
  v_cutoff constant timestamptz := pg_catalog.statement_timestamp() - (internal.inbound_settings()).missing_part_wait;
  v_group record;
  v_ids bigint[];
  v_count integer := 0;
begin
  for v_group in
    select p.sender, p.concat_ref, p.concat_total
      from public.inbound_parts p
     where p.inbound_message_id is null
     group by p.sender, p.concat_ref, p.concat_total
    having max(p.stored_at) <= v_cutoff
  loop
    perform internal.lock_number(v_group.sender);
    select array_agg(p.id order by p.concat_seq) into v_ids
      from public.inbound_parts p
     where p.inbound_message_id is null and p.sender = v_group.sender
       and p.concat_ref is not distinct from v_group.concat_ref and p.concat_total is not distinct from v_group.concat_total
    having max(p.stored_at) <= v_cutoff;
    if v_ids is not null then
      perform internal.store_inbound(v_ids);
      v_count := v_count + 1;
    end if;
  end loop;
  return v_count;
end
$$;

comment on function public.finish_stale_inbound_parts() is
  'Turns parts waiting longer than inbound_settings.missing_part_wait into incomplete replies; returns how many.';

create function public.opt_out_number(phone_number text, note text default null)
returns public.opt_outs
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_problem constant text := internal.phone_problem($1);
  v_row public.opt_outs;
begin
  if v_problem is not null then
    raise exception 'opt_out_number: %', v_problem using errcode = '22023',
      hint = 'Write it as + country code and digits, e.g. +12095550123.';
  end if;
  perform internal.set_opt_out($1, true, null, $2, internal.acting_person());
  select * into v_row from public.opt_outs o where o.phone_number = $1;
  return v_row;
end
$$;

comment on function public.opt_out_number(text, text) is
  'A person opts a number out (e.g. the customer asked by phone): its SCH and queued texts are cancelled at once; '
  'no confirmation text is sent. Returns the opt_outs row.';

create function public.opt_in_number(phone_number text, note text)
returns public.opt_outs
language plpgsql
volatile
security definer
set search_path = ''
as $$
declare
  v_problem constant text := internal.phone_problem($1);
  v_row public.opt_outs;
begin
  if v_problem is not null then
    raise exception 'opt_in_number: %', v_problem using errcode = '22023',
      hint = 'Write it as + country code and digits, e.g. +12095550123.';
  end if;
  if nullif(pg_catalog.btrim(coalesce($2, '')), '') is null then
    raise exception 'opt_in_number: say why the number may be texted again (the customer''s consent) in note'
      using errcode = '22023';
  end if;
  perform internal.set_opt_out($1, false, null, $2, internal.acting_person());
  select * into v_row from public.opt_outs o where o.phone_number = $1;
  return v_row;
end
$$;

comment on function public.opt_in_number(text, text) is
  'A person opts a number back in, with the reason (the customer''s consent) in note; no text is sent. '
  'Cancelled messages stay cancelled. Returns the opt_outs row (null when it never opted out).';

create function public.opted_out_among(phone_numbers text[])
returns setof text
language sql
stable
security definer
set search_path = ''
as $$
  select distinct o.phone_number
    from public.opt_outs o
   where o.opted_out and o.phone_number = any ($1)
   order by 1
$$;

comment on function public.opted_out_among(text[]) is
  'The numbers among phone_numbers that are opted out now (the scheduler''s import and preview leave them out).';

-- A person's decision on a reply (a flagged one, or any other): mark it reviewed and, when it is an
-- opt-out, opt the number out (with a confirmation text, since the customer asked by text).
create function public.review_reply(inbound_message_id bigint, opt_out boolean, note text default null)
returns public.inbound_messages
language plpgsql
volatile
security definer
set search_path = ''
set sms.writer = 'inbound'
as $$
declare
  v_row public.inbound_messages;
  v_reply bigint;
  v_note text;
begin
  if $2 is null then
    raise exception 'review_reply: opt_out must be true (it is an opt-out) or false (it is not)' using errcode = '22023';
  end if;
  select * into v_row from public.inbound_messages i where i.id = $1 for update;
  if not found then
    raise exception 'inbound_messages row %: no such reply', $1 using errcode = 'P0002';
  end if;
  if $2 then
    if v_row.reply_number is null then
      raise exception 'inbound_messages row %: the sender % is not a phone number: nothing to opt out', $1,
        v_row.phone_number using errcode = '22023';
    end if;
    if internal.set_opt_out(v_row.reply_number, true, v_row.id,
                            coalesce(nullif(pg_catalog.btrim(coalesce($3, '')), ''), 'reviewed reply'),
                            internal.acting_person()) then
      v_reply := internal.queue_reply(v_row.id, v_row.reply_number, 'opt_out_confirmation',
                                      (internal.inbound_settings()).opt_out_reply);
      v_note := format('a person decided it is an opt-out: opted out; confirmation queued (messages row %s)', v_reply);
    else
      v_note := 'a person decided it is an opt-out: already opted out';
    end if;
  else
    v_note := 'a person decided it is not an opt-out';
  end if;
  update public.inbound_messages i
     set reviewed_at = pg_catalog.statement_timestamp(),
         review_note = pg_catalog.left(concat_ws(': ', internal.acting_person(), nullif(pg_catalog.btrim(coalesce($3, '')), '')), 2000),
         action_note = concat_ws('; ', i.action_note, v_note)
   where i.id = v_row.id
  returning * into v_row;
  return v_row;
end
$$;

comment on function public.review_reply(bigint, boolean, text) is
  'A person''s decision on a reply (e.g. a flagged "cancel"): opt_out true opts the number out and queues the '
  'confirmation; either way the reply is marked reviewed and leaves dashboard_flagged_replies.';

-- Dashboard views ------------------------------------------------------------------------------------------
create view public.dashboard_opt_outs
with (security_invoker = true)
as
select o.phone_number,
       o.opted_out,
       o.changed_at,
       o.changed_by,
       o.note,
       o.inbound_message_id,
       i.body as reply_body,
       o.first_opted_out_at,
       (select count(*) from public.opt_out_history h where h.phone_number = o.phone_number)::integer as changes
  from public.opt_outs o
  left join public.inbound_messages i on i.id = o.inbound_message_id
 order by o.changed_at desc, o.phone_number;

comment on view public.dashboard_opt_outs is
  'Every number that ever opted out: opted out now or not, since when, by whom, the reply that caused it, how many changes.';

-- Flagged replies waiting for a person. honour_by: the end of the tenth business day after the reply
-- (Monday to Friday in the send window's time zone; holidays are NOT counted), the FCC's limit for
-- honouring a revocation (47 CFR 64.1200(a)(10)).
create view public.dashboard_flagged_replies
with (security_invoker = true)
as
select i.id,
       i.phone_number,
       i.body,
       i.keyword,
       i.received_at,
       d.honour_by,
       (select count(*) from pg_catalog.generate_series(l.today + 1, d.deadline_date, interval '1 day') g(day)
         where extract(isodow from g.day) < 6)::integer as business_days_left,
       d.honour_by - statement_timestamp() as time_left,
       coalesce(o.opted_out, false) as opted_out_now,
       s.message_content as in_reply_to,
       s.sent_at as in_reply_to_sent_at
  from public.inbound_messages i
 cross join public.send_window w
 cross join lateral (select (statement_timestamp() at time zone w.time_zone)::date as today,
                            (i.received_at at time zone w.time_zone)::date as day0) l
 cross join lateral (
   select x.deadline_date, ((x.deadline_date + 1)::timestamp at time zone w.time_zone) as honour_by
     from (select max(b.day)::date as deadline_date
             from (select g.day from pg_catalog.generate_series(l.day0 + 1, l.day0 + 20, interval '1 day') g(day)
                    where extract(isodow from g.day) < 6 order by g.day limit 10) b) x) d
  left join public.opt_outs o on o.phone_number = i.reply_number
  left join public.scheduled_messages s on s.id = i.scheduled_message_id
 where w.id
   and i.action = 'flagged'
   and i.reviewed_at is null
 order by i.received_at, i.id;

comment on view public.dashboard_flagged_replies is
  'Replies with an ambiguous word (END, CANCEL, QUIT in a longer text) waiting for a person: honour_by is 10 '
  'business days (Mon-Fri, send-window time zone; holidays are not counted) after the reply. Decide with '
  'review_reply(id, opt_out, note).';

create view public.dashboard_replies
with (security_invoker = true)
as
select i.id,
       i.received_at,
       i.phone_number,
       i.body,
       i.incomplete,
       i.action,
       i.keyword,
       i.action_note,
       i.reviewed_at,
       i.scheduled_message_id,
       s.campaign_name,
       s.customer_name,
       s.message_content as in_reply_to,
       s.sent_at as in_reply_to_sent_at,
       r.id as reply_message_id,
       r.status as reply_status
  from public.inbound_messages i
  left join public.scheduled_messages s on s.id = i.scheduled_message_id
  left join lateral (select m.id, m.status from public.messages m
                      where m.inbound_message_id = i.id order by m.id limit 1) r on true
 order by i.received_at desc, i.id desc;

comment on view public.dashboard_replies is
  'Replies newest first, each in context: the latest scheduled message sent to that number before it arrived, '
  'the keyword decision and the reply bubble it caused.';

revoke all on table public.dashboard_opt_outs from public, anon, authenticated;
revoke all on table public.dashboard_flagged_replies from public, anon, authenticated;
revoke all on table public.dashboard_replies from public, anon, authenticated;
grant select on table public.dashboard_opt_outs to service_role;
grant select on table public.dashboard_flagged_replies to service_role;
grant select on table public.dashboard_replies to service_role;

-- Realtime: a dashboard can watch replies arrive.
do $$
begin
  if not exists (select from pg_catalog.pg_publication where pubname = 'supabase_realtime') then
    raise notice 'publication supabase_realtime does not exist: replies cannot be watched over Realtime here';
  elsif not exists (
    select from pg_catalog.pg_publication_tables
     where pubname = 'supabase_realtime' and schemaname = 'public' and tablename = 'inbound_messages'
  ) then
    alter publication supabase_realtime add table public.inbound_messages;
  end if;
end
$$;

-- pg_cron (where 20261201000800_pg_cron.sql could create it): finish stale parts every 5 minutes too, so
-- an incomplete reply is decided even while no listener runs.
do $$
begin
  if exists (select 1 from pg_catalog.pg_extension where extname = 'pg_cron') then
    perform cron.schedule('finish-stale-inbound-parts', '*/5 * * * *', 'select public.finish_stale_inbound_parts()');
  end if;
end
$$;

revoke all on function public.record_inbound_part(text, text, timestamptz, text, integer, integer, integer, text)
  from public, anon, authenticated;
grant execute on function public.record_inbound_part(text, text, timestamptz, text, integer, integer, integer, text)
  to service_role;
revoke all on function public.record_malformed_inbound(text, text, text) from public, anon, authenticated;
grant execute on function public.record_malformed_inbound(text, text, text) to service_role;
revoke all on function public.finish_stale_inbound_parts() from public, anon, authenticated;
grant execute on function public.finish_stale_inbound_parts() to service_role;
revoke all on function public.opt_out_number(text, text) from public, anon, authenticated;
grant execute on function public.opt_out_number(text, text) to service_role;
revoke all on function public.opt_in_number(text, text) from public, anon, authenticated;
grant execute on function public.opt_in_number(text, text) to service_role;
revoke all on function public.opted_out_among(text[]) from public, anon, authenticated;
grant execute on function public.opted_out_among(text[]) to service_role;
revoke all on function public.review_reply(bigint, boolean, text) from public, anon, authenticated;
grant execute on function public.review_reply(bigint, boolean, text) to service_role;
revoke all on function internal.fold_text(text) from public, anon, authenticated, service_role;
revoke all on function internal.fold_words(text[], text) from public, anon, authenticated, service_role;
revoke all on function internal.inbound_settings_validate() from public, anon, authenticated, service_role;
revoke all on function internal.refuse_truncate() from public, anon, authenticated, service_role;
revoke all on function internal.inbound_settings() from public, anon, authenticated, service_role;
revoke all on function internal.classify_reply(text) from public, anon, authenticated, service_role;
revoke all on function internal.honour_by(timestamptz) from public, anon, authenticated, service_role;
revoke all on function internal.inbound_refuse_foreign_write() from public, anon, authenticated, service_role;
revoke all on function internal.acting_person() from public, anon, authenticated, service_role;
revoke all on function internal.lock_number(text) from public, anon, authenticated, service_role;
revoke all on function internal.set_opt_out(text, boolean, bigint, text, text) from public, anon, authenticated, service_role;
revoke all on function internal.queue_reply(bigint, text, text, text) from public, anon, authenticated, service_role;
revoke all on function internal.reply_address(text) from public, anon, authenticated, service_role;
revoke all on function internal.store_inbound(bigint[]) from public, anon, authenticated, service_role;
revoke all on function internal.store_malformed(text, text, text) from public, anon, authenticated, service_role;
