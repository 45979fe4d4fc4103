"""A round closed while the load runs gives the same result as without load (issue 13, item 4).

Against the production command (two workers, Redis, PostgreSQL), supervisors' tabs — socket clients of the load
tool, one per supervisor, each on its own board — rank candidates and reload their boards without pause, and
students' tabs reload their wishes page (read-only since the wishes phase ended) over and over. While
they do, the manager ends the ranking phase (the calendar page's service) and every tab's next move is refused with
the calendar's French message; then the manager closes round 1 from "Tours d'appariement" (the page's background
close, over its own socket) while the tabs keep trying. Afterwards:

* the assignments written are those of the same close made on the same data without load (the round's snapshot,
  built and solved in this process, no server involved), and the snapshot the close stored is that very data;
* nothing is half-written: every move a tab saw saved is in the database (one audit row each), none after the
  phase ended, every ranking of the round reads 1..n, one ``round.close`` row, the round closed.

It closes round 1 of the package's demo campaign, so it runs after the other production tests (file order).
"""

from __future__ import annotations

import pytest
from sqlmodel import select

from siimop_app.db import get_engine, transaction
from siimop_app.models import Round, Student, UserEmail
from tests.prod.close_under_load import close_round_under_load
from tests.prod.conftest import ProdServer
from tests.prod.test_faults import _boards

pytestmark = pytest.mark.prod

SUPERVISORS = 6
STUDENTS = 4


def test_a_round_closed_under_load_writes_what_the_same_close_writes_without_load(prod_server: ProdServer):
    boards = _boards(SUPERVISORS)
    with transaction() as session:
        supervisors = [session.exec(select(UserEmail.user_id).where(UserEmail.email == address)).one()
                       for address, _ in boards]
        round_id = session.exec(select(Round.id).where(Round.number == 1)).one()
        students = session.exec(select(Student.user_id).where(Student.participating).order_by(Student.id)
                                .limit(STUDENTS)).all()
    close_round_under_load(prod_server.base_url, [(user_id, post_id) for user_id, (_, post_id)
                                                  in zip(supervisors, boards)], list(students), round_id)
    get_engine().dispose()
