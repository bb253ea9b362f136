/*
 * gatehouse_ctx.c — the per-transaction org context read by Gatehouse's
 * row-level security policies.
 *
 * The context (org id, livemode, valid flag) lives in backend-local static
 * variables, not in a setting, so the only ways to change it from SQL are the
 * two setters defined here:
 *
 *   gh.begin_request(credential_hash bytea, livemode boolean) -> boolean
 *       SECURITY DEFINER, owned by gatehouse_owner, granted to the app role.
 *       Looks the credential up with gh_private.resolve_credential() (through
 *       SPI, with a plan prepared once per backend) and sets the context to
 *       the credential's org, or clears it and returns false.
 *   gh_private.set_context(org_id text, livemode boolean) -> void
 *       For trusted SECURITY DEFINER functions only (no EXECUTE for PUBLIC).
 *
 * and the readers gh.current_org() / gh.current_livemode(), which return
 * NULL when there is no context (so every policy fails closed).
 *
 * Lifetime: the context ends with the transaction (commit, abort, prepare).
 * A rolled-back subtransaction (ROLLBACK TO SAVEPOINT, an exception block)
 * restores the value it had when the subtransaction started, like SET LOCAL.
 * Parallel workers have their own, empty, variables: the readers are
 * PARALLEL RESTRICTED so they always run in the leader.
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

PG_MODULE_MAGIC;

/* Longest org id accepted, in bytes (ids are "org_" + base62, far shorter). */
#define GH_ORG_MAX 64

typedef struct GhContext
{
	bool		valid;
	bool		livemode;
	char		org[GH_ORG_MAX + 1];
} GhContext;

/*
 * A value saved when a subtransaction first changes the context, so that
 * aborting that subtransaction can restore it. Kept in TopTransactionContext;
 * the whole stack is dropped at top-level transaction end. Ordered by
 * nesting level, deepest first; at most one entry per level.
 */
typedef struct GhSaved
{
	int			level;
	GhContext	ctx;
	struct GhSaved *next;
} GhSaved;

static GhContext current;
static GhSaved *saved_stack;
static SPIPlanPtr resolve_plan;
static bool callbacks_registered;

PG_FUNCTION_INFO_V1(gh_ctx_begin_request);
PG_FUNCTION_INFO_V1(gh_ctx_set_context);
PG_FUNCTION_INFO_V1(gh_ctx_current_org);
PG_FUNCTION_INFO_V1(gh_ctx_current_livemode);

void		_PG_init(void);

static void
ctx_clear(GhContext *c)
{
	c->valid = false;
	c->livemode = false;
	memset(c->org, 0, sizeof(c->org));
}

static void
gh_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			ctx_clear(&current);
			/* memory was in TopTransactionContext, released by xact.c */
			saved_stack = NULL;
			break;
		default:
			break;
	}
}

static void
gh_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					SubTransactionId parentSubid, void *arg)
{
	int			level = GetCurrentTransactionNestLevel();

	switch (event)
	{
		case SUBXACT_EVENT_ABORT_SUB:
			/* Undo every change made at this level or deeper. */
			while (saved_stack != NULL && saved_stack->level >= level)
			{
				current = saved_stack->ctx;
				saved_stack = saved_stack->next;
			}
			break;
		case SUBXACT_EVENT_COMMIT_SUB:
			/*
			 * The change now belongs to the parent. If the parent already
			 * saved an (older) value, or the parent is the top level (where
			 * nothing needs restoring), this entry is redundant.
			 */
			if (saved_stack != NULL && saved_stack->level >= level)
			{
				if (level - 1 <= 1 ||
					(saved_stack->next != NULL &&
					 saved_stack->next->level == level - 1))
					saved_stack = saved_stack->next;
				else
					saved_stack->level = level - 1;
			}
			break;
		default:
			break;
	}
}

void
_PG_init(void)
{
	if (!callbacks_registered)
	{
		RegisterXactCallback(gh_xact_callback, NULL);
		RegisterSubXactCallback(gh_subxact_callback, NULL);
		callbacks_registered = true;
	}
	ctx_clear(&current);
	saved_stack = NULL;
}

/*
 * Replace the context, first saving the old one if we are inside a
 * subtransaction that has not saved it yet.
 */
static void
ctx_set(const GhContext *next)
{
	int			level = GetCurrentTransactionNestLevel();

	if (level > 1 && (saved_stack == NULL || saved_stack->level < level))
	{
		GhSaved    *s = MemoryContextAlloc(TopTransactionContext, sizeof(GhSaved));

		s->level = level;
		s->ctx = current;
		s->next = saved_stack;
		saved_stack = s;
	}
	current = *next;
}

