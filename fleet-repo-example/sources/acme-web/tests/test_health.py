import acme_web
from acme_web.__main__ import health


def test_healthy_without_requirements():
    assert health({})[0] == 200


def test_a_missing_required_setting_is_unhealthy(monkeypatch):
    monkeypatch.setattr("acme_web.__main__.REQUIRED_SETTINGS", ("region",))
    code, body = health({})
    assert code == 503 and "region" in body
    assert acme_web.REQUIRED_SETTINGS == ()
