"""conversations.import_id: a pointer to where the transcript is, no longer a foreign key

A foreign key check locks the one imports row once per conversation written: a third of a
bulk import's time. Nothing deletes imports, and a conversation whose import is gone reads
as "no transcript" already.

Revision ID: 0009
Revises: 0008
"""
from alembic import op


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_constraint('fk_conversations_import_id_imports', type_='foreignkey')


def downgrade() -> None:
    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.create_foreign_key(
            'fk_conversations_import_id_imports', 'imports', ['import_id'], ['id'],
            ondelete='SET NULL',
        )
