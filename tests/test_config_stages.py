"""Stage configuration (SPEC §1 Ops, §4 item 7): one set of resources per stage, read lazily,
Secure cookies everywhere but local.
"""

from __future__ import annotations

import pytest

from chalicelib import config
from chalicelib.models import TABLE_MODELS, Group
from chalicelib.services import groups
from chalicelib.web import http
from devstack import stages

STAGES = ("local", "dev", "staging", "prod")
PER_STAGE = ("TABLE_PREFIX", "ACTIVATION_QUEUE", "APP_SECRET_ID")


def test_the_four_stages_exist():
    assert set(STAGES) <= set(stages.stage_names())


@pytest.mark.parametrize("variable", PER_STAGE)
def test_each_stage_has_its_own_resources(variable):
    values = {stage: stages.stage_environment(stage).get(variable) for stage in STAGES}
    assert all(values.values()), values
    assert len(set(values.values())) == len(STAGES), values


def test_effective_settings_of_each_stage_are_distinct(monkeypatch):
    """What the code reads (config.json plus defaults), stage by stage."""
    seen: dict[str, list[str]] = {}
    for stage in STAGES:
        with monkeypatch.context() as patch:
            for name in ("TABLE_PREFIX", "ACTIVATION_QUEUE", "APP_SECRET_ID", "SP_KEY_SECRET_ID"):
                patch.delenv(name, raising=False)  # what the stage omits falls to defaults
            for name, value in stages.stage_environment(stage).items():
                patch.setenv(name, value)
            cfg = config.settings()
        assert cfg.stage == stage
        for field in ("table_prefix", "activation_queue", "secret_id", "sp_key_secret_id"):
            seen.setdefault(field, []).append(getattr(cfg, field))
    for field, values in seen.items():
        assert len(set(values)) == len(STAGES), (field, values)


def test_stage_names_agree_with_their_resources():
    for stage in STAGES:
        env = stages.stage_environment(stage)
        assert env["STAGE"] == stage
        assert stage in env["TABLE_PREFIX"]
        assert stage in env["ACTIVATION_QUEUE"]
        assert stage in env["APP_SECRET_ID"]


def test_an_unknown_stage_is_named_in_the_error():
    with pytest.raises(KeyError, match="Unknown stage 'qa'"):
        stages.stage_environment("qa")


def test_only_local_may_send_cookies_without_secure():
    for stage in STAGES:
        env = stages.stage_environment(stage)
        secure = env.get("COOKIE_SECURE", "true" if stage != "local" else "false")
        assert (secure == "true") is (stage != "local"), stage
        if stage != "local":
            assert env["PUBLIC_BASE_URL"].startswith("https://")


def test_secure_cookies_are_the_default_outside_local(monkeypatch):
    monkeypatch.delenv("COOKIE_SECURE", raising=False)
    for stage in ("dev", "staging", "prod", "anything-else"):
        monkeypatch.setenv("STAGE", stage)
        assert config.settings().cookie_secure is True, stage
        assert "Secure" in http.set_cookie("pss_session", "x").split("; ")
    monkeypatch.setenv("STAGE", "local")
    assert config.settings().cookie_secure is False
    assert "Secure" not in http.set_cookie("pss_session", "x").split("; ")


def test_settings_follow_the_environment_at_call_time(monkeypatch):
    monkeypatch.setenv("STAGE", "dev")
    monkeypatch.delenv("TABLE_PREFIX", raising=False)
    monkeypatch.delenv("ACTIVATION_QUEUE", raising=False)
    monkeypatch.delenv("APP_SECRET_ID", raising=False)
    assert Group.Meta.table_name == "practice-sso-dev-groups"
    assert config.settings().activation_queue == "practice-sso-dev-activation"
    assert config.settings().secret_id == "practice-sso/dev/app"

    monkeypatch.setenv("TABLE_PREFIX", "elsewhere-")
    assert Group.Meta.table_name == "elsewhere-groups"
    assert {model.Meta.table_name for model in TABLE_MODELS} == {
        f"elsewhere-{model.Meta.base_name}" for model in TABLE_MODELS
    }


def test_table_names_are_distinct_within_a_stage():
    names = [model.Meta.table_name for model in TABLE_MODELS]
    assert len(names) == len(set(names))


def test_data_of_one_stage_is_invisible_from_another(aws, monkeypatch):
    from devstack import provision

    groups.create_group("alpha", "Alpha Practice", ["alpha.example"])
    local_table = Group.Meta.table_name

    monkeypatch.setenv("STAGE", "dev")
    monkeypatch.setenv("TABLE_PREFIX", "practice-sso-dev-")
    provision.create_tables()

    assert Group.Meta.table_name != local_table
    assert groups.find_group("alpha") is None  # pynamodb followed the new table name
    assert groups.group_for_domain("alpha.example") is None
    groups.create_group("alpha", "Alpha in dev")  # the same slug is free in another stage

    monkeypatch.setenv("STAGE", "local")
    monkeypatch.setenv("TABLE_PREFIX", "practice-sso-local-")
    assert groups.get_group("alpha").name == "Alpha Practice"
