"""Everything the API server is configured with, in one typed object.

    settings = ApiSettings.from_env(db=Path("revops.duckdb"))     # REVOPS_* variables fill the rest
    app = create_app(settings)

| setting | environment | default |
| --- | --- | --- |
| db | REVOPS_DB | revops.duckdb |
| model_path | REVOPS_MODEL | ./revops.yaml if present, else the built-in model |
| host, port | REVOPS_API_HOST, REVOPS_API_PORT | 127.0.0.1, 8000 |
| api_token | REVOPS_API_TOKEN | none (an admin key besides those of `revops keys`) |
| max_batch | REVOPS_API_MAX_BATCH | 512 leads per group commit |
| max_pending | REVOPS_API_MAX_PENDING | 20,000 requests waiting; more get 503 |
| commit_interval_ms | REVOPS_API_COMMIT_INTERVAL_MS | 20: under load, one group commit per 20 ms |
| idle_checkpoint_ms | REVOPS_API_IDLE_CHECKPOINT_MS | 500: fold the log into the file at lulls |
| log_backstop | REVOPS_API_LOG_BACKSTOP | 256MB: checkpoint anyway (sustained load) |
| db_threads | REVOPS_API_DB_THREADS | 1 DuckDB thread (the writes are small) |
| daily_at | REVOPS_API_DAILY_AT | none: no daily run inside the server (HH:MM UTC: `revops run daily` then) |

Every ``/v1`` request needs ``Authorization: Bearer <key>``: a key made by `revops keys create`
(its role and scope apply), or ``api_token``, which acts as an admin key. 401 otherwise;
``/health`` stays open so load balancers can probe it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

ENV_PREFIX = "REVOPS_API_"


_ENV_NAMES = {"api_token": "REVOPS_API_TOKEN", "events_secret": "REVOPS_EVENTS_SECRET",
              "workflows": "REVOPS_WORKFLOWS"}
"""Settings whose environment variable is not REVOPS_API_<NAME>."""


class ApiSettings(BaseModel):
    """Settings of `revops serve`."""

    model_config = ConfigDict(frozen=True)

    db: Path = Field(Path("revops.duckdb"), description="The store file the server owns while it runs.")
    model_path: Path | None = Field(None, description="revops.yaml; None: the built-in default model.")
    host: str = Field("127.0.0.1", description="Interface to listen on (127.0.0.1: this machine only).")
    port: int = Field(8000, ge=0, le=65535)
    api_token: SecretStr | None = Field(None, description="A bearer token that acts as an admin key (besides the keys of `revops keys`).")
    max_batch: int = Field(512, ge=1, description="Most leads scored, routed and committed together.")
    max_pending: int = Field(20_000, ge=1, description="Requests waiting for the writer before 503s.")
    commit_interval_ms: float = Field(20.0, ge=0, description=(
        "Under load, the writer commits at most this often, so a commit's fixed cost is shared by more "
        "leads; a lead arriving after a quiet spell is committed at once. 0: commit as soon as possible."))
    access_log: bool = Field(False, description="One log line per request (costs throughput).")
    idle_checkpoint_ms: float = Field(500.0, ge=0, description=(
        "Fold the store's log into the file once the intake has been idle this long, rather than inside a "
        "commit every 16 MB (an 80-350 ms stall every few seconds at 1,000 leads/s). 0: DuckDB's own."))
    log_backstop: str = Field("256MB", pattern=r"^\d+(KB|MB|GB)$", description=(
        "With idle checkpoints: the log size at which DuckDB checkpoints anyway (load with no lull)."))
    db_threads: int = Field(1, ge=1, description=(
        "DuckDB worker threads of the server's store. 1: each small write of a group commit runs in "
        "the writer's own thread instead of waking a pool (about twice as fast for tiny inserts)."))

    events_secret: SecretStr | None = Field(None, description=(
        "REVOPS_EVENTS_SECRET: the shared key senders sign POST /v1/events with (X-Revops-Signature: "
        "t=UNIX,v1=HMAC-SHA256(key, 't.body')); a signed request needs no API key."))
    workflows: bool = Field(True, description="Run the workflows of revops.yaml inside the server.")
    daily_at: str | None = Field(None, pattern=r"^\s*\d{1,2}:\d{2}\s*$", description=(
        "HH:MM (UTC): run `revops run daily` inside the server at that time every day."))

    @field_validator("daily_at")
    @classmethod
    def _a_time_of_day(cls, value: str | None) -> str | None:
        if value is not None:
            from revops.api.daily import parse_daily_at

            parse_daily_at(value)
        return value

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None, **overrides: Any) -> ApiSettings:
        """Settings from REVOPS_* environment variables; keyword arguments that are not None win."""
        env = dict(os.environ if env is None else env)
        values: dict[str, Any] = {}
        if env.get("REVOPS_DB"):
            values["db"] = env["REVOPS_DB"]
        if env.get("REVOPS_MODEL"):
            values["model_path"] = env["REVOPS_MODEL"]
        elif Path("revops.yaml").exists():
            values["model_path"] = Path("revops.yaml")
        for name in ("host", "port", "api_token", "max_batch", "max_pending", "commit_interval_ms",
                     "idle_checkpoint_ms", "log_backstop", "db_threads", "daily_at", "events_secret", "workflows"):
            text = env.get(_ENV_NAMES.get(name, ENV_PREFIX + name.upper()))
            if text:
                values[name] = text
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls.model_validate(values)

    @property
    def events_key(self) -> str | None:
        return self.events_secret.get_secret_value() if self.events_secret is not None else None

    @property
    def token(self) -> str | None:
        return self.api_token.get_secret_value() if self.api_token is not None else None

    @property
    def base_url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"http://{host}:{self.port}"
