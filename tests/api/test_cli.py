"""`flask --app wsgi token …`: the token printed once works; list and revoke."""

from mcrm.api.cli import token_cli
from tests.api.conftest import Api


def _run(app, *args):
    return app.test_cli_runner().invoke(token_cli, list(args))


def test_token_create_prints_a_token_that_works(app, shop_a):
    result = _run(app, "create", "--tenant", shop_a.tenant.slug, "--name", "Till 2")
    assert result.exit_code == 0
    text = result.output.strip()
    assert text.startswith("mcrm_") and len(text.splitlines()) == 1
    api = Api(app.test_client(), text)
    assert api.post("/members", json={"phone": "13800138000"}).status_code == 201
    listing = _run(app, "list", "--tenant", shop_a.tenant.slug).output
    assert "Till 2" in listing and text[:12] in listing and text not in listing and "active" in listing


def test_token_create_for_an_unknown_shop_fails(app, shop_a):
    result = _run(app, "create", "--tenant", "no-such-shop")
    assert result.exit_code == 1 and "no shop with the slug 'no-such-shop'" in result.output


def test_token_revoke(app, shop_a, shop_b):
    text = _run(app, "create", "--tenant", shop_a.tenant.slug).output.strip()
    token_id = _run(app, "list", "--tenant", shop_a.tenant.slug).output.splitlines()[1].split()[0]
    assert _run(app, "revoke", "--tenant", shop_b.tenant.slug, token_id).exit_code == 1  # not shop B's token
    assert Api(app.test_client(), text).get("/members").status_code == 200
    result = _run(app, "revoke", "--tenant", shop_a.tenant.slug, token_id)
    assert result.exit_code == 0 and "revoked" in result.output
    assert Api(app.test_client(), text).get("/members").status_code == 401
    assert "already revoked" in _run(app, "revoke", "--tenant", shop_a.tenant.slug, token_id).output
