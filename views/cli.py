"""Command-line interface (DESIGN.md §5): ``flask --app app <command>``."""

from __future__ import annotations

import click
from flask import Flask
from flask_migrate import upgrade

from models import ROLES
from workflows import demo, people, process_models
from workflows.errors import DomainError


def _fail(exc: DomainError) -> None:
    raise click.ClickException(exc.message)


def register(app: Flask) -> None:
    @app.cli.command("init-db")
    def init_db():
        """Create or upgrade the schema and deploy changed BPMN/DMN files; safe to run twice."""
        upgrade()
        deployed = process_models.deploy(deployed_by="init-db")
        for model in deployed:
            click.echo(f"Đã triển khai {model.filename} phiên bản {model.version}")
        click.echo("Cơ sở dữ liệu đã sẵn sàng.")

    @app.cli.command("create-agency")
    @click.argument("name")
    @click.option("--short-name", default=None)
    def create_agency(name, short_name):
        """Add an agency to the registry."""
        try:
            agency = people.create_agency(name, short_name=short_name)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"Đã tạo đơn vị: {agency.name}")

    @app.cli.command("create-user")
    @click.argument("username")
    @click.option("--password", required=True)
    @click.option("--agency", default=None, help="Full agency name")
    @click.option("--role", "roles", multiple=True, required=True, type=click.Choice(ROLES))
    @click.option("--full-name", default=None)
    @click.option("--email", default=None)
    def create_user(username, password, agency, roles, full_name, email):
        """Create a user with one or more roles."""
        try:
            user = people.create_user(username, password, agency, list(roles), full_name, email)
        except DomainError as exc:
            _fail(exc)
        click.echo(f"Đã tạo người dùng: {user.username} ({', '.join(user.roles)})")

    @app.cli.command("seed-demo")
    def seed_demo():
        """Load a demo province: agencies, one user per role, tasks at every step."""
        summary = demo.seed()
        click.echo(summary)
