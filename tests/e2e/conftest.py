"""End-to-end fixtures: the real app (AppHarness, dev frontend) on a throwaway SQLite database with the small
demo campaign, driven by Playwright in Debian's Chromium.

The harness runs in this process, so the environment it needs is set for the whole package and restored after.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from siimop_app.demo.cli import main as demo_main
from siimop_app.settings import PROJECT_ROOT, get_settings
from tests.services.mailbox import links_for, messages

CHROMIUM = os.environ.get("SIIMOP_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]
TIMEOUT_MS = 60_000  # the dev frontend compiles each page on its first visit
expect.set_options(timeout=30_000)


@pytest.fixture(scope="package")
def app_data(tmp_path_factory) -> Iterator[Path]:
    data = tmp_path_factory.mktemp("e2e")
    env = {
        "REFLEX_DB_URL": f"sqlite:///{data / 'siimop.db'}",
        "SIIMOP_DATA_DIR": str(data),
        # Every test signs in afresh; the real limit is tested in the service tests.
        "SIIMOP_SIGN_IN_MAX_REQUESTS": "1000",
    }
    saved = {key: os.environ.get(key) for key in (*env, "SIIMOP_SMTP_URL", "SIIMOP_TODAY")}
    os.environ.update(env)
    os.environ.pop("SIIMOP_SMTP_URL", None)
    os.environ.pop("SIIMOP_TODAY", None)
    get_settings.cache_clear()
    assert demo_main(["--scale", "small", "--phase", "ranking"]) == 0
    yield data
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    get_settings.cache_clear()


@pytest.fixture(scope="package")
def harness(app_data):
    from reflex.testing import AppHarness

    from siimop_app.services import outbox

    with AppHarness.create(root=PROJECT_ROOT) as running:
        yield running
    outbox.stop_sender()  # the app started it; its database goes with this package


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, harness) -> Iterator[Page]:
    """A fresh browser tab; the test fails if the page logged a JavaScript error or a React warning
    (hydration, invalid nesting) to the console: a page that does is broken for its user."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(TIMEOUT_MS)
    opened = context.new_page()
    problems: list[str] = []
    opened.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    opened.on("console", lambda message: problems.append(f"console {message.type}: {message.text}")
              if message.type == "error" else None)
    opened.console_problems = problems  # tests that provoke an error on purpose may clear it
    yield opened
    context.close()
    assert not problems, "the page logged errors:\n" + "\n".join(problems)


def url(harness, path: str) -> str:
    return harness.frontend_url.rstrip("/") + path


def request_link(page: Page, harness, address: str, *, expect_link: bool = True) -> str:
    """Ask for a sign-in link on the sign-in page; return the path of the link the user received ("" if none)."""
    outbox = get_settings().outbox_dir
    before = len(links_for(outbox, address))
    page.goto(url(harness, "/connexion"))
    expect(page.locator("#sign-in-sent")).to_have_count(0)  # the page starts clean, even in a reused tab
    page.fill("#email", address)
    page.click("#send-link")
    page.wait_for_selector("#sign-in-sent")
    deadline = time.monotonic() + (15 if expect_link else 1)
    while time.monotonic() < deadline:
        links = links_for(outbox, address)
        if len(links) > before:
            return urlsplit(links[-1]).path
        time.sleep(0.1)
    return ""


def mails_until(enough, timeout: float = 30.0) -> list:
    """The outbox's messages once ``enough(messages)`` holds (or the timeout passed): the sender writes a mail a
    moment after the page that queued it has answered, so reading at once races it under load."""
    deadline = time.monotonic() + timeout
    while True:
        found = messages(get_settings().outbox_dir)
        if enough(found) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def sign_in(page: Page, harness, address: str) -> None:
    path = request_link(page, harness, address)
    assert path, f"no sign-in link was sent to {address}"
    page.goto(url(harness, path))
    page.wait_for_selector("#user-name")
    page.wait_for_function("document.querySelector('#user-name').textContent.trim().length > 0")


def path_of(page: Page) -> str:
    return urlsplit(page.url).path.rstrip("/") or "/"


DATE = re.compile(r"\d{2}-\d{2}-\d{4}")
