"""Benchmark: one supervisor in a real browser (Chromium) while the load tool runs, as the person would see it.

    python tests/benchmarks/bench_browser.py --url http://127.0.0.1:8400 [--moves 40]

The load tool measures the event socket; this measures a person: sign in with a real sign-in link, open the
ranking board, then move the last ranked candidate up and down again (a card moved with "Monter", then
"Descendre"), each move timed in the page's own clock from the click (the input event's time stamp: a main
thread busy rendering counts) until the frame where the board shows the new order. Playwright's wait before it
clicks (the control visible, stable, not covered) is printed apart: it is the robot's, not the person's. The
board ends as it began:
the candidates it had to rank first (fewer than two ranked) are taken off the ranking at the end. Every move is
checked in the database (one audit row each), and the page must log no JavaScript or console error.

The supervisor is the last of ``loadtest.run.referent_boards()``: the load tool takes its supervisors from the
start of that list, so the two never move the same board. Run it in another shell during
``bench_load.py`` (``bench_load.py --browser`` does so during each step), with ``REFLEX_DB_URL`` set to the
server's database.
Figures are printed, never asserted; ``tests/e2e/test_load_tool.py`` runs the journey against the test app.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("SIIMOP_CHROMIUM", "/usr/bin/chromium")
NAMES = ".ranked-card .candidate-name"
# The page's time (performance.now()) of the frame where the ranked column first shows exactly these names in
# this order (polled at every frame), else false.
_SHOWS = """({selector, expected}) => {
    const names = [...document.querySelectorAll(selector)].map(element => element.textContent.trim());
    return names.length === expected.length && names.every((name, i) => name === expected[i]) && performance.now();
}"""
# The time stamp of the last click's input event, in the same clock (kept across the board's re-renders).
_NOTE_CLICKS = """() => { window.__benchClickAt = null;
    document.addEventListener("click", event => { window.__benchClickAt = event.timeStamp; }, true); }"""


def _shows(page, expected: list[str], timeout_ms: float) -> float:
    return page.wait_for_function(_SHOWS, arg={"selector": NAMES, "expected": expected}, polling="raf",
                                  timeout=timeout_ms).json_value()


def _names(page) -> list[str]:
    return [name.strip() for name in page.locator(NAMES).all_inner_texts()]


def journey(page, base_url: str, moves: int, timeout_ms: float = 30_000) -> dict:
    """Sign in, open the board and make ``moves`` moves (rounded up to an even number); the timings in seconds and
    how many audit rows the moves left in the database."""
    from siimop_app.loadtest.run import Cast, _verify, last_audit_id, mint_link, referent_boards

    user_id, post_id = referent_boards()[-1]
    base = base_url.rstrip("/")
    since = last_audit_id()
    timings: dict = {"moves": [], "before_click": []}
    started = time.perf_counter()
    page.goto(f"{base}/connexion/jeton/{mint_link(user_id)}")
    page.wait_for_function("(document.querySelector('#user-name')?.textContent ?? '').trim().length > 0",
                           polling="raf", timeout=timeout_ms)
    timings["sign_in"] = time.perf_counter() - started
    started = time.perf_counter()
    page.goto(f"{base}/rts/classement/{post_id}")
    page.locator("#unranked-column").wait_for(timeout=timeout_ms)
    timings["open"] = time.perf_counter() - started
    page.evaluate(_NOTE_CLICKS)

    def click(button: str, card_name: str, expected: list[str]) -> None:
        # The board names each card's buttons "<action> : <candidate>" (what a screen reader announces): exact, so
        # a candidate whose name starts another's is never clicked for it.
        control = page.get_by_role("button", name=f"{button} : {card_name}", exact=True)
        asked = page.evaluate("performance.now()")
        control.click()
        shown_at = _shows(page, expected, timeout_ms)
        clicked_at = page.evaluate("window.__benchClickAt")
        timings["moves"].append((shown_at - clicked_at) / 1000)
        timings["before_click"].append((clicked_at - asked) / 1000)

    added = []
    while len(_names(page)) < 2:  # something to move up and down
        name = page.locator(".unranked-card .candidate-name").first.inner_text().strip()
        click("Classer en dernier", name, [*_names(page), name])
        added.append(name)
    for _ in range(max(1, (moves + 1) // 2)):
        order = _names(page)
        last = order[-1]
        click("Monter", last, [*order[:-2], last, order[-2]])
        click("Descendre", last, order)
    for name in reversed(added):
        click("Retirer du classement", name, [n for n in _names(page) if n != name])
    # Counted as the load tool counts its own supervisors' moves.
    timings["saved"] = _verify(since, Cast([(user_id, post_id)], [], [], []))["supervisor.move"]
    return timings


def _ms(values: list[float], p: float) -> str:
    from siimop_app.loadtest.run import _pct

    return f"{1000 * _pct(values, p):.0f}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default="http://127.0.0.1:8400")
    parser.add_argument("--moves", type=int, default=40)
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from siimop_app.loadtest.run import check_loopback

    check_loopback(args.url)
    problems: list[str] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--headless"])
        page = browser.new_page(viewport={"width": 1440, "height": 900}, locale="fr-FR")
        page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
        page.on("console", lambda m: problems.append(f"console: {m.text}") if m.type == "error" else None)
        timings = journey(page, args.url, args.moves)
        browser.close()
    moves = timings["moves"]
    print(f"browser: signed in in {1000 * timings['sign_in']:.0f} ms, board opened in {1000 * timings['open']:.0f} ms;"
          f" {len(moves)} moves, click to new order p50 {_ms(moves, 50)} ms, p95 {_ms(moves, 95)} ms,"
          f" max {_ms(moves, 100)} ms (mean {1000 * statistics.fmean(moves):.0f} ms); Playwright's wait before each"
          f" click p50 {_ms(timings['before_click'], 50)} ms, max {_ms(timings['before_click'], 100)} ms")
    print(f"browser: database: {timings['saved']} move(s) saved for {len(moves)} shown; "
          f"{len(problems)} console error(s)" + "".join(f"\n  {p}" for p in problems[:5]))
    return 0 if timings["saved"] == len(moves) and not problems else 1


if __name__ == "__main__":
    sys.exit(main())
