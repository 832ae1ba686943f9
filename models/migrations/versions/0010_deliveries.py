"""deliveries: one send-once store for flag DMs, QA drafts, digests and reminders

Before, each kind of DM kept its claim its own way: `flag_deliveries` rows, `claim:<epoch>` in
`qa_drafts.dm_ts`, a JSON payload on `digest_sent` measurement events, and columns on
`reminders`. Every claim, in flight or confirmed, is carried over exactly:

- a flag delivery becomes a `flag` delivery (an unconfirmed one stays claimed at its time, and
  is looked for in the DM's history when taken over, as before);
- a QA draft's claim becomes a `qa_draft` delivery per recipient (the agent's lead, else every
  owner and admin) claimed at its time; a sent draft, one sent delivery per recipient, the first
  holding the message `dm_channel`/`dm_ts` still name;
- a digest's event becomes a `digest` delivery (subject the ISO week); the events of digests
  not sent yet are removed, since a digest's event is now written once it is sent;
- a reminder's claim, attempts and message move to its `reminder` delivery.

Downgrading carries flag and reminder deliveries back; QA draft and digest claims in flight are
dropped (a sent draft keeps `dm_channel`/`dm_ts`, a sent digest its event).

Revision ID: 0010
Revises: 0009
"""
from datetime import UTC, datetime

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

MIGRATED = 'migrated'  # the token of a claim made before this migration
REMINDER_COLUMNS = (
    'claimed_at', 'claim_token', 'maybe_sent', 'check_history', 'attempts', 'next_attempt_at',
    'last_error', 'sent_at', 'channel', 'ts',
)

deliveries = sa.table(
    'deliveries',
    sa.column('kind', sa.String), sa.column('subject', sa.String),
    sa.column('recipient', sa.String), sa.column('claim_token', sa.String),
    sa.column('claimed_at', sa.DateTime(timezone=True)), sa.column('maybe_sent', sa.Boolean),
    sa.column('check_history', sa.Boolean), sa.column('attempts', sa.Integer),
    sa.column('next_attempt_at', sa.DateTime(timezone=True)),
    sa.column('last_error', sa.String), sa.column('channel', sa.String),
    sa.column('ts', sa.String), sa.column('sent_at', sa.DateTime(timezone=True)),
    sa.column('created_at', sa.DateTime(timezone=True)),
)


