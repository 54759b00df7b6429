"""The reference's pages in a real browser: Debian's Chromium, driven by Selenium.

A visitor signs up, signs in, and signs the guestbook with <script> in the message. The
browser shows it as text and runs nothing, flashes the thank-you once (a reload shows it no
more, and posts nothing again), applies the stylesheet that the pages' Content-Security-Policy
allows, keeps the session cookie as the app set it, and signs out. What the test client cannot
show: the CSP enforced, the real form posts and redirects, the cookie kept by a browser.

The app runs in production mode under Werkzeug's server in a thread, on 127.0.0.1 and a free
port, with a SQLite file. Chromium keeps Secure cookies on 127.0.0.1 although it is plain
http (loopback counts as a secure context), so the sign-in works here as it would over HTTPS.
The page after signing is saved to reports/guestbook.png.
"""

from __future__ import annotations

import re
import secrets
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait
from werkzeug.serving import make_server

from lessons import databases
from lessons.guestbook import PASSWORD
from tests.support import ROOT, require

MESSAGE = "<script>alert(1)</script> Hello from a real browser"
SECONDS = 15  # the longest any one wait may take
SCREENSHOT = ROOT / "reports" / "guestbook.png"


def accent_colour() -> str:
    """The header's background, as Chromium reports it, from style.css's --accent colour."""
    text = (ROOT / "solution" / "static" / "style.css").read_text(encoding="utf-8")
    match = re.search(r"--accent:\s*#([0-9a-fA-F]{6})\s*;", text)
    assert match, "style.css names its --accent colour as #rrggbb"
    red, green, blue = (int(match[1][i : i + 2], 16) for i in (0, 2, 4))
    return f"rgba({red}, {green}, {blue}, 1)"


@pytest.fixture
def site(create_app: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The reference, in production mode, served on 127.0.0.1 by a real server; always stopped."""
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("FLASK_SECRET_KEY", secrets.token_hex(32))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{(tmp_path / 'guestbook.sqlite3').as_posix()}",
            "PASSWORD_HASH_METHOD": databases.CHEAP_HASH,
        }
    )
    result = app.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=SECONDS)
        server.server_close()
        databases.dispose(app)


@pytest.fixture
def browser(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[WebDriver]:
    """Headless Chromium with a fresh profile, that downloads nothing; always stopped."""
    binary = require("chromium", "/usr/bin/chromium")
    # Debian's chromium-driver, made for the same Chromium version.
    drivers = [
        shutil.which("chromedriver"),
        "/usr/bin/chromedriver",
        "/usr/lib/chromium/chromedriver",
    ]
    driver_path = require("chromium-driver", *filter(None, drivers))
    monkeypatch.setenv("SE_OFFLINE", "true")  # Selenium Manager must never fetch a driver
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new",
        "--no-sandbox",  # as root, as in CI, Chromium's sandbox will not start
        "--disable-dev-shm-usage",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1000,900",
    ):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})  # CSP reports the console
    driver = webdriver.Chrome(service=Service(driver_path), options=options)
    try:
        driver.set_page_load_timeout(SECONDS)
        driver.set_script_timeout(SECONDS)
        yield driver
    finally:
        driver.quit()


def post_form(browser: WebDriver, form: str, **values: str) -> None:
    """Fill in the form the CSS selector names, submit it, and wait for the next page."""
    element = browser.find_element(By.CSS_SELECTOR, form)
    for name, value in values.items():
        field = element.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)
    element.find_element(By.CSS_SELECTOR, "button[type=submit]").click()
    WebDriverWait(browser, SECONDS).until(expected_conditions.staleness_of(element))


def texts(browser: WebDriver, selector: str) -> list[str]:
    """The visible text of every element the CSS selector names."""
    return [element.text for element in browser.find_elements(By.CSS_SELECTOR, selector)]


def test_a_visitor_signs_the_guestbook_in_a_real_browser(site: str, browser: WebDriver) -> None:
    wait = WebDriverWait(browser, SECONDS)
    browser.get(f"{site}/register")
    post_form(browser, "main form", username="ada", password=PASSWORD)
    wait.until(expected_conditions.url_to_be(f"{site}/login"))

    post_form(browser, "main form", username="ada", password=PASSWORD)
    wait.until(expected_conditions.url_to_be(f"{site}/"))
    cookies = {cookie["name"]: cookie for cookie in browser.get_cookies()}
    session = cookies.get("session", {})
    assert (session.get("httpOnly"), session.get("sameSite"), session.get("secure")) == (
        True,
        "Lax",
        True,
    ), cookies

    post_form(browser, "main form", message=MESSAGE)
    wait.until(expected_conditions.url_to_be(f"{site}/"))
    SCREENSHOT.parent.mkdir(exist_ok=True)
    browser.save_screenshot(str(SCREENSHOT))
    assert texts(browser, "p.message") == [MESSAGE], browser.page_source[:2000]
    assert browser.find_elements(By.TAG_NAME, "script") == []
    assert expected_conditions.alert_is_present()(browser) is False
    assert len(texts(browser, "p.flash")) == 1

    page = browser.find_element(By.TAG_NAME, "main")
    browser.refresh()  # the page is the answer to a GET: a reload posts nothing again
    wait.until(expected_conditions.staleness_of(page))
    assert texts(browser, "p.flash") == []
    assert texts(browser, "p.message") == [MESSAGE]

    header = browser.find_element(By.CSS_SELECTOR, "header.site")
    assert header.value_of_css_property("background-color") == accent_colour()
    blocked = [
        entry["message"]
        for entry in browser.get_log("browser")
        if "Content Security Policy" in entry["message"]
    ]
    assert blocked == []

    post_form(browser, "form.logout")
    wait.until(expected_conditions.url_to_be(f"{site}/"))
    assert browser.find_elements(By.NAME, "message") == []
    assert len(texts(browser, "p.flash")) == 1
    assert texts(browser, "p.message") == [MESSAGE]
