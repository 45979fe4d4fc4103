""""What fixing would give" counts, market by market and remembered, exactly what deferred acceptance on the
whole edited round gives (issue 15: the what-ifs re-count only the markets a change touched)."""

from __future__ import annotations

from typing import Any

from siimop_app import matching
from siimop_app.db import transaction
from siimop_app.matching.algorithms import deferred_acceptance
from siimop_app.services import dry_run, rounds
from siimop_app.services.scope import scope_of
from tests.services.test_dry_run import demo  # noqa: F401 - the small demo in round 1's ranking phase
from tests.services.test_post_table import signed_in


def _placed_whole(data: dict[str, Any]) -> int:
    return sum(1 for post in deferred_acceptance(matching.Instance.from_dict(data).compiled()) if post >= 0)


def test_the_gains_are_those_of_the_whole_edited_round(demo, monkeypatch):  # noqa: F811
    admin = signed_in("admin")
    read: dict[str, Any] = {}
    with transaction() as session:
        data = rounds.build_instance(session, demo, read)
        scope = scope_of(session, admin.user_id, tuple(r for r in dry_run.DRY_RUN_ROLES if r in admin.roles))
        ctx = dry_run._read_context(session, demo, scope, data, read)
    fixed = sorted(int(p["id"]) for p in data["posts"] if p["ranking_status"] in dry_run.RANKING_STATUS)
    lists = sorted(ctx.insufficient)
    expected = (_placed_whole(dry_run._with_fixed_rankings(data, ctx, fixed)) - _placed_whole(data),
                _placed_whole(dry_run._with_counted_lists(data, ctx, lists)) - _placed_whole(data))
    assert expected[0] > 0 and expected[1] > 0

    monkeypatch.setattr(dry_run, "_PLACED", type(dry_run._PLACED)())  # nothing counted yet in this process
    first = dry_run.run_dry_run(admin)
    counted = len(dry_run._PLACED)
    again = dry_run.run_dry_run(admin)  # every market's count remembered
    assert (first.fix_rankings.gain, first.fix_lists.gain) == expected == (again.fix_rankings.gain,
                                                                           again.fix_lists.gain)
    assert counted > 1 and len(dry_run._PLACED) == counted
