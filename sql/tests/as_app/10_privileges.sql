-- as_app/10_privileges.sql — the app role cannot escape row-level security.
-- tests/db/run.sh runs the files in as_app/ LOGGED IN as gatehouse_app (as
-- the server does), because SET ROLE and SET SESSION AUTHORIZATION are
-- judged by the session user: from a superuser session they would succeed.
-- Every statement here must fail with insufficient_privilege (42501).
SELECT no_plan();

SELECT is(session_user::text || '/' || current_user::text, 'gatehouse_app/gatehouse_app',
          'this suite runs logged in as gatehouse_app');

-- Disabling or loosening RLS.
SELECT throws_ok('ALTER TABLE gh.users DISABLE ROW LEVEL SECURITY', '42501', NULL,
                 'app cannot disable RLS');
SELECT throws_ok('ALTER TABLE gh.sessions NO FORCE ROW LEVEL SECURITY', '42501', NULL,
                 'app cannot un-force RLS');
SELECT throws_ok('DROP POLICY users_isolation ON gh.users', '42501', NULL,
                 'app cannot drop a policy');
SELECT throws_ok('ALTER POLICY users_isolation ON gh.users USING (true)', '42501', NULL,
                 'app cannot alter a policy');
SELECT throws_ok('CREATE POLICY leak ON gh.users FOR SELECT USING (true)', '42501', NULL,
                 'app cannot add a policy');
SELECT throws_ok('ALTER TABLE gh.orgs OWNER TO gatehouse_app', '42501', NULL,
                 'app cannot take ownership of a table');

-- Becoming someone else. (If one of these ever succeeds, the rest of this
-- file runs with more rights and fails loudly; rebuild the test database.)
SELECT throws_ok('SET ROLE gatehouse_owner', '42501', NULL, 'app cannot SET ROLE gatehouse_owner');
SELECT throws_ok('SET SESSION AUTHORIZATION postgres', '42501', NULL,
                 'app cannot SET SESSION AUTHORIZATION');
SELECT throws_ok('SET ROLE postgres', '42501', NULL, 'app cannot SET ROLE to the superuser');
SELECT throws_ok('ALTER ROLE gatehouse_app BYPASSRLS', '42501', NULL, 'app cannot grant itself BYPASSRLS');
SELECT throws_ok('GRANT gatehouse_owner TO gatehouse_app', '42501', NULL,
                 'app cannot join gatehouse_owner');
SELECT throws_ok('CREATE ROLE gh_evil', '42501', NULL, 'app cannot create roles');

-- Credential hashes and private objects.
SELECT throws_ok('SELECT password_hash FROM gh.users', '42501', NULL, 'app cannot read password_hash');
SELECT throws_ok('SELECT * FROM gh.users', '42501', NULL, 'app cannot SELECT * from users (password_hash)');
SELECT throws_ok('SELECT access_hash FROM gh.sessions', '42501', NULL, 'app cannot read access_hash');
SELECT throws_ok('SELECT refresh_hash FROM gh.sessions', '42501', NULL, 'app cannot read refresh_hash');
SELECT throws_ok('SELECT prev_refresh_hash FROM gh.sessions', '42501', NULL, 'app cannot read prev_refresh_hash');
SELECT throws_ok('SELECT count(*) FROM gh.sessions WHERE access_hash = sha256(''b-live'')', '42501', NULL,
                 'app cannot probe access_hash in a WHERE clause');
SELECT throws_ok('SELECT token_hash FROM gh.invitations', '42501', NULL, 'app cannot read invitations');
SELECT throws_ok('SELECT gh_private.set_context(''org_b'', true)', '42501', NULL,
                 'app cannot call gh_private.set_context');
SELECT throws_ok('SELECT * FROM gh_private.resolve_credential(sha256(''b-live''), true)', '42501', NULL,
                 'app cannot call gh_private.resolve_credential');
SELECT throws_ok('SELECT * FROM gh_private.context_key', '42501', NULL,
                 'app cannot read gh_private tables (context key)');
SELECT throws_ok('SELECT * FROM gh_meta.settings', '42501', NULL, 'app cannot read gh_meta');
SELECT throws_ok('SELECT key_hash FROM gh.api_keys', '42501', NULL, 'app cannot read key_hash');
SELECT throws_ok('SELECT * FROM gh.api_keys', '42501', NULL, 'app cannot SELECT * from api_keys (key_hash)');
SELECT throws_ok('SELECT count(*) FROM gh.api_keys WHERE key_hash = sha256(''key-b-live'')', '42501', NULL,
                 'app cannot probe key_hash in a WHERE clause');
SELECT throws_ok('SELECT id FROM gh.api_keys ORDER BY key_hash', '42501', NULL,
                 'app cannot order by key_hash (an oracle on the hashes)');
SELECT throws_ok('SELECT * FROM gh_private.nodes', '42501', NULL, 'app cannot read gh_private.nodes');
SELECT throws_ok('DELETE FROM gh_private.nodes', '42501', NULL, 'app cannot write gh_private.nodes');
SELECT throws_ok('SELECT setval(''gh_private.invalidation_seq'', 1)', '42501', NULL,
                 'app cannot reset the invalidation sequence');
SELECT throws_ok('SELECT gh_private.touch_updated_at()', '42501', NULL,
                 'app cannot call gh_private.touch_updated_at');
SELECT throws_ok('ALTER TABLE gh.users DISABLE TRIGGER users_last_admin', '42501', NULL,
                 'app cannot disable the last-admin guard');
SELECT throws_ok('ALTER TABLE gh.users DISABLE TRIGGER users_session_epoch_forward', '42501', NULL,
                 'app cannot disable the epoch guard');

