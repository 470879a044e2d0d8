"""``flask --app app backup PATH`` and ``flask --app app restore PATH [--force]`` (see workflows.backup)."""

from __future__ import annotations

from datetime import datetime

import click
from flask import Flask

from workflows import clock
from workflows.ops import backup as backups
from workflows.process import catalog


def register(app: Flask) -> None:
    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, writable=True))
    @click.option("--allow-missing-files", is_flag=True,
                  help="Back up even when attachments have no file in UPLOAD_FOLDER (files really lost)")
    def backup_command(path, allow_missing_files):
        """Write every table's rows, the uploaded files and the schema revision to a zip archive.

        Refuses when an attachment's file is not in UPLOAD_FOLDER (run it with the service's settings)."""
        manifest = backups.backup(path, allow_missing_files)
        rows = sum(manifest["tables"].values())
        click.echo(f"Đã sao lưu {rows} dòng dữ liệu của {len(manifest['tables'])} bảng và {manifest['files']} tệp "
                   f"(lược đồ {manifest['alembic_revision']}) vào {path}.")
        _warn_missing(manifest["missing_files"], "không có trong bản sao lưu")
        # the digests inside the archive catch damage; this one, kept elsewhere, also catches a rewritten archive
        click.echo(f"SHA-256 của tệp: {manifest['archive_sha256']} — hãy lưu mã này ở nơi khác và khôi phục với "
                   f"--sha256 {manifest['archive_sha256']}.")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False))
    @click.option("--force", is_flag=True, help="Erase the data already in the database and replace it")
    @click.option("--sha256", "expected_sha256", metavar="HEX",
                  help="The archive's SHA-256 as the backup printed it: refuse the file if it differs")
    def restore_command(path, force, expected_sha256):
        """Load a backup archive into a database at the same migration revision (empty unless --force).

        The archive carries process models (code) and password hashes: restore only a file you trust. Its
        layout, sizes and the sha256 of every entry are checked before anything is written."""
        result = backups.restore(path, force=force, expected_sha256=expected_sha256,
                                 seeded_agencies=catalog.named_agencies())
        rows = sum(result["tables"].values())
        made = _local_time(result["created_at"])
        click.echo(f"Đã khôi phục {rows} dòng dữ liệu và {result['files']} tệp từ bản sao lưu "
                   f"{('lúc ' + made + ' ') if made else ''}(lược đồ {result['alembic_revision']}).")
        _warn_missing(result["missing_files"], "không có tệp: tải các tệp đó lên lại hoặc khôi phục bản sao lưu "
                                               "khác")


def _warn_missing(names: list[str], what: str) -> None:
    if names:
        click.echo(f"CẢNH BÁO: {len(names)} tệp đính kèm {what} ({', '.join(names[:3])}…).", err=True)


def _local_time(moment: str | None) -> str | None:
    """A backup's moment (ISO, UTC) as the province reads it: "08/12/2026 04:48" in Asia/Ho_Chi_Minh."""
    try:
        when = datetime.fromisoformat(moment) if moment else None
    except ValueError:
        return moment  # (an archive's own text, shown as it is)
    if when is None:
        return None
    return f"{(when.astimezone(clock.LOCAL_TZ) if when.tzinfo else clock.to_local(when)):%d/%m/%Y %H:%M}"
