"""``flask --app app backup PATH`` and ``flask --app app restore PATH [--force]`` (see workflows.backup)."""

from __future__ import annotations

import click
from flask import Flask

from workflows.errors import DomainError
from workflows.ops import backup as backups


def register(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    def backup_command(path):
        """Write every table's rows, the uploaded files and the schema revision to a zip archive."""
        try:
            manifest = backups.backup(path)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        rows = sum(manifest["tables"].values())
        click.echo(f"Đã sao lưu {rows} dòng dữ liệu của {len(manifest['tables'])} bảng và {manifest['files']} tệp "
                   f"(lược đồ {manifest['alembic_revision']}) vào {path}.")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--force", is_flag=True, help="Erase the data already in the database and replace it")
    def restore_command(path, force):
        """Load a backup archive into a database at the same migration revision (empty unless --force)."""
        try:
            result = backups.restore(path, force=force)
        except DomainError as exc:
            raise click.ClickException(exc.message) from exc
        rows = sum(result["tables"].values())
        click.echo(f"Đã khôi phục {rows} dòng dữ liệu và {result['files']} tệp từ bản sao lưu "
                   f"{result['created_at'] or ''} (lược đồ {result['alembic_revision']}).")
