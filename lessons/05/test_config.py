"""Lesson 05: settings come from defaults, FLASK_* variables, .env and test_config, in that order."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys

import pytest

from lessons import learner
from lessons.feedback import explain, show

README = "lessons/05/README.md"


def build(create_app, *test_config):
    """Call create_app (with a test_config if one is given) and explain any failure."""
    call = "create_app(test_config)" if test_config else "create_app()"
    try:
        return create_app(*test_config)
    except Exception as error:  # explained below, outside the except block, without its traceback
        problem = f"{type(error).__name__}: {error}"
        takes_no_config = (
            bool(test_config) and isinstance(error, TypeError) and "argument" in str(error)
        )
    if takes_no_config:
        pytest.fail(
            explain(
                expected="create_app to accept a test_config dict: create_app({'TESTING': True})",
                got=problem,
                tip=f"define it as def create_app(test_config=None) ({README}, step 1)",
            ),
            pytrace=False,
        )
    pytest.fail(
        explain(expected=f"{call} to build the app", got=problem, tip="fix the error above"),
        pytrace=False,
    )


def setting(app, key):
    return app.config.get(key, "<not set>")


@pytest.fixture
def dotenv(isolated, monkeypatch):
    """Write a .env file in the current folder, with .env loading switched back on."""
    monkeypatch.delenv("PYTHON_DOTENV_DISABLED")

    def write(text):
        (isolated / ".env").write_text(text, encoding="utf-8")

    return write


def test_create_app_takes_a_test_config(create_app):
    app = build(create_app, {"TESTING": True, "KATA_SETTING": "from the test"})
    assert app.testing and setting(app, "KATA_SETTING") == "from the test", explain(
        expected="create_app({'TESTING': True, 'KATA_SETTING': 'from the test'}) to use both settings",
        got=f"TESTING={setting(app, 'TESTING')!r}, KATA_SETTING={setting(app, 'KATA_SETTING')!r}",
        tip=f"end create_app's setup with app.config.update(test_config) when one is given ({README}, step 1)",
    )


def test_development_needs_no_setup(create_app):
    app = build(create_app)
    assert app.config.get("SECRET_KEY"), explain(
        expected="create_app() with no settings at all to have a development SECRET_KEY (sessions need one)",
        got=f"SECRET_KEY={setting(app, 'SECRET_KEY')!r}",
        tip=f'give defaults with app.config.from_mapping(SECRET_KEY="dev") ({README}, step 1)',
    )
    app.testing = True
    response = app.test_client().get("/hello")
    assert response.status_code == 200, explain(
        expected="GET /hello to work with no setup", got=show(response), tip="keep defaults"
    )


def test_flask_variables_become_settings(create_app, monkeypatch):
    monkeypatch.setenv("FLASK_KATA_GREETING", "from the environment")
    monkeypatch.setenv("FLASK_KATA_LIMIT", "5")
    monkeypatch.setenv("FLASK_SECRET_KEY", "s3cret-from-the-environment")
    app = build(create_app)
    got = {key: setting(app, key) for key in ("KATA_GREETING", "KATA_LIMIT", "SECRET_KEY")}
    expected = {
        "KATA_GREETING": "from the environment",
        "KATA_LIMIT": 5,
        "SECRET_KEY": "s3cret-from-the-environment",
    }
    assert got == expected, explain(
        expected=f"FLASK_KATA_GREETING, FLASK_KATA_LIMIT=5 and FLASK_SECRET_KEY to become {expected}",
        got=str(got),
        tip=f"call app.config.from_prefixed_env(): it strips FLASK_ and reads values as JSON ({README}, step 2)",
    )


def test_dotenv_in_the_current_folder_fills_in_settings(create_app, dotenv):
    dotenv("FLASK_KATA_FROM_FILE=from .env\n")
    app = build(create_app)
    assert setting(app, "KATA_FROM_FILE") == "from .env", explain(
        expected="FLASK_KATA_FROM_FILE from the .env file in the current folder to become KATA_FROM_FILE",
        got=f"KATA_FROM_FILE={setting(app, 'KATA_FROM_FILE')!r}",
        tip="call load_dotenv(find_dotenv(usecwd=True)) before from_prefixed_env(); plain load_dotenv() "
        f"looks next to your code, not in the folder you run from ({README}, step 3)",
    )


def test_the_real_environment_beats_dotenv(create_app, dotenv, monkeypatch):
    dotenv("FLASK_KATA_WHO=the .env file\n")
    monkeypatch.setenv("FLASK_KATA_WHO", "the real environment")
    app = build(create_app)
    assert setting(app, "KATA_WHO") == "the real environment", explain(
        expected="a variable set in the environment to win over the same one in .env",
        got=f"KATA_WHO={setting(app, 'KATA_WHO')!r}",
        tip=f"load_dotenv() must not override: leave override=False, its default ({README}, step 3)",
    )


def test_test_config_beats_everything(create_app, dotenv, monkeypatch):
    dotenv("FLASK_KATA_WHO=the .env file\n")
    monkeypatch.setenv("FLASK_KATA_WHO", "the real environment")
    app = build(create_app, {"KATA_WHO": "the test"})
    assert setting(app, "KATA_WHO") == "the test", explain(
        expected="test_config to win over the environment and .env",
        got=f"KATA_WHO={setting(app, 'KATA_WHO')!r}",
        tip=f"apply test_config last, after from_prefixed_env() ({README}, step 4)",
    )


def test_test_config_is_a_layer_not_a_replacement(create_app, monkeypatch):
    monkeypatch.setenv("FLASK_KATA_GREETING", "from the environment")
    app = build(create_app, {"TESTING": True})
    assert setting(app, "KATA_GREETING") == "from the environment", explain(
        expected="create_app({'TESTING': True}) to still read FLASK_KATA_GREETING from the environment",
        got=f"KATA_GREETING={setting(app, 'KATA_GREETING')!r}",
        tip="test_config overrides only the keys it names: always call from_prefixed_env(), then "
        f"app.config.update(test_config) after it, not instead of it ({README}, step 4)",
    )


def refusal(
    create_app, how, tip="after loading the settings, raise an error that names SECRET_KEY"
):
    """Call create_app() in production and return the error it refuses with."""
    environment = dict(os.environ)  # as it is before create_app() (and load_dotenv) runs
    try:
        create_app()
    except Exception as error:  # any exception that stops the app from starting will do
        return error
    if refuses_when_set_before_import(environment):
        tip = (
            "create_app() refuses when APP_ENV is set before Python starts, but not when it is set "
            "later: your code reads APP_ENV once, when the module is imported. Read APP_ENV inside "
            "create_app(), on every call"
        )
    pytest.fail(
        explain(
            expected=f"create_app() to refuse to start with {how}",
            got="an app that started anyway",
            tip=f"{tip} ({README}, step 5)",
        ),
        pytrace=False,
    )


def refuses_when_set_before_import(environment):
    """Whether create_app() refuses in a fresh Python that has this environment from the start."""
    command = [sys.executable, "-c", "from solution import create_app; create_app()"]
    environment = {**environment, "PYTHONPATH": str(learner.ROOT)}
    result = subprocess.run(command, env=environment, capture_output=True, timeout=30, check=False)
    return result.returncode != 0


WHAT_TO_SAY = {
    "SECRET_KEY": "set FLASK_SECRET_KEY to a long random value",
    "APP_ENV": "APP_ENV must be development or production",
    ".env": "the .env file is not UTF-8: save it as UTF-8",
}


def expect_named(error, setting="SECRET_KEY"):
    assert setting in str(error), explain(
        expected=f"an error message that names {setting} and says what to do",
        got=f"{type(error).__name__}: {error}",
        tip=f"say what is wrong and what to do, for example: {WHAT_TO_SAY[setting]}",
    )


def test_production_refuses_to_start_without_a_secret_key(create_app, monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    expect_named(refusal(create_app, "APP_ENV=production and no SECRET_KEY set"))


@pytest.mark.parametrize(
    ("sent", "what"),
    [
        ("", "empty"),
        ("null", "JSON null, so None"),
        ("   ", "only spaces"),
        ("a" * 31, "31 characters long"),
    ],
    ids=["empty", "json-null", "spaces", "too-short"],
)
def test_production_refuses_a_secret_key_that_is_no_secret(create_app, monkeypatch, sent, what):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("FLASK_SECRET_KEY", sent)
    tip = (
        "accept only a key of at least 32 characters that is more than spaces; "
        "FLASK_SECRET_KEY=null arrives as None"
    )
    expect_named(
        refusal(create_app, f"APP_ENV=production and FLASK_SECRET_KEY={sent!r} ({what})", tip)
    )


def test_production_refuses_the_development_secret_key(create_app, monkeypatch):
    development_key = build(create_app).config.get("SECRET_KEY")
    assert development_key, explain(
        expected="a development SECRET_KEY by default",
        got=repr(development_key),
        tip=f"see {README}, step 1",
    )
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("FLASK_SECRET_KEY", str(development_key))
    tip = f"a key equal to the development default ({development_key!r}) is not a secret: refuse it too"
    expect_named(
        refusal(create_app, f"APP_ENV=production and the development key {development_key!r}", tip)
    )


def test_production_refuses_when_dotenv_says_production(create_app, dotenv):
    dotenv("APP_ENV=production\n")
    expect_named(refusal(create_app, "APP_ENV=production coming from .env, and no SECRET_KEY"))


@pytest.mark.parametrize(
    ("overrides", "how"),
    [
        ({"FLASK_APP_ENV": "development"}, "FLASK_APP_ENV=development in the environment"),
        (None, "APP_ENV=development and FLASK_APP_ENV=development in .env"),
    ],
    ids=["flask-app-env", "dotenv"],
)
def test_nothing_turns_a_real_app_env_production_back(
    create_app, dotenv, monkeypatch, overrides, how
):
    dotenv("APP_ENV=development\nFLASK_APP_ENV=development\n" if overrides is None else "")
    monkeypatch.setenv("APP_ENV", "production")
    for name, value in (overrides or {}).items():
        monkeypatch.setenv(name, value)
    tip = (
        "read APP_ENV from os.environ after from_prefixed_env(), so FLASK_APP_ENV cannot "
        "override it; load_dotenv() must not override the real environment"
    )
    expect_named(refusal(create_app, f"APP_ENV=production in the real environment and {how}", tip))


@pytest.mark.parametrize("sent", ["prod", '"production"', "production ", "staging"])
def test_an_unknown_app_env_refuses_to_start(create_app, monkeypatch, sent):
    monkeypatch.setenv("APP_ENV", sent)
    monkeypatch.setenv("FLASK_SECRET_KEY", secrets.token_hex(32))
    tip = (
        'accept "development" or "production" (in any case, if you like) and refuse anything '
        "else, naming APP_ENV: a typo must never fall back to development"
    )
    expect_named(refusal(create_app, f"APP_ENV={sent!r}", tip), "APP_ENV")


def test_a_dotenv_that_is_not_utf_8_refuses_to_start(create_app, isolated, monkeypatch):
    monkeypatch.delenv("PYTHON_DOTENV_DISABLED")
    (isolated / ".env").write_bytes(b"FLASK_KATA_GREETING=caf\xe9\n")  # Latin-1, not UTF-8
    tip = "catch the UnicodeDecodeError of load_dotenv() and raise your own error that names the .env file"
    expect_named(refusal(create_app, "a .env file that is not UTF-8 text", tip), ".env")


def test_production_starts_with_a_real_secret_key(create_app, monkeypatch):
    key = secrets.token_hex(32)
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("FLASK_SECRET_KEY", key)
    app = build(create_app)
    assert setting(app, "SECRET_KEY") == key, explain(
        expected="FLASK_SECRET_KEY to become the app's SECRET_KEY in production",
        got=f"SECRET_KEY={setting(app, 'SECRET_KEY')!r}",
        tip=f"read FLASK_* variables with app.config.from_prefixed_env() ({README}, step 2)",
    )
    response = app.test_client().get("/hello")
    assert response.status_code == 200, explain(
        expected="GET /hello to work", got=show(response), tip="check create_app()"
    )