/*
 * Build a context from an org id datum. An empty id gives no context (like
 * NULL); an id longer than GH_ORG_MAX is an error.
 */
static void
ctx_from_text(GhContext *c, text *org, bool livemode)
{
	int			len = VARSIZE_ANY_EXHDR(org);

	if (len > GH_ORG_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("org id must be 1 to %d bytes", GH_ORG_MAX)));
	ctx_clear(c);
	if (len == 0)
		return;
	memcpy(c->org, VARDATA_ANY(org), len);
	c->org[len] = '\0';
	c->livemode = livemode;
	c->valid = true;
}

/*
 * gh.begin_request(p_credential_hash bytea, p_livemode boolean) -> boolean
 *
 * Runs as gatehouse_owner (SECURITY DEFINER). The context is cleared first,
 * so a failed look-up never leaves an earlier org in place.
 */
Datum
gh_ctx_begin_request(PG_FUNCTION_ARGS)
{
	Datum		values[2];
	char		nulls[2];
	GhContext	next;
	bool		found = false;
	int			rc;

	ctx_clear(&next);
	values[0] = PG_ARGISNULL(0) ? (Datum) 0 : PG_GETARG_DATUM(0);
	nulls[0] = PG_ARGISNULL(0) ? 'n' : ' ';
	values[1] = PG_ARGISNULL(1) ? (Datum) 0 : PG_GETARG_DATUM(1);
	nulls[1] = PG_ARGISNULL(1) ? 'n' : ' ';

	/* Clear now: if the look-up errors, no stale context survives. */
	ctx_set(&next);

	if (PG_ARGISNULL(0))
		PG_RETURN_BOOL(false);

	if ((rc = SPI_connect()) != SPI_OK_CONNECT)
		elog(ERROR, "gatehouse_ctx: SPI_connect failed: %s", SPI_result_code_string(rc));

	if (resolve_plan == NULL)
	{
		Oid			argtypes[2] = {BYTEAOID, BOOLOID};
		SPIPlanPtr	plan;

		plan = SPI_prepare("SELECT org_id, livemode "
						   "FROM gh_private.resolve_credential($1, $2)",
						   2, argtypes);
		if (plan == NULL)
			elog(ERROR, "gatehouse_ctx: SPI_prepare failed: %s",
				 SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "gatehouse_ctx: SPI_keepplan failed");
		resolve_plan = plan;
	}

	/* Ask for two rows so that an ambiguous answer can be refused. */
	rc = SPI_execute_plan(resolve_plan, values, nulls, true, 2);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "gatehouse_ctx: resolve_credential failed: %s",
			 SPI_result_code_string(rc));

	if (SPI_processed == 1)
	{
		HeapTuple	tup = SPI_tuptable->vals[0];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		org_null,
					mode_null;
		Datum		org = SPI_getbinval(tup, desc, 1, &org_null);
		Datum		mode = SPI_getbinval(tup, desc, 2, &mode_null);

		if (!org_null && !mode_null)
		{
			/* Copies into our static struct: nothing from SPI memory is kept. */
			ctx_from_text(&next, DatumGetTextPP(org), DatumGetBool(mode));
			found = next.valid;
		}
	}

	SPI_finish();

	if (found)
		ctx_set(&next);
	PG_RETURN_BOOL(found);
}

/*
 * gh_private.set_context(p_org_id text, p_livemode boolean) -> void
 *
 * Only for trusted definer functions (EXECUTE is revoked from PUBLIC).
 * A NULL or empty org (or a NULL mode) clears the context.
 */
Datum
gh_ctx_set_context(PG_FUNCTION_ARGS)
{
	GhContext	next;

	ctx_clear(&next);
	if (!PG_ARGISNULL(0) && !PG_ARGISNULL(1))
		ctx_from_text(&next, PG_GETARG_TEXT_PP(0), PG_GETARG_BOOL(1));
	ctx_set(&next);
	PG_RETURN_VOID();
}

/* gh.current_org() -> text, NULL without a context. */
Datum
gh_ctx_current_org(PG_FUNCTION_ARGS)
{
	if (!current.valid)
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(cstring_to_text(current.org));
}

/* gh.current_livemode() -> boolean, NULL without a context. */
Datum
gh_ctx_current_livemode(PG_FUNCTION_ARGS)
{
	if (!current.valid)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(current.livemode);
}
