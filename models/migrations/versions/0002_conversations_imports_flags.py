"""conversations imports flags

Revision ID: 0002
Revises: 0001
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('path', sa.String(length=4000), nullable=False),
    sa.Column('size', sa.BigInteger(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('rows_loaded', sa.Integer(), nullable=False),
    sa.Column('rows_bad', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_imports'))
    )
    op.create_table('conversations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('helpdesk', sa.String(length=32), nullable=False),
    sa.Column('external_id', sa.String(length=200), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('csat', sa.Float(), nullable=False),
    sa.Column('queue', sa.String(length=200), nullable=True),
    sa.Column('tags', sa.String(length=2000), nullable=True),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('import_id', sa.Integer(), nullable=True),
    sa.Column('source_offset', sa.BigInteger(), nullable=True),
    sa.Column('source_line', sa.Integer(), nullable=True),
    sa.Column('has_transcript', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_conversations_agent_id_agents'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['import_id'], ['imports.id'], name=op.f('fk_conversations_import_id_imports'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversations')),
    sa.UniqueConstraint('helpdesk', 'external_id', name='uq_conversations_source')
    )
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_index('ix_conversations_agent_closed', ['agent_id', 'closed_at'], unique=False)
        batch_op.create_index('ix_conversations_closed', ['closed_at'], unique=False)

    op.create_table('flags',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('agent_id', sa.Integer(), nullable=False),
    sa.Column('raised_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cleared_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dismissed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dismissed_by', sa.String(length=32), nullable=True),
    sa.Column('dismiss_reason', sa.String(length=500), nullable=True),
    sa.Column('baseline', sa.Float(), nullable=False),
    sa.Column('current', sa.Float(), nullable=False),
    sa.Column('slope', sa.Float(), nullable=False),
    sa.Column('tau', sa.Float(), nullable=False),
    sa.Column('p_value', sa.Float(), nullable=False),
    sa.Column('ratings', sa.Integer(), nullable=False),
    sa.Column('review_start', sa.DateTime(timezone=True), nullable=False),
    sa.Column('review_end', sa.DateTime(timezone=True), nullable=False),
    sa.Column('windows', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['agent_id'], ['agents.id'], name=op.f('fk_flags_agent_id_agents'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_flags'))
    )
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.create_index('ix_flags_agent_cleared', ['agent_id', 'cleared_at'], unique=False)

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
    with op.batch_alter_table('samples', schema=None) as batch_op:
        batch_op.add_column(sa.Column('flag_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('engine', sa.String(length=64), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_samples_flag_id_flags'), 'flags', ['flag_id'], ['id'], ondelete='SET NULL')



def downgrade() -> None:
    with op.batch_alter_table('samples', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_samples_flag_id_flags'), type_='foreignkey')
        batch_op.drop_column('engine')
        batch_op.drop_column('flag_id')

    op.drop_table('flag_deliveries')
    with op.batch_alter_table('flags', schema=None) as batch_op:
        batch_op.drop_index('ix_flags_agent_cleared')

    op.drop_table('flags')
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_closed')
        batch_op.drop_index('ix_conversations_agent_closed')

    op.drop_table('conversations')
    op.drop_table('imports')