def _when(value: object) -> datetime | None:
    """A stored time as an aware UTC datetime (SQLite hands back strings or naive values)."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _when_or(value: object, unreadable: datetime) -> datetime:
    """A time written into a JSON payload, or `unreadable` when it is missing or garbled."""
    try:
        return _when(value) or unreadable
    except (TypeError, ValueError):
        return unreadable


def _row(**values: object) -> dict[str, object]:
    base: dict[str, object] = {
        'claim_token': None, 'claimed_at': None, 'maybe_sent': False, 'check_history': False,
        'attempts': 0, 'next_attempt_at': None, 'last_error': None, 'channel': None,
        'ts': None, 'sent_at': None,
    }
    return base | values


def _create_table() -> None:
    op.create_table('deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=64), nullable=False),
    sa.Column('recipient', sa.String(length=32), nullable=False),
    sa.Column('claim_token', sa.String(length=40), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('maybe_sent', sa.Boolean(), nullable=False),
    sa.Column('check_history', sa.Boolean(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.String(length=300), nullable=True),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('ts', sa.String(length=32), nullable=True),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deliveries')),
    sa.UniqueConstraint('kind', 'subject', 'recipient', name='uq_deliveries_once')
    )
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.create_index('ix_deliveries_unsent', ['kind', 'sent_at'], unique=False)


def _reminders(bind: sa.Connection) -> list[dict[str, object]]:
    rows = bind.execute(sa.text(
        'SELECT id, author, created_at, ' + ', '.join(REMINDER_COLUMNS) + ' FROM reminders'
    )).mappings()
    return [
        _row(
            kind='reminder', subject=str(r['id']), recipient=r['author'],
            claim_token=r['claim_token'], claimed_at=_when(r['claimed_at']),
            maybe_sent=bool(r['maybe_sent']), check_history=bool(r['check_history']),
            attempts=int(r['attempts'] or 0), next_attempt_at=_when(r['next_attempt_at']),
            last_error=r['last_error'], channel=r['channel'], ts=r['ts'],
            sent_at=_when(r['sent_at']), created_at=_when(r['created_at']),
        )
        for r in rows
    ]


def _flags(bind: sa.Connection) -> list[dict[str, object]]:
    rows = bind.execute(sa.text(
        'SELECT flag_id, recipient, channel, ts, claimed_at, sent_at FROM flag_deliveries'
    )).mappings()
    return [
        _row(
            kind='flag', subject=str(r['flag_id']), recipient=r['recipient'],
            claim_token=MIGRATED if r['sent_at'] is None else None,
            claimed_at=_when(r['claimed_at']), maybe_sent=True, channel=r['channel'],
            ts=r['ts'], sent_at=_when(r['sent_at']), created_at=_when(r['claimed_at']),
        )
        for r in rows
    ]


def _recipients_of(bind: sa.Connection) -> dict[int, list[str]]:
    """Each agent's recipients: its lead, else every owner and admin (as
    `bot.flags.dms.recipients`), read in two statements."""
    leads = list(bind.execute(sa.text(
        "SELECT slack_user_id FROM members WHERE role IN ('owner', 'admin') "
        'ORDER BY slack_user_id'
    )).scalars())
    agents = bind.execute(sa.text(
        'SELECT a.id, m.slack_user_id FROM agents a '
        'LEFT JOIN members m ON m.id = a.lead_member_id'
    ))
    return {agent: [lead] if lead is not None else leads for agent, lead in agents}


def _drafts(bind: sa.Connection) -> list[dict[str, object]]:
    rows = bind.execute(sa.text(
        'SELECT id, agent_id, dm_channel, dm_ts, created_at FROM qa_drafts '
        "WHERE dm_channel IS NOT NULL OR dm_ts LIKE 'claim:%'"
    )).mappings()
    recipients = _recipients_of(bind)
    out = []
    for r in rows:
        people = recipients.get(r['agent_id'], [])
        if r['dm_channel'] is not None:  # sent: to every recipient, the first one recorded
            out += [
                _row(
                    kind='qa_draft', subject=str(r['id']), recipient=person,
                    channel=r['dm_channel'] if n == 0 else None,
                    ts=r['dm_ts'] if n == 0 else None, maybe_sent=True,
                    sent_at=_when(r['created_at']), created_at=_when(r['created_at']),
                )
                for n, person in enumerate(people)
            ]
            continue
        try:
            claimed = datetime.fromtimestamp(float(r['dm_ts'].removeprefix('claim:')), UTC)
        except ValueError:
            claimed = datetime.fromtimestamp(0, UTC)  # unreadable: taken over at once
        out += [
            _row(
                kind='qa_draft', subject=str(r['id']), recipient=person, claim_token=MIGRATED,
                claimed_at=claimed, maybe_sent=True, created_at=claimed,
            )
            for person in people
        ]
    return out


def _digests(bind: sa.Connection) -> tuple[list[dict[str, object]], list[int]]:
    events = sa.table(
        'measurement_events', sa.column('id', sa.Integer), sa.column('kind', sa.String),
        sa.column('payload', sa.JSON),
    )
    rows = bind.execute(
        sa.select(events.c.id, events.c.payload)
        .where(events.c.kind == 'digest_sent')
        .order_by(events.c.id)
    ).all()
    out: dict[tuple[str, str], dict[str, object]] = {}
    unsent: list[int] = []
    for event_id, payload in rows:
        if not isinstance(payload, dict) or not payload.get('lead') or not payload.get('week'):
            continue  # not a digest claim this code ever wrote: left as it is
        lead, week = payload['lead'], payload['week']
        # a garbled claim time is taken over at once; a garbled send time still means sent
        claimed = _when_or(payload.get('claimedAt'), datetime.fromtimestamp(0, UTC))
        sent = _when_or(payload['sentAt'], claimed) if payload.get('sentAt') else None
        if sent is None:
            unsent.append(event_id)
        out.setdefault((str(lead), str(week)), _row(
            kind='digest', subject=str(week), recipient=str(lead),
            claim_token=None if sent else MIGRATED, claimed_at=claimed, maybe_sent=True,
            channel=payload.get('channel'), ts=payload.get('ts'), sent_at=sent,
            created_at=claimed,
        ))
    return list(out.values()), unsent


def upgrade() -> None:
    bind = op.get_bind()
    _create_table()
    digests, unsent_events = _digests(bind)
    rows = _reminders(bind) + _flags(bind) + _drafts(bind) + digests
    if rows:
        op.bulk_insert(deliveries, rows)
    if unsent_events:
        bind.execute(
            sa.text('DELETE FROM measurement_events WHERE id IN :ids')
            .bindparams(sa.bindparam('ids', expanding=True)),
            {'ids': unsent_events},
        )
    bind.execute(sa.text("UPDATE qa_drafts SET dm_ts = NULL WHERE dm_channel IS NULL"))
    op.drop_table('flag_deliveries')
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        for column in REMINDER_COLUMNS:
            batch_op.drop_column(column)


def downgrade() -> None:
    op.create_table('flag_deliveries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('flag_id', sa.Integer(), nullable=False),
    sa.Column('recipient', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=True),
    sa.Column('ts', sa.String(length=32), nullable=True),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['flag_id'], ['flags.id'], name=op.f('fk_flag_deliveries_flag_id_flags'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flag_deliveries')),
    sa.UniqueConstraint('flag_id', 'recipient', name='uq_flag_deliveries_once')
    )
    with op.batch_alter_table('reminders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('claim_token', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('maybe_sent', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('check_history', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_error', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('channel', sa.String(length=32), nullable=True))
        batch_op.add_column(sa.Column('ts', sa.String(length=32), nullable=True))
    bind = op.get_bind()
    for column in REMINDER_COLUMNS:
        bind.execute(sa.text(
            f'UPDATE reminders SET {column} = (SELECT d.{column} FROM deliveries d '
            "WHERE d.kind = 'reminder' AND d.subject = CAST(reminders.id AS VARCHAR(64))) "
            "WHERE EXISTS (SELECT 1 FROM deliveries d WHERE d.kind = 'reminder' "
            'AND d.subject = CAST(reminders.id AS VARCHAR(64)))'
        ))
    bind.execute(sa.text(
        'INSERT INTO flag_deliveries (flag_id, recipient, channel, ts, claimed_at, sent_at) '
        'SELECT CAST(d.subject AS INTEGER), d.recipient, d.channel, d.ts, '
        'COALESCE(d.claimed_at, d.created_at), d.sent_at FROM deliveries d '
        "WHERE d.kind = 'flag' AND EXISTS (SELECT 1 FROM flags f "
        'WHERE CAST(f.id AS VARCHAR(64)) = d.subject)'
    ))
    with op.batch_alter_table('deliveries', schema=None) as batch_op:
        batch_op.drop_index('ix_deliveries_unsent')
    op.drop_table('deliveries')
