-- Invariant (g): send_window settings stay within sane bounds (23514). Attack (issue 10): a person sets
-- send_window.max_attempts to 0 or 1000000 in the dashboard; the listener or promotion then misbehaves
-- (never retries, retries forever, recovers every claim at once, or holds everything back for a century).
begin;
\ir ../_fixture.psql
select plan(4);

select max_attempts::text as before from send_window \gset

select pg_temp.outcome($$update send_window set max_attempts = 0$$) as bad1 \gset
select pg_temp.outcome($$update send_window set max_attempts = 1000000$$) as bad2 \gset
select matches(:'bad1'::text, '^23514: .*max_attempts', 'max_attempts = 0 is refused (23514, naming the setting)');
select matches(:'bad2'::text, '^23514: .*max_attempts', 'max_attempts = 1000000 is refused');
select is((select max_attempts::text from send_window), :'before'::text, 'the setting is unchanged');
update send_window set max_attempts = 5;
select is((select max_attempts from send_window), 5::integer, 'a sane value is accepted');

select * from finish();
rollback;
