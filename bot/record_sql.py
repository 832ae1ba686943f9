"""The Coach record in one statement per dialect: viewer, agent, worst samples, a page of notes.

Both statements take `:user` (the viewer's Slack id), `:agent_id`, `:samples`, `:limit` and
`:offset`, and return the same columns, each JSON (text on SQLite): `viewer` ({role, agent_id}
or NULL for a non-member), `agent` (NULL when missing or out of the viewer's scope), `samples`
and `notes` (arrays whose `rn` gives their order) and `total` (live notes the viewer may see).
Scope is applied in SQL too, so nothing the viewer may not see ever leaves the database.
"""

from __future__ import annotations

from sqlalchemy import TextClause, text

# v: the viewer's member row; g: whether they lead, and whether they may read this agent
_SCOPE = """
WITH v AS (SELECT {role} AS role, agent_id FROM members WHERE slack_user_id = :user),
g AS (SELECT role IN ('owner', 'admin') AS lead,
             role IN ('owner', 'admin') OR agent_id = :agent_id AS may FROM v)
"""
_SAMPLE_PAGE = """
SELECT id, helpdesk, external_id, url, csat, closed_at, summary, source,
       row_number() OVER (ORDER BY csat ASC NULLS LAST, closed_at DESC, id DESC) AS rn
  FROM samples WHERE agent_id = :agent_id AND (SELECT may FROM g)
 ORDER BY csat ASC NULLS LAST, closed_at DESC, id DESC LIMIT :samples
"""
_VISIBLE_NOTES = """
FROM notes WHERE agent_id = :agent_id AND archived_at IS NULL
 AND (SELECT may FROM g) AND ((SELECT lead FROM g) OR shared_with_agent)
"""
_NOTE_PAGE = f"""
SELECT id, author, body, created_at, updated_at, follow_up_at, follow_up_done_at,
       shared_with_agent, sample_id,
       row_number() OVER (ORDER BY created_at DESC, id DESC) AS rn
{_VISIBLE_NOTES}
 ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset
"""
_AGENT_WHERE = """
FROM agents a LEFT JOIN members m ON m.id = a.lead_member_id
WHERE a.id = :agent_id AND (SELECT may FROM g)
"""

_POSTGRESQL = (
    _SCOPE.format(role="role::text")
    + f"""
SELECT
 (SELECT json_build_object('role', role, 'agent_id', agent_id) FROM v) AS viewer,
 (SELECT json_build_object('id', a.id, 'name', a.name, 'email', a.email,
         'slack_user_id', a.slack_user_id, 'active', a.active, 'lead', m.slack_user_id)
  {_AGENT_WHERE}) AS agent,
 (SELECT json_agg(s) FROM ({_SAMPLE_PAGE}) s) AS samples,
 (SELECT count(*) {_VISIBLE_NOTES}) AS total,
 (SELECT json_agg(p) FROM (
    SELECT n.*, s.helpdesk, s.external_id FROM ({_NOTE_PAGE}) n
      LEFT JOIN samples s ON s.id = n.sample_id) p) AS notes
"""
)

_SQLITE = (
    _SCOPE.format(role="role")
    + f"""
SELECT
 (SELECT json_object('role', role, 'agent_id', agent_id) FROM v) AS viewer,
 (SELECT json_object('id', a.id, 'name', a.name, 'email', a.email,
         'slack_user_id', a.slack_user_id, 'active', a.active, 'lead', m.slack_user_id)
  {_AGENT_WHERE}) AS agent,
 (SELECT json_group_array(json_object(
           'id', id, 'helpdesk', helpdesk, 'external_id', external_id, 'url', url,
           'csat', csat, 'closed_at', closed_at, 'summary', summary, 'source', source, 'rn', rn))
    FROM ({_SAMPLE_PAGE})) AS samples,
 (SELECT count(*) {_VISIBLE_NOTES}) AS total,
 (SELECT json_group_array(json_object(
           'id', n.id, 'author', n.author, 'body', n.body, 'created_at', n.created_at,
           'updated_at', n.updated_at, 'follow_up_at', n.follow_up_at,
           'follow_up_done_at', n.follow_up_done_at, 'shared_with_agent', n.shared_with_agent,
           'sample_id', n.sample_id, 'helpdesk', s.helpdesk, 'external_id', s.external_id,
           'rn', n.rn))
    FROM ({_NOTE_PAGE}) n LEFT JOIN samples s ON s.id = n.sample_id) AS notes
"""
)

# SPEC §5 name matching for the by-name variant: active agents whose lowercased name starts with
# :prefix (a LIKE pattern), tier 1 the exact name :q, tier 2 the first name (:first, `q %`, NULL
# when q has a space), tier 3 the prefix; `pick` is the agent when the deciding tier has one.
_PICK = r"""
WITH c AS (SELECT id, lower(name) AS n FROM agents
            WHERE active AND lower(name) LIKE :prefix ESCAPE '\'),
t AS (SELECT id, CASE WHEN n = :q THEN 1
                      WHEN n LIKE CAST(:first AS TEXT) ESCAPE '\' THEN 2 ELSE 3 END AS tier
        FROM c),
best AS (SELECT id FROM t WHERE tier = (SELECT min(tier) FROM t)),
pick AS (SELECT id FROM best WHERE (SELECT count(*) FROM best) = 1),
"""


def _by_name(by_id: str) -> str:
    body = by_id.replace(":agent_id", "(SELECT id FROM pick)").replace("WITH v AS", "v AS", 1)
    return _PICK + body.rstrip() + ",\n (SELECT id FROM pick) AS picked\n"


POSTGRESQL: TextClause = text(_POSTGRESQL)
SQLITE: TextClause = text(_SQLITE)
POSTGRESQL_BY_NAME: TextClause = text(_by_name(_POSTGRESQL))
# SQLite re-evaluates `pick` inside every part of the record (0.9 ms instead of 0.2): there the
# pick is asked first, in process, and the record by id after it.
PICK: TextClause = text(_PICK.rstrip().rstrip(",") + "\nSELECT id FROM pick\n")


def record_statement(dialect: str) -> TextClause:
    """The record statement for a dialect name (`postgresql` or `sqlite`)."""
    return POSTGRESQL if dialect == "postgresql" else SQLITE


def named_record_statement(dialect: str) -> TextClause | None:
    """On PostgreSQL, the record with the agent picked by name in SQL: it takes `:q` (the
    normalized, lowercased name), `:prefix` and `:first` (LIKE patterns) instead of `:agent_id`
    and adds `picked` (the agent's id, NULL when no tier decides one agent). None on SQLite,
    which runs PICK (same parameters) and then the record by id."""
    return POSTGRESQL_BY_NAME if dialect == "postgresql" else None
