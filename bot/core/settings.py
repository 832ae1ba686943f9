"""Settings read from the environment (and a `.env` file) via pydantic-settings."""

from __future__ import annotations

from functools import lru_cache
from typing import Literal
from urllib.parse import urlsplit

from pydantic import Field, ValidationError, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from bot.flags.trend import TrendConfig


class SettingsError(Exception):
    """A missing or malformed setting; the message is one line naming the variable."""


class Settings(BaseSettings):
    """Every setting Debrief reads; see the README's settings table."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    database_url: str = Field(default="sqlite:///debrief.db", alias="DATABASE_URL")
    slack_bot_token: str | None = Field(default=None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: str | None = Field(default=None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: str | None = Field(default=None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(default="https://slack.com/api/", alias="SLACK_API_URL")
    anthropic_api_key: str | None = Field(default=None, alias="ANTHROPIC_API_KEY")
    model: str = Field(default="claude-sonnet-5-5", alias="DEBRIEF_MODEL")
    # a model on an OpenAI-compatible endpoint (Ollama, vLLM, ...): when set, it is used, not Claude
    llm_base_url: str | None = Field(default=None, alias="DEBRIEF_LLM_BASE_URL")
    llm_model: str | None = Field(default=None, validate_default=True, alias="DEBRIEF_LLM_MODEL")
    llm_api_key: str | None = Field(default=None, alias="DEBRIEF_LLM_API_KEY")
    zendesk_subdomain: str | None = Field(default=None, alias="DEBRIEF_ZENDESK_SUBDOMAIN")
    zendesk_email: str | None = Field(default=None, alias="DEBRIEF_ZENDESK_EMAIL")
    zendesk_token: str | None = Field(default=None, alias="DEBRIEF_ZENDESK_TOKEN")
    zendesk_base_url: str | None = Field(default=None, alias="DEBRIEF_ZENDESK_BASE_URL")
    intercom_token: str | None = Field(default=None, alias="DEBRIEF_INTERCOM_TOKEN")
    intercom_app_id: str | None = Field(default=None, alias="DEBRIEF_INTERCOM_APP_ID")
    intercom_base_url: str | None = Field(default=None, alias="DEBRIEF_INTERCOM_BASE_URL")
    helpscout_app_id: str | None = Field(default=None, alias="DEBRIEF_HELPSCOUT_APP_ID")
    helpscout_app_secret: str | None = Field(default=None, alias="DEBRIEF_HELPSCOUT_APP_SECRET")
    # an http(s) URL replacing https://api.helpscout.net
    helpscout_base_url: str | None = Field(default=None, alias="DEBRIEF_HELPSCOUT_BASE_URL")
    freshdesk_domain: str | None = Field(default=None, alias="DEBRIEF_FRESHDESK_DOMAIN")
    freshdesk_api_key: str | None = Field(default=None, alias="DEBRIEF_FRESHDESK_API_KEY")
    freshdesk_base_url: str | None = Field(default=None, alias="DEBRIEF_FRESHDESK_BASE_URL")
    gorgias_domain: str | None = Field(default=None, alias="DEBRIEF_GORGIAS_DOMAIN")
    gorgias_email: str | None = Field(default=None, alias="DEBRIEF_GORGIAS_EMAIL")
    gorgias_api_key: str | None = Field(default=None, alias="DEBRIEF_GORGIAS_API_KEY")
    gorgias_base_url: str | None = Field(default=None, alias="DEBRIEF_GORGIAS_BASE_URL")
    deeplink_zendesk: str | None = Field(default=None, alias="DEBRIEF_DEEPLINK_ZENDESK")
    deeplink_intercom: str | None = Field(default=None, alias="DEBRIEF_DEEPLINK_INTERCOM")
    deeplink_freshdesk: str | None = Field(default=None, alias="DEBRIEF_DEEPLINK_FRESHDESK")
    deeplink_helpscout: str | None = Field(default=None, alias="DEBRIEF_DEEPLINK_HELPSCOUT")
    deeplink_gorgias: str | None = Field(default=None, alias="DEBRIEF_DEEPLINK_GORGIAS")
    deeplink_front: str | None = Field(default=None, alias="DEBRIEF_DEEPLINK_FRONT")
    deeplink_other: str | None = Field(default=None, alias="DEBRIEF_DEEPLINK_OTHER")
    # HubSpot: a private app's token; the portal id only builds ticket deep links
    hubspot_token: str | None = Field(default=None, alias="DEBRIEF_HUBSPOT_TOKEN")
    hubspot_portal_id: str | None = Field(default=None, alias="DEBRIEF_HUBSPOT_PORTAL_ID")
    hubspot_base_url: str | None = Field(default=None, alias="DEBRIEF_HUBSPOT_BASE_URL")
    deeplink_hubspot: str | None = Field(default=None, alias="DEBRIEF_DEEPLINK_HUBSPOT")

    @field_validator("llm_base_url", "llm_api_key", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("llm_base_url")
    @classmethod
    def _llm_base_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(
                "must be an http(s) URL of an OpenAI-compatible API, e.g. http://localhost:11434/v1"
            )
        return value.strip().rstrip("/")

    @field_validator("llm_model")
    @classmethod
    def _llm_model(cls, value: str | None, info: ValidationInfo) -> str | None:
        model = (value or "").strip() or None
        if model is None and info.data.get("llm_base_url"):
            raise ValueError("must be set when DEBRIEF_LLM_BASE_URL is (the model it serves)")
        return model

    @field_validator("hubspot_portal_id")
    @classmethod
    def _hubspot_portal_id(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().isdigit():
            raise ValueError("must be the account's numeric portal (Hub) id")
        return None if value is None else value.strip()

    window_days: int = Field(default=7, ge=1, le=31, alias="DEBRIEF_WINDOW_DAYS")
    trend_windows: int = Field(default=6, ge=2, le=52, alias="DEBRIEF_TREND_WINDOWS")
    baseline_windows: int = Field(default=8, ge=1, le=104, alias="DEBRIEF_BASELINE_WINDOWS")
    min_ratings: int = Field(default=5, ge=1, alias="DEBRIEF_MIN_RATINGS")
    min_trend_windows: int = Field(default=4, ge=3, alias="DEBRIEF_MIN_TREND_WINDOWS")
    min_baseline_windows: int = Field(default=3, ge=1, alias="DEBRIEF_MIN_BASELINE_WINDOWS")
    trend_alpha: float = Field(default=0.05, gt=0, lt=1, alias="DEBRIEF_TREND_ALPHA")
    trend_test: Literal["vs_baseline", "mann_kendall"] = Field(
        default="vs_baseline", alias="DEBRIEF_TREND_TEST"
    )
    min_drop: float = Field(default=0.4, gt=0, le=4, alias="DEBRIEF_MIN_DROP")
    current_windows: int = Field(default=2, ge=1, alias="DEBRIEF_CURRENT_WINDOWS")
    current_margin: float = Field(default=0.2, ge=0, le=4, alias="DEBRIEF_CURRENT_MARGIN")
    recovery_margin: float = Field(default=0.2, ge=0, le=4, alias="DEBRIEF_RECOVERY_MARGIN")
    scan_time: str = Field(
        default="06:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$", alias="DEBRIEF_SCAN_TIME"
    )
    sync_minutes: int = Field(default=30, ge=1, le=1440, alias="DEBRIEF_SYNC_MINUTES")
    summary_concurrency: int = Field(default=4, ge=1, le=32, alias="DEBRIEF_SUMMARY_CONCURRENCY")
    chart_dir: str = Field(default="debrief-charts", alias="DEBRIEF_CHART_DIR")
    reminder_tick_seconds: int = Field(
        default=30, ge=1, le=3600, alias="DEBRIEF_REMINDER_TICK_SECONDS"
    )
    reminder_channel_interval: float = Field(
        default=1.0, ge=0, le=60, alias="DEBRIEF_REMINDER_CHANNEL_INTERVAL"
    )
    reminder_lease_seconds: int = Field(
        default=600, ge=1, le=86_400, alias="DEBRIEF_REMINDER_LEASE_SECONDS"
    )
    shared_note_dms: bool = Field(default=True, alias="DEBRIEF_SHARED_NOTE_DMS")
    slack_app_id: str | None = Field(default=None, alias="DEBRIEF_SLACK_APP_ID")
    notes_page_size: int = Field(default=10, ge=1, le=30, alias="DEBRIEF_NOTES_PAGE_SIZE")
    slack_max_retries: int = Field(default=3, ge=0, le=10, alias="DEBRIEF_SLACK_MAX_RETRIES")
    db_request_timeout_ms: int = Field(
        default=2000, ge=100, le=60_000, alias="DEBRIEF_DB_REQUEST_TIMEOUT_MS"
    )
    shutdown_drain_seconds: float = Field(
        default=25.0, ge=0, le=600, alias="DEBRIEF_SHUTDOWN_DRAIN_SECONDS"
    )
    listener_threads: int = Field(default=32, ge=1, le=512, alias="DEBRIEF_LISTENER_THREADS")
    slack_trigger_timeout: float = Field(
        default=3.0, gt=0, le=30, alias="DEBRIEF_SLACK_TRIGGER_TIMEOUT"
    )
    api_rate_limit: int = Field(default=120, ge=1, le=100_000, alias="DEBRIEF_API_RATE_LIMIT")
    retention_months: int = Field(default=0, ge=0, le=1200, alias="DEBRIEF_RETENTION_MONTHS")
    qa_sample_size: int = Field(default=100, ge=1, le=10_000, alias="DEBRIEF_QA_SAMPLE_SIZE")
    qa_min_confidence: float = Field(default=0.7, ge=0, le=1, alias="DEBRIEF_QA_MIN_CONFIDENCE")
    qa_max_age_days: int = Field(default=90, ge=1, le=3650, alias="DEBRIEF_QA_MAX_AGE_DAYS")
    qa_min_words: int = Field(default=25, ge=1, le=10_000, alias="DEBRIEF_QA_MIN_WORDS")
    qa_batch_min: int = Field(default=50, ge=0, le=100_000, alias="DEBRIEF_QA_BATCH_MIN")

    @field_validator("database_url")
    @classmethod
    def _known_database(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("must be a sqlite:/// or postgresql+psycopg:// URL")
        return value

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL")
        return value if value.endswith("/") else value + "/"

    @field_validator(
        "deeplink_zendesk",
        "deeplink_intercom",
        "deeplink_freshdesk",
        "deeplink_helpscout",
        "deeplink_gorgias",
        "deeplink_front",
        "deeplink_other",
        "deeplink_hubspot",
    )
    @classmethod
    def _deeplink_template(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if "{external_id}" not in value or not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL containing {external_id}")
        return value

    @field_validator(
        "zendesk_base_url",
        "intercom_base_url",
        "helpscout_base_url",
        "freshdesk_base_url",
        "gorgias_base_url",
        "hubspot_base_url",
    )
    @classmethod
    def _helpdesk_base_url(cls, value: str | None) -> str | None:
        """A helpdesk's API base URL (replacing its default host), without a trailing slash;
        blank is unset."""
        if value is None or not value.strip():
            return None
        url = value.strip()
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError("must be an http(s) URL")
        return url.rstrip("/")

    @field_validator("slack_app_token")
    @classmethod
    def _app_token_shape(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("xapp-"):
            raise ValueError("must be an app-level token starting with xapp-")
        return value

    def trend_config(self) -> TrendConfig:
        """The detection thresholds, or a SettingsError when they don't fit together."""
        try:
            return TrendConfig(
                window_days=self.window_days,
                trend_windows=self.trend_windows,
                baseline_windows=self.baseline_windows,
                min_ratings=self.min_ratings,
                min_trend_windows=self.min_trend_windows,
                min_baseline_windows=self.min_baseline_windows,
                alpha=self.trend_alpha,
                trend_test=self.trend_test,
                min_drop=self.min_drop,
                current_windows=self.current_windows,
                current_margin=self.current_margin,
                recovery_margin=self.recovery_margin,
            )
        except ValueError as exc:
            raise SettingsError(f"DEBRIEF_* detection thresholds: {exc}") from None

    def require_slack(self) -> tuple[str, str]:
        """The bot token and signing secret, or a SettingsError naming the missing one."""
        if not self.slack_bot_token:
            raise SettingsError("SLACK_BOT_TOKEN is not set (the bot token, xoxb-...)")
        if not self.slack_signing_secret:
            raise SettingsError("SLACK_SIGNING_SECRET is not set (Basic Information in the app)")
        return self.slack_bot_token, self.slack_signing_secret


def load_settings() -> Settings:
    """Read settings now, turning a validation failure into one clear line."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]) if first["loc"] else "settings"
        field = Settings.model_fields.get(name)
        variable = field.alias if field is not None and field.alias else name
        raise SettingsError(f"{variable}: {first['msg']}") from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()
