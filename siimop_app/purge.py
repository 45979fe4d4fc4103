"""``python -m siimop_app.purge CAMPAIGN_ID [--dry-run]``: anonymise a closed campaign's students once their
retention period is over (see ``siimop_app/services/retention.py`` and the README).

Exit status: 0 purged (or would be, with ``--dry-run``), 1 refused (campaign unknown, not over, or still within
its retention period), 2 usage.
"""

from __future__ import annotations

import argparse
import json
import sys

from siimop_app.services.calendar import now
from siimop_app.services.retention import PurgeRefused, purge_campaign


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m siimop_app.purge", description=__doc__.splitlines()[0])
    parser.add_argument("campaign_id", type=int)
    parser.add_argument("--dry-run", action="store_true", help="count what would be purged, change nothing")
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:
        return int(exit_.code or 0)
    try:
        report = purge_campaign(args.campaign_id, today=now().date(), dry_run=args.dry_run)
    except PurgeRefused as refused:
        print(str(refused), file=sys.stderr)
        return 1
    print(report.summary() + ("" if report.applied else " (essai : rien n'a été modifié)"))
    print("Statistiques conservées : " + json.dumps(report.statistics, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
