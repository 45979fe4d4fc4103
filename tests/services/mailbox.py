"""Reading the messages the app wrote to its outbox, as a user would read their mail."""

from __future__ import annotations

import email
import email.policy
import re
from email.message import EmailMessage
from pathlib import Path

LINK = re.compile(r"https?://\S+/connexion/jeton/\S+")


def messages(outbox: Path) -> list[EmailMessage]:
    if not outbox.exists():
        return []
    files = sorted(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime_ns)
    return [email.message_from_bytes(f.read_bytes(), policy=email.policy.default) for f in files]


def links_for(outbox: Path, address: str) -> list[str]:
    """The sign-in links sent to ``address``, oldest first."""
    found = []
    for message in messages(outbox):
        if str(message["To"]) == address:
            found.extend(LINK.findall(message.get_body(("plain",)).get_content()))
    return found


def token_of(link: str) -> str:
    return link.rsplit("/", 1)[1]
