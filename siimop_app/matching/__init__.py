"""SiiMOP matching engine: weakly stable assignment of Docteurs Juniors to posts.

Pure domain code (no web framework, no database). Typical use::

    from siimop_app.matching import Instance, solve, check, explain_student, explain_post, InstanceError
    inst = Instance.from_dict(data)        # validates, raises InstanceError
    res = solve(inst)                      # exact mode: proven maximum placed, then hearts
    res = solve(inst, mode="fast")         # the heuristic alone
    res.stats["optimal"], res.stats["upper_bound"], res.stats["gap"]
    cert = check(inst, res.to_dict())      # Certificate: .ok, .violations, .summary

See README.md in this package for formats and semantics.
"""

from .check import Certificate, check
from .explain import Explanation, explain_post, explain_student
from .instance import Instance, InstanceError, Post, Student, tie_break_key
from .solve import Result, solve

__all__ = [
    "Certificate",
    "Explanation",
    "Instance",
    "InstanceError",
    "Post",
    "Result",
    "Student",
    "check",
    "explain_post",
    "explain_student",
    "solve",
    "tie_break_key",
]