-- Writing outside the granted columns.
SELECT throws_ok('INSERT INTO gh.orgs (id, name) VALUES (''org_x'', ''x'')', '42501', NULL,
                 'app cannot insert orgs directly');
SELECT throws_ok('UPDATE gh.orgs SET created_at = now()', '42501', NULL,
                 'app cannot update ungranted org columns');
SELECT throws_ok('UPDATE gh.orgs SET id = ''org_x''', '42501', NULL, 'app cannot change an org''s id');
SELECT throws_ok('DELETE FROM gh.orgs', '42501', NULL, 'app cannot delete orgs');
-- Since 0004 the app may write users' role and session_epoch (members under
-- RLS), never the credential, status, email or org of a user.
SELECT throws_ok('UPDATE gh.users SET password_hash = ''x''', '42501', NULL, 'app cannot set password_hash');
SELECT throws_ok('UPDATE gh.users SET status = ''active''', '42501', NULL, 'app cannot set a user''s status');
SELECT throws_ok('UPDATE gh.users SET email = ''x@x.example''', '42501', NULL, 'app cannot change an email');
SELECT throws_ok('UPDATE gh.users SET org_id = ''org_b''', '42501', NULL, 'app cannot move a user to another org');
SELECT throws_ok('INSERT INTO gh.users (id, org_id, email, role, status, password_hash)
                  VALUES (''usr_x'', ''org_a'', ''x@x.example'', ''admin'', ''active'', ''h'')', '42501', NULL,
                 'app cannot insert a user with a password_hash');
SELECT throws_ok('SELECT * FROM gh.invitations', '42501', NULL, 'app cannot SELECT * from invitations (token_hash)');
SELECT throws_ok('SELECT id FROM gh.invitations WHERE token_hash = sha256(''inv-b'')', '42501', NULL,
                 'app cannot probe token_hash in a WHERE clause');
SELECT throws_ok('UPDATE gh.invitations SET used_at = NULL', '42501', NULL, 'app cannot update invitations');
SELECT throws_ok('DELETE FROM gh.invitations', '42501', NULL, 'app cannot delete invitations');
SELECT throws_ok('UPDATE gh.sessions SET revoked_at = NULL', '42501', NULL, 'app cannot update sessions directly');
SELECT throws_ok('SELECT setval(''gh.users_seq_seq'', 1)', '42501', NULL, 'app cannot reset the users sequence');
SELECT throws_ok('DELETE FROM gh.sessions', '42501', NULL, 'app cannot delete sessions directly');
SELECT throws_ok('TRUNCATE gh.sessions', '42501', NULL, 'app cannot truncate');
SELECT throws_ok('TRUNCATE gh.applications', '42501', NULL, 'app cannot truncate resources');
SELECT throws_ok('DELETE FROM gh.api_keys', '42501', NULL, 'app cannot delete API keys');
SELECT throws_ok('UPDATE gh.api_keys SET key_hash = NULL', '42501', NULL, 'app cannot update key_hash');
SELECT throws_ok('UPDATE gh.api_keys SET livemode = true', '42501', NULL, 'app cannot change a key''s mode');
SELECT throws_ok('UPDATE gh.api_keys SET scopes = ''{admin}''', '42501', NULL, 'app cannot change a key''s scopes');
SELECT throws_ok('UPDATE gh.applications SET livemode = true', '42501', NULL, 'app cannot change a row''s mode');
SELECT throws_ok('UPDATE gh.leads SET org_id = ''org_b''', '42501', NULL, 'app cannot change a row''s org');
SELECT throws_ok('DELETE FROM gh.contracts', '42501', NULL, 'app cannot delete contracts');
SELECT throws_ok('UPDATE gh.contract_executions SET result = ''{}''', '42501', NULL,
                 'app cannot update contract executions');
SELECT throws_ok('ALTER TABLE gh.leads DISABLE TRIGGER leads_touch', '42501', NULL, 'app cannot disable triggers');
SELECT throws_ok('ALTER TABLE gh.leads DROP CONSTRAINT leads_campaign_id_org_id_livemode_fkey', '42501', NULL,
                 'app cannot drop the composite foreign keys');
SELECT throws_ok('DROP POLICY applications_isolation ON gh.applications', '42501', NULL,
                 'app cannot drop a resource policy');

-- Replacing the context machinery.
SELECT throws_ok('CREATE OR REPLACE FUNCTION gh.current_org() RETURNS text LANGUAGE sql AS $$SELECT ''org_b''$$',
                 '42501', NULL, 'app cannot replace gh.current_org');
SELECT throws_ok('DROP FUNCTION gh.current_org()', '42501', NULL, 'app cannot drop gh.current_org');
SELECT throws_ok('ALTER FUNCTION gh.begin_request(bytea, boolean) SECURITY INVOKER', '42501', NULL,
                 'app cannot alter gh.begin_request');
SELECT throws_ok('CREATE FUNCTION gh.x() RETURNS int LANGUAGE sql AS $$SELECT 1$$', '42501', NULL,
                 'app cannot create objects in gh');
SELECT throws_ok('CREATE TABLE public.x (i int)', '42501', NULL, 'app cannot create objects in public');
SELECT throws_ok('LOAD ''gatehouse_ctx''', '42501', NULL, 'app cannot LOAD a library');
SELECT throws_ok(
    'CREATE FUNCTION pg_temp.sc(text, boolean) RETURNS void AS ''$libdir/gatehouse_ctx'', ''gh_ctx_set_context'' LANGUAGE c',
    '42501', NULL, 'app cannot create a C function (e.g. bound to the extension''s setter)');

SELECT * FROM finish();
