"""agents.name_key: the Unicode case-folded name every lookup matches on

Revision ID: 0007
Revises: 0006
"""
from alembic import op
import sqlalchemy as sa

# The key must be exactly what the ORM writes; if fold_name ever changes, a new migration
# refills the column.
from models.agent import fold_name


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_key', sa.String(length=800), nullable=True))
    agents = sa.table('agents', sa.column('id', sa.Integer), sa.column('name', sa.String),
                      sa.column('name_key', sa.String))
    conn = op.get_bind()
    rows = conn.execute(sa.select(agents.c.id, agents.c.name)).all()
    if rows:
        conn.execute(
            agents.update().where(agents.c.id == sa.bindparam('agent_id')),
            [{'agent_id': row.id, 'name_key': fold_name(row.name)} for row in rows],
        )
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.alter_column('name_key', existing_type=sa.String(length=800), nullable=False)
        batch_op.create_index(batch_op.f('ix_agents_name_key'), ['name_key'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('agents', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agents_name_key'))
        batch_op.drop_column('name_key')
