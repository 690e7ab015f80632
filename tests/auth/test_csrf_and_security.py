"""CSRF protection, secure cookies in production, and the SECRET_KEY rule."""

import re

import pytest

from mcrm.config import ConfigError, load_config
from tests.conftest import PASSWORD, make_test_app


def test_forms_without_a_csrf_token_are_refused(database_url, tmp_path, shop_a):
    app = make_test_app(database_url, tmp_path, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    refused = client.post("/login", data={"login": "owner-a@example.com", "password": PASSWORD})
    assert refused.status_code == 400
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    accepted = client.post("/login", data={"login": "owner-a@example.com", "password": PASSWORD, "csrf_token": token})
    assert accepted.status_code == 302


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("MCRM_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    with pytest.raises(ConfigError, match="SECRET_KEY"):
        load_config({"MCRM_ENV": "production"})


def test_production_cookies_are_secure(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    monkeypatch.setenv("MCRM_RATELIMIT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    config = load_config({"MCRM_ENV": "production"})
    assert config["SESSION_COOKIE_SECURE"] and config["REMEMBER_COOKIE_SECURE"]


def test_production_refuses_per_process_login_throttling(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 32)
    monkeypatch.delenv("MCRM_RATELIMIT_STORAGE_URI", raising=False)
    with pytest.raises(ConfigError, match="MCRM_RATELIMIT_STORAGE_URI"):
        load_config({"MCRM_ENV": "production"})


def test_secret_key_is_generated_once_and_kept_in_the_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("MCRM_INSTANCE_DIR", str(tmp_path / "instance"))
    first = load_config({"MCRM_ENV": "development"})["SECRET_KEY"]
    second = load_config({"MCRM_ENV": "development"})["SECRET_KEY"]
    assert first == second and len(first) >= 32
    assert (tmp_path / "instance" / "secret_key").stat().st_mode & 0o077 == 0
