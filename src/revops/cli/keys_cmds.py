"""`revops keys create|list|revoke`: API keys for the REST API and the dashboard.

    revops keys create --role rep --user usr_0042 --format json     # {"key": "rvk_..."}, shown once

The store keeps only each key's SHA-256 hash. The server reads the keys when it starts (the
store is its own while it runs): make keys with the server stopped, or with an admin key
through POST /v1/keys while it runs. See docs/api.md.
"""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from revops.cli.context import app_context
from revops.cli.output import FormatOption, OutputFormat, emit, stderr

keys_app = typer.Typer(help="API keys (hashed in the store) with a role: admin, ops, manager or rep.",
                       no_args_is_help=True, add_completion=False)

LIST_COLUMNS = ["key_id", "role", "user_id", "label", "created_at", "created_by", "revoked_at", "revoked_by"]


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def create(
    ctx: typer.Context,
    role: Annotated[str, typer.Option("--role", help="admin (everything, keys included), ops (every record, every write), manager (their team's records), rep (their own records).")],
    user: Annotated[Optional[str], typer.Option("--user", help="The users.user_id the key belongs to; required for manager and rep keys.")] = None,
    label: Annotated[Optional[str], typer.Option("--label", help="What the key is for (a name, an integration).")] = None,
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Make an API key and print it once: only its hash is stored."""
    from revops.access import create_key
    from revops.access.keys import check_role

    app = app_context(ctx)
    check_role(role, user)  # before the store is opened (or created)
    with app.store() as store:
        made = create_key(store, role, user_id=user, label=label, created_by=app.user())
    if fmt is not OutputFormat.table:
        emit(made, fmt, columns=["key", "key_id", "role", "user_id", "label"])
        return
    typer.echo(made["key"])  # alone on its line, never wrapped: it is copied from here
    who = f" for {user}" if user else ""
    stderr.print(f"key {made['key_id']}: role {role}{who}.", highlight=False)
    stderr.print("Copy the key now: it is not stored and cannot be shown again. Send it as "
                 "'Authorization: Bearer <key>', or sign in to the dashboard with it.", highlight=False)


@keys_app.command("list")
def list_(ctx: typer.Context, fmt: FormatOption = OutputFormat.table) -> None:
    """Every key: id, role, user, who made it and when, revoked or not (never the key itself)."""
    from revops.access import list_keys

    app = app_context(ctx)
    with app.existing_store(read_only=True) as store:
        emit(list_keys(store), fmt, columns=LIST_COLUMNS)


@keys_app.command("revoke")
def revoke(
    ctx: typer.Context,
    key_id: Annotated[str, typer.Argument(help="The key's id (`revops keys list`).")],
    fmt: FormatOption = OutputFormat.table,
) -> None:
    """Revoke a key: the server refuses it from its next start (POST /v1/keys/{id}/revoke: at once)."""
    from revops.access import revoke_key

    app = app_context(ctx)
    with app.existing_store() as store:
        emit(revoke_key(store, key_id, revoked_by=app.user()), fmt, columns=LIST_COLUMNS)
