"""One settings object for the whole service, read from the environment and `.env`."""

from functools import lru_cache
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "dev-only-secret-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="JIPING_", env_file=".env", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # DATABASE_URL (no prefix) is the conventional name; JIPING_DATABASE_URL also works.
    database_url: str = "sqlite:///./var/jiping.db"
    # Files kept as data (candidate photos), outside the repository.
    data_dir: str = "./var/data"
    secret_key: str = DEV_SECRET
    session_cookie: str = "jiping_session"
    staff_session_hours: int = 12
    candidate_session_hours: int = 12
    cookie_secure: bool = False
    # Login throttling (accounts.throttle), inside the window: failures of one client on one
    # account, of one client on any account, and of new or cookie-less browsers at one address.
    login_max_failures: int = 5
    login_max_failures_per_client: int = 20
    login_max_failures_per_address: int = 100
    login_window_minutes: int = 15
    # Seconds after the deadline in which an answer still in flight is accepted.
    answer_grace_seconds: int = 5
    # How often the deadline sweeper closes attempts whose time ran out.
    sweep_interval_seconds: float = 5.0
    run_sweeper: bool = True
    # Password hashing (argon2) runs one hash at a time on a thread this much "nicer" than
    # the rest of the process (0-19; see core.security). 19: beside 200 anonymous logins
    # the answer saves' p99 rose 1.6-1.8x at 19 and 2.1x at 10 (scripts/bench_contention.py).
    password_hash_niceness: int = 19
    # Staff passwords are hashed with argon2id (RFC 9106); the cost is the point: it is
    # what a stolen table of hashes costs to attack. The defaults are argon2-cffi's
    # (3 passes over 64 MiB in 4 lanes, ~0.3 s of CPU per login on the development
    # machine). A hash keeps the parameters it was made with, so changing these never
    # locks anyone out; new and changed passwords get the new ones.
    password_time_cost: int = 3
    password_memory_kib: int = 65536
    password_parallelism: int = 4
    # Where the public reaches this deployment: printed in certificates' QR codes and
    # lookup text, and the issuer of their verifiable credentials.
    public_url: str = "http://127.0.0.1:8000"
    # Worker processes rendering certificate PDFs in bulk (certificates.batches), and the
    # renders each does before it is replaced (WeasyPrint's memory grows with each one).
    certificate_workers: int = 2
    certificate_renders_per_worker: int = 25
    run_certificate_batches: bool = True
    # Public certificate lookups per client address per minute (certificates.lookup).
    lookup_per_minute: int = 20
    # Answer saves are grouped into one transaction per batch (SQLite takes one writer).
    save_batch_max: int = 200

    @model_validator(mode="before")
    @classmethod
    def _database_url_alias(cls, data: dict) -> dict:
        import os

        if (
            isinstance(data, dict)
            and "database_url" not in data
            and os.environ.get("DATABASE_URL")
            and not os.environ.get("JIPING_DATABASE_URL")
        ):
            data["database_url"] = os.environ["DATABASE_URL"]
        return data

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> "Settings":
        if self.environment == "production" and (
            self.secret_key == DEV_SECRET or len(self.secret_key) < 32
        ):
            raise ValueError(
                "JIPING_SECRET_KEY must be set to a random value of 32+ characters in production"
            )
        return self


@lru_cache
def get_settings() -> Settings:
    return Settings()
