"""The Coach record in one statement per dialect: viewer, agent, worst samples, a page of notes.

Both statements take `:user` (the viewer's Slack id), `:agent_id`, `:samples`, `:limit` and
`:offset`, and return the same columns, each JSON (text on SQLite): `viewer` ({role, agent_id}
or NULL for a non-member), `agent` (NULL when missing or out of the viewer's scope), `samples`
and `notes` (arrays of SAMPLE_FIELDS and NOTE_FIELDS + `rn`, their order; each note carries the
number of live notes the viewer may see).
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
# the live notes the viewer may see, counted before the page is cut (the count is 0 or NULL
# when the page is past the end)
_NOTE_PAGE = """
SELECT id, author, body, created_at, updated_at, follow_up_at, follow_up_done_at,
       shared_with_agent, sample_id, seen_at, acknowledged_at, count(*) OVER () AS total,
       row_number() OVER (ORDER BY created_at DESC, id DESC) AS rn
  FROM notes WHERE agent_id = :agent_id AND archived_at IS NULL
   AND (SELECT may FROM g) AND ((SELECT lead FROM g) OR shared_with_agent)
 ORDER BY created_at DESC, id DESC LIMIT :limit OFFSET :offset
"""
_AGENT_WHERE = """
FROM agents a LEFT JOIN members m ON m.id = a.lead_member_id
WHERE a.id = :agent_id AND (SELECT may FROM g)
"""
# Samples and notes come as arrays of arrays (smaller and cheaper to build and parse than
# objects), their fields in these orders; `rn` gives the order of the items.
SAMPLE_FIELDS = ("id", "helpdesk", "external_id", "url", "csat", "closed_at", "summary", "source")
NOTE_FIELDS = (
    "id", "author", "body", "created_at", "updated_at", "follow_up_at", "follow_up_done_at",
    "shared_with_agent", "sample_id", "seen_at", "acknowledged_at", "replies", "helpdesk",
    "external_id", "total",
)  # fmt: skip
# a note's replies: [author, body, created_at, id] each, put in order by the reader
_REPLIES = """
{sub}((SELECT {agg}({arr}(r.author, r.body, r.created_at, r.id))
         FROM note_replies r WHERE r.note_id = n.id))"""
_SAMPLE_ITEM = ", ".join(SAMPLE_FIELDS) + ", rn"
_NOTE_ITEM = ", ".join(f"n.{name}" for name in NOTE_FIELDS[:11]) + (
    ", {replies}, s.helpdesk, s.external_id, n.total, n.rn"
)


def _record(role: str, obj: str, arr: str, agg: str, sub: str) -> str:
    note_item = _NOTE_ITEM.format(replies=_REPLIES.format(sub=sub, agg=agg, arr=arr))
    return (
        _SCOPE.format(role=role)
        + f"""
SELECT
 (SELECT {obj}('role', role, 'agent_id', agent_id) FROM v) AS viewer,
 (SELECT {obj}('id', a.id, 'name', a.name, 'email', a.email,
         'slack_user_id', a.slack_user_id, 'active', a.active, 'lead', m.slack_user_id)
  {_AGENT_WHERE}) AS agent,
 (SELECT {agg}({arr}({_SAMPLE_ITEM})) FROM ({_SAMPLE_PAGE}) s) AS samples,
 (SELECT {agg}({arr}({note_item}))
    FROM ({_NOTE_PAGE}) n LEFT JOIN samples s ON s.id = n.sample_id) AS notes
"""
    )


# SQLite's json() keeps the replies an array inside the note's (a subquery's JSON is text)
_POSTGRESQL = _record("role::text", "json_build_object", "json_build_array", "json_agg", "")
_SQLITE = _record("role", "json_object", "json_array", "json_group_array", "json")

# SPEC §5 name matching for the by-name variant: active agents whose name key starts with
# :prefix (a LIKE pattern), tier 1 the exact name :q, tier 2 the first name (:first, `q %`, NULL
# when q has a space), tier 3 the prefix; `pick` is the agent when the deciding tier has one.
_PICK = r"""
WITH c AS (SELECT id, name_key AS n FROM agents
            WHERE active AND name_key LIKE :prefix ESCAPE '\'),
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
    normalized, case-folded name), `:prefix` and `:first` (LIKE patterns) instead of `:agent_id`
    and adds `picked` (the agent's id, NULL when no tier decides one agent). None on SQLite,
    which runs PICK (same parameters) and then the record by id."""
    return POSTGRESQL_BY_NAME if dialect == "postgresql" else None
