"""Settings: one pydantic-settings object, read from ``XINYONG_*`` environment variables.

Every field carries a description; ``xinyong settings docs`` renders them into
``docs/settings.md``. Build one ``Settings`` and pass it in (``create_app(settings)``,
CLI context); nothing reads the environment behind the caller's back.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from limits import parse_many
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from xinyong.errors import ConfigurationError

DEV_SECRET = "dev-only-secret-change-me"
DEV_DATA_KEY = "dev-only-data-key-change-me"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="XINYONG_", env_file=None, extra="ignore")

    environment: Literal["development", "test", "production"] = Field(
        "development",
        description="Deployment environment. Outside `development` and `test`, default "
        "secrets are refused at start-up.",
    )
    database_url: str = Field(
        "sqlite:///var/xinyong.db",
        description="SQLAlchemy URL of the database. SQLite (embedded default; the folder is "
        "created on demand) or PostgreSQL 15 (`postgresql+psycopg://user@host/db`).",
    )
    secret_key: str = Field(
        DEV_SECRET,
        description="Secret for signing staff session tokens and for the HMAC of API keys. "
        "At least 32 characters in production.",
    )
    data_key: str = Field(
        DEV_DATA_KEY,
        description="Secret from which the keys that encrypt personal data and that hash "
        "identifiers for lookup are derived. Changing it makes stored personal data "
        "unreadable; keep it in a secrets store. At least 32 characters in production.",
    )
    site_name: str = Field(
        "信用示范市",
        description="Name of the city or province shown on the website, e.g. 信用厦门.",
    )
    region_code: str = Field(
        "350200",
        description="GB/T 2260 division code of the platform's region (default 厦门市).",
    )
    catalog_extra: list[Path] = Field(
        default_factory=list,
        description="Extra catalog YAML files (local items or overrides of national items), "
        'loaded after the national catalog. JSON list, e.g. `["/etc/xinyong/local.yaml"]`.',
    )
    rulesets_extra: list[Path] = Field(
        default_factory=list,
        description="Extra rule-set YAML files (local or sector rule sets), loaded after the "
        "shipped ones.",
    )
    measures_extra: list[Path] = Field(
        default_factory=list,
        description="Extra lists-and-measures YAML files (local lists, local measures with "
        "their legal basis), loaded after the shipped ones; an entry with the same code "
        "replaces the shipped one.",
    )
    session_hours: int = Field(
        8, ge=1, le=72, description="Lifetime of a staff login session, in hours."
    )
    log_level: str = Field("INFO", description="Python logging level.")
    sweep_minutes: int = Field(
        60,
        ge=0,
        description="How often the web server runs the publication sweep (records whose "
        "maximum period ended are taken down; pending ones published), in minutes; 0 turns "
        "it off (then run `xinyong publish sweep` from cron). Never runs under "
        "`XINYONG_ENVIRONMENT=test`.",
    )
    delivery_seconds: int = Field(
        60,
        ge=0,
        description="How often the web server sends queued notices to applicants and "
        "watch-list webhooks, in seconds; 0 sends them only with the sweep (then run "
        "`xinyong notices send` and `xinyong watch deliver` from cron for prompt delivery). "
        "Never runs under `XINYONG_ENVIRONMENT=test`.",
    )
    # Due-process deadlines in working days (RULES.md §6 lists several cities' figures;
    # the defaults follow Shenzhen 2023 and 国办发〔2025〕22号). See docs/settings.md.
    objection_mark_days: int = Field(
        1,
        ge=0,
        le=30,
        description="Objections (异议): working days for the credit office to mark "
        "(accept) an objection.",
    )
    objection_office_days: int = Field(
        5,
        ge=1,
        le=60,
        description="Objections: working days for the credit office to verify and decide.",
    )
    objection_department_days: int = Field(
        2,
        ge=1,
        le=30,
        description="Objections: working days for the reporting department to answer "
        "once forwarded.",
    )
    objection_extension_days: int = Field(
        3,
        ge=0,
        le=30,
        description="Objections: working days by which a department may extend its answer once "
        "(0: no extension).",
    )
    repair_office_days: int = Field(
        10,
        ge=1,
        le=60,
        description="Credit repair (信用修复): working days for the credit office to answer "
        "(accept and review) an application (国办发〔2025〕22号).",
    )
    attachment_max_mb: int = Field(
        10,
        ge=1,
        le=100,
        description="Largest attachment (proof, authorisation letter) accepted with an "
        "objection or repair application, in MB.",
    )
    repair_department_days: int = Field(
        3,
        ge=1,
        le=30,
        description="Credit repair: working days for the department to decide "
        "(国办发〔2025〕22号).",
    )
    # Notices (通知) to applicants when their objection or repair case changes; see
    # docs/notices.md.
    notice_backend: Literal["smtp", "console", "null"] = Field(
        "console",
        description="How notices to applicants (e.g. 异议/信用修复 case changes) are sent: "
        "`smtp` through the SMTP server below; `console` writes them to the log (address "
        "masked), for development; `null` sends nothing and keeps the last ones in memory, "
        "for tests.",
    )
    smtp_host: str = Field(
        "127.0.0.1", description="SMTP server that sends notice e-mails (`smtp` backend)."
    )
    smtp_port: int = Field(
        25, ge=1, le=65535, description="Port of the SMTP server (25, or 587 with STARTTLS)."
    )
    smtp_username: str | None = Field(
        None, description="User name for SMTP login; unset: no login."
    )
    smtp_password: SecretStr | None = Field(
        None, description="Password for SMTP login (never logged)."
    )
    smtp_from: str = Field(
        "信用平台 <noreply@localhost>",
        description="Sender of notice e-mails; a Chinese display name is encoded as UTF-8, "
        "e.g. `信用厦门 <noreply@credit.xm.gov.cn>`.",
    )
    smtp_starttls: bool = Field(
        False, description="Upgrade the SMTP connection with STARTTLS before login."
    )
    smtp_timeout_seconds: int = Field(
        10, ge=1, le=300, description="Timeout of each SMTP connection and command, in seconds."
    )
    notice_max_attempts: int = Field(
        5,
        ge=1,
        le=100,
        description="Attempts to send a notice before it is marked failed (one attempt per "
        "delivery run; the server runs one with each sweep, or `xinyong notices send`).",
    )
    # Continuous monitoring (持续监测): webhooks to calling systems; see docs/watch.md.
    webhook_max_attempts: int = Field(
        8,
        ge=1,
        le=50,
        description="Attempts to deliver a watch-list webhook before it is dead-lettered "
        "(kept with its last error until the calling system re-queues it). Retries wait "
        "1, 2, 4, 8 … minutes (at most 6 hours), counted from the delivery run that failed.",
    )
    webhook_timeout_seconds: float = Field(
        10,
        gt=0,
        le=120,
        description="Timeout of each webhook POST (connecting, and each read of the answer), "
        "in seconds; no answer in time counts as a failed attempt.",
    )
    webhook_allow_http: bool = Field(
        False,
        description="Allow plain `http://` webhook addresses in production (e.g. on a closed "
        "government network). Off: production requires `https://` except to localhost; "
        "development and test always allow http.",
    )
    upload_dir: Path = Field(
        Path("var/uploads"),
        description="Folder where files uploaded on the collection page are kept (the "
        "original of every submission; created on demand).",
    )
    max_upload_mb: int = Field(
        300,
        ge=1,
        description="Largest file accepted on the collection upload page, in MB. Larger "
        "deliveries go through `xinyong ingest` or the API in parts.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL (`redis://host:6379/0`) for state shared by all workers, "
        "currently the rate-limit counters. Unset: counters live in each process's memory, "
        "which is right for one worker only.",
    )
    rate_limit_enabled: bool = Field(
        True,
        description="Apply the anti-scraping rate limits to public search and API endpoints. "
        "`false` switches every limit off.",
    )
    rate_limit_key_prefix: str = Field(
        "xinyong",
        description="Prefix of the rate-limit counter keys, so that several platforms can share "
        "one Redis.",
    )
    rate_limit_search: str = Field(
        "60/minute",
        description="Limit on public searches and code checks per API key, else per client IP "
        "(`limits` notation, e.g. `60/minute`, `1000/day`, `10/second;60/minute`).",
    )
    rate_limit_short_query: str = Field(
        "20/minute",
        description="Stricter extra limit on searches for 1–2 characters (costly, and typical "
        "of enumeration).",
    )
    rate_limit_api: str = Field(
        "300/minute",
        description="Limit on other API calls per API key, else per client IP.",
    )

    @field_validator("rate_limit_search", "rate_limit_short_query", "rate_limit_api")
    @classmethod
    def _valid_rate_limit(cls, value: str) -> str:
        parse_many(value)  # raises ValueError on a malformed limit
        return value

    @model_validator(mode="after")
    def _refuse_default_secrets(self) -> Settings:
        if self.environment in ("development", "test"):
            return self
        for name, default in (("secret_key", DEV_SECRET), ("data_key", DEV_DATA_KEY)):
            value = getattr(self, name)
            if value == default or len(value) < 32:
                raise ConfigurationError(
                    f"配置项 XINYONG_{name.upper()} 在生产环境中不能使用默认值，"
                    "且长度至少 32 个字符",
                    f"setting XINYONG_{name.upper()} must not keep its default and must be at "
                    f"least 32 characters outside development",
                    field=f"XINYONG_{name.upper()}",
                )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")


def load_settings() -> Settings:
    """Settings from the environment; a malformed value is a ``ConfigurationError``
    naming the variable, not a traceback."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "XINYONG_" + str(first["loc"][0]).upper() if first.get("loc") else "XINYONG_*"
        raise ConfigurationError(
            f"配置项 {name} 取值无效：{first.get('input')!r}",
            f"setting {name} is invalid: {first['msg']}",
            field=name,
        ) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this process, read once from the environment."""
    return load_settings()
