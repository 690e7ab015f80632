"""Configuration from the environment (see README: Configuration)."""

from __future__ import annotations

import datetime as dt
import os
import secrets
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("zh_CN", "en")


class ConfigError(RuntimeError):
    """The app cannot start with this configuration."""


def instance_dir() -> Path:
    """Where the secret key, the SQLite database and the demo logins live."""
    return Path(os.environ.get("MCRM_INSTANCE_DIR", PROJECT_ROOT / "instance"))


def _secret_key(env: str, folder: Path) -> str:
    """SECRET_KEY from the environment; outside production, one generated once and kept in instance/."""
    key = os.environ.get("SECRET_KEY")
    if key:
        return key
    if env == "production":
        raise ConfigError("SECRET_KEY must be set in production (MCRM_ENV=production).")
    path = folder / "secret_key"
    try:
        # O_EXCL: of several workers starting at once, one writes the key and the others read it.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as f:
        f.write(secrets.token_hex(32))
    return path.read_text().strip()


def load_config(overrides: dict | None = None) -> dict:
    env = (overrides or {}).get("MCRM_ENV") or os.environ.get("MCRM_ENV", "development")
    if env not in ("development", "production", "testing"):
        raise ConfigError(f"MCRM_ENV must be development, production or testing, not {env!r}.")
    secure = env == "production"
    folder = instance_dir()
    folder.mkdir(parents=True, exist_ok=True)
    config = {
        "MCRM_ENV": env,
        "MCRM_INSTANCE_DIR": folder,
        "SECRET_KEY": None,
        "DATABASE_URL": os.environ.get("DATABASE_URL", f"sqlite:///{folder / 'mcrm.db'}"),
        # Connections each process keeps open (PostgreSQL); threads beyond it wait for one.
        "DATABASE_POOL_SIZE": int(os.environ.get("MCRM_DB_POOL_SIZE", "5")),
        "MCRM_SMS_TRANSPORT": os.environ.get("MCRM_SMS_TRANSPORT", "sandbox"),
        "MCRM_SHORT_CODE": os.environ.get("MCRM_SHORT_CODE", "106900"),
        # The SMSC the `smpp` transport binds to (see README: running the gateway against a real SMSC).
        "MCRM_SMPP_HOST": os.environ.get("MCRM_SMPP_HOST", "127.0.0.1"),
        "MCRM_SMPP_PORT": int(os.environ.get("MCRM_SMPP_PORT", "2775")),
        "MCRM_SMPP_SYSTEM_ID": os.environ.get("MCRM_SMPP_SYSTEM_ID", ""),
        "MCRM_SMPP_PASSWORD": os.environ.get("MCRM_SMPP_PASSWORD", ""),
        "MCRM_SMPP_SYSTEM_TYPE": os.environ.get("MCRM_SMPP_SYSTEM_TYPE", ""),
        # submit_sm outstanding at once, and submits per second (0: as fast as the window allows).
        "MCRM_SMPP_WINDOW": int(os.environ.get("MCRM_SMPP_WINDOW", "10")),
        "MCRM_SMPP_TPS": float(os.environ.get("MCRM_SMPP_TPS", "0")),
        "MCRM_SMPP_ENQUIRE_LINK_SECONDS": float(os.environ.get("MCRM_SMPP_ENQUIRE_LINK_SECONDS", "30")),
        # No answer to an enquire_link or a submit for this long: the link is dead, reconnect.
        "MCRM_SMPP_DEAD_LINK_SECONDS": float(os.environ.get("MCRM_SMPP_DEAD_LINK_SECONDS", "15")),
        "MCRM_SMPP_SOURCE_TON": int(os.environ.get("MCRM_SMPP_SOURCE_TON", "0")),
        "MCRM_SMPP_SOURCE_NPI": int(os.environ.get("MCRM_SMPP_SOURCE_NPI", "1")),
        # A greeting, reminder or promotion run found this late still goes out; older is recorded as missed.
        "MCRM_SCHEDULER_GRACE_HOURS": float(os.environ.get("MCRM_SCHEDULER_GRACE_HOURS", "6")),
        # SMS credits a new shop starts with.
        "MCRM_TRIAL_SMS_CREDIT": int(os.environ.get("MCRM_TRIAL_SMS_CREDIT", "100")),
        # Session and remember-me cookies: HttpOnly, SameSite=Lax, Secure outside development.
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": secure,
        "REMEMBER_COOKIE_DURATION": dt.timedelta(days=30),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": secure,
        # Login throttling must be shared by every worker: a Redis URL in production.
        "RATELIMIT_STORAGE_URI": os.environ.get("MCRM_RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_HEADERS_ENABLED": True,
        "LOGIN_FAILURES_ALLOWED": "10 per 15 minutes",
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": "Asia/Shanghai",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "mcrm" / "translations"),
        "WTF_I18N_ENABLED": True,
        # The token is bound to the session already; a time limit would only lose forms left open.
        "WTF_CSRF_TIME_LIMIT": None,
        # How many proxies (nginx, a load balancer) stand in front: their X-Forwarded-* are trusted.
        "MCRM_PROXY_COUNT": int(os.environ.get("MCRM_PROXY_COUNT", "0")),
    }
    config.update(overrides or {})
    if not config["SECRET_KEY"]:
        config["SECRET_KEY"] = _secret_key(env, folder)
    if env == "production" and config["RATELIMIT_STORAGE_URI"].startswith("memory://"):
        raise ConfigError(
            "MCRM_RATELIMIT_STORAGE_URI must name shared storage (e.g. redis://…) in production, "
            "or login throttling would count per worker."
        )
    return config
