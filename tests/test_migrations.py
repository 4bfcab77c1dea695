"""Migrations build the whole schema from empty, identically to the models, on every backend."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from wxpub.infra import migrate
from wxpub.infra.db import Database
from wxpub.models import Base


def test_upgrade_from_empty_matches_the_models(database_url):
    db = Database(database_url)
    assert migrate.current_revision(db) is None
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision(db)
    with db.engine.connect() as connection:
        assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
    db.dispose()


def test_downgrade_to_base_and_up_again(database_url):
    db = Database(database_url)
    migrate.upgrade(db)
    command.downgrade(migrate.alembic_config(db), "base")
    assert migrate.current_revision(db) is None
    migrate.upgrade(db)
    assert migrate.current_revision(db) == migrate.head_revision(db)
    db.dispose()


def test_health_page_reports_current_schema(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json()["status"] == "ok"
    assert "服务状态" in client.get("/").get_data(as_text=True)
