"""the agent's side of shared notes (seen, acknowledged, replies) and the lead's final QA scores

Revision ID: 0011
Revises: 0010
"""
from alembic import op
import sqlalchemy as sa


revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seen_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('acknowledged_at', sa.DateTime(timezone=True), nullable=True))
    op.create_table('note_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('note_id', sa.Integer(), nullable=False),
    sa.Column('author', sa.String(length=32), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['note_id'], ['notes.id'], name=op.f('fk_note_replies_note_id_notes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_note_replies')),
    sa.UniqueConstraint('idempotency_key', name=op.f('uq_note_replies_idempotency_key'))
    )
    op.create_index('ix_note_replies_note', 'note_replies', ['note_id', 'created_at'], unique=False)
    with op.batch_alter_table('qa_drafts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('final_scores', sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('qa_drafts', schema=None) as batch_op:
        batch_op.drop_column('final_scores')
    op.drop_index('ix_note_replies_note', table_name='note_replies')
    op.drop_table('note_replies')
    with op.batch_alter_table('notes', schema=None) as batch_op:
        batch_op.drop_column('acknowledged_at')
        batch_op.drop_column('seen_at')
