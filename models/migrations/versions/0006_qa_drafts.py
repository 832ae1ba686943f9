"""qa drafts

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('qa_skips',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('helpdesk', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_skips'))
    )
    op.create_table('rubrics',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('criteria', sa.JSON(), nullable=False),
    sa.Column('source_sha256', sa.String(length=64), nullable=False),
    sa.Column('approved_by', sa.String(length=32), nullable=False),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rubrics')),
    sa.UniqueConstraint('version', name=op.f('uq_rubrics_version'))
    )
    op.create_table('qa_drafts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('helpdesk', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('rubric_id', sa.Integer(), nullable=False),
    sa.Column('engine', sa.String(length=64), nullable=False),
    sa.Column('summary', sa.Text(), nullable=False),
    sa.Column('scores', sa.JSON(), nullable=False),
    sa.Column('points', sa.JSON(), nullable=False),
    sa.Column('dropped_points', sa.Integer(), nullable=False),
    sa.Column('policy_exception', sa.Boolean(), nullable=False),
    sa.Column('customer_risk', sa.JSON(), nullable=False),
    sa.Column('confidence', sa.Float(), nullable=False),
    sa.Column('route', sa.String(length=16), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=True),
    sa.Column('status', sa.Enum('pending', 'approved', 'edited', 'rejected', name='qa_draft_status'), nullable=False),
    sa.Column('decided_by', sa.String(length=32), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reject_reason', sa.String(length=500), nullable=True),
    sa.Column('edited_points', sa.JSON(), nullable=True),
    sa.Column('dm_channel', sa.String(length=32), nullable=True),
    sa.Column('dm_ts', sa.String(length=32), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_qa_drafts_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['rubric_id'], ['rubrics.id'], name=op.f('fk_qa_drafts_rubric_id_rubrics')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_qa_drafts'))
    )
    with op.batch_alter_table('qa_drafts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_qa_drafts_agent_id'), ['agent_id'], unique=False)
        batch_op.create_index('ix_qa_drafts_status', ['status', 'created_at'], unique=False)

    op.create_table('measurement_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=True),
    sa.Column('draft_id', sa.Integer(), nullable=True),
    sa.Column('payload', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_measurement_events_agent_id_agents'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['draft_id'], ['qa_drafts.id'], name=op.f('fk_measurement_events_draft_id_qa_drafts'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_measurement_events'))
    )
    with op.batch_alter_table('measurement_events', schema=None) as batch_op:
        batch_op.create_index('ix_measurement_events_kind_at', ['kind', 'at'], unique=False)

    op.create_table('process_issues',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('draft_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('evidence', sa.JSON(), nullable=False),
    sa.Column('topic', sa.String(length=200), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['draft_id'], ['qa_drafts.id'], name=op.f('fk_process_issues_draft_id_qa_drafts'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_issues'))
    )
    with op.batch_alter_table('process_issues', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_issues_draft_id'), ['draft_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('process_issues', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_process_issues_draft_id'))

    op.drop_table('process_issues')
    with op.batch_alter_table('measurement_events', schema=None) as batch_op:
        batch_op.drop_index('ix_measurement_events_kind_at')

    op.drop_table('measurement_events')
    with op.batch_alter_table('qa_drafts', schema=None) as batch_op:
        batch_op.drop_index('ix_qa_drafts_status')
        batch_op.drop_index(batch_op.f('ix_qa_drafts_agent_id'))

    op.drop_table('qa_drafts')
    op.drop_table('rubrics')
    op.drop_table('qa_skips')
