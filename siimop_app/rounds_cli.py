"""Operators' command line for rounds: ``python -m siimop_app.rounds_cli close|check|release --round N [--wave ID]``.

* ``close``   closes the round (snapshot → matching → check → one write), printing each step;
  a closed round is reported again, unchanged.
* ``check``   re-runs the engine's check on the round's stored instance and result and prints
  the certificate.
* ``notify``  e-mails each student and supervisor of a closed round their result, once, from the
  round's results date (run it from a scheduler on that day).
* ``release`` gives back a round left "en cours de clôture" by a process that died (never a
  closed round). Use it only when no close is running.

``--round`` is the round number in the wave; ``--wave`` the wave id (default: the wave open
today, else the only wave). ``--actor EMAIL`` attributes a close to a manager's account.
Exit codes: 0 done; 1 refused (round already being closed, failed check…); 2 bad usage
(unknown round, wave or address). Messages in French, no traceback for expected errors.
"""

from __future__ import annotations

import argparse
import sys

from sqlmodel import select

from siimop_app.db import transaction
from siimop_app.matching import InstanceError
from siimop_app.models import Round, UserEmail, Wave
from siimop_app.services import calendar
from siimop_app.services.result_mail import notify_results
from siimop_app.services.rounds import (
    RoundError,
    check_stored,
    close_round,
    release_claim,
)


class UsageError(Exception):
    """Bad arguments (exit code 2)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m siimop_app.rounds_cli",
                                     description="Clôture et vérification des tours d'appariement.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (("close", "clôturer un tour (appariement et écriture des affectations)"),
                       ("check", "revérifier le résultat enregistré d'un tour clôturé"),
                       ("release", "libérer un tour resté « en cours de clôture » après un arrêt brutal"),
                       ("notify", "envoyer les résultats par e-mail (à partir de la date de publication)")):
        command = sub.add_parser(name, help=text)
        command.add_argument("--round", type=int, required=True, dest="round_number", help="numéro du tour (1, 2…)")
        command.add_argument("--wave", type=int, help="identifiant de la vague (par défaut : la vague ouverte)")
        if name == "close":
            command.add_argument("--actor", metavar="EMAIL", help="adresse du gestionnaire à qui attribuer la clôture")
    return parser


def _round_id(round_number: int, wave_id: int | None) -> int:
    with transaction() as session:
        if wave_id is None:
            current = calendar.current_wave()
            if current is not None:
                wave_id = current.wave_id
            else:
                waves = session.exec(select(Wave.id)).all()
                if len(waves) != 1:
                    raise UsageError("Aucune vague n'est ouverte aujourd'hui : précisez-la avec --wave ID.")
                wave_id = waves[0]
        elif session.get(Wave, wave_id) is None:
            raise UsageError(f"La vague {wave_id} n'existe pas.")
        round_id = session.exec(select(Round.id).where(Round.wave_id == wave_id, Round.number == round_number)).first()
        if round_id is None:
            raise UsageError(f"La vague {wave_id} n'a pas de tour {round_number}.")
        return round_id


def _actor(email: str | None) -> int | None:
    if not email:
        return None
    with transaction() as session:
        user_id = session.exec(select(UserEmail.user_id).where(UserEmail.email == email.strip().lower())).first()
    if user_id is None:
        raise UsageError(f"Aucun compte n'a l'adresse {email}.")
    return user_id


def _progress(label: str, fraction: float) -> None:
    print(f"[{fraction * 100:3.0f} %] {label}", flush=True)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        round_id = _round_id(args.round_number, args.wave)
        if args.command == "close":
            report = close_round(round_id=round_id, actor_user_id=_actor(args.actor), progress=_progress)
            if report.already_closed:
                print(f"Le tour {report.round_number} était déjà clôturé : rien n'a été modifié.")
            print(report.summary())
            print(f"Listes insuffisantes écartées : {report.excluded_insufficient} ; classements valides : "
                  f"{report.rankings_valid}, non valides (ignorés) : {report.rankings_ignored}.")
            if report.timings:
                print("Durées : " + ", ".join(f"{step} {seconds:.2f} s" for step, seconds in report.timings.items()))
            print(f"Certificat : {report.certificate}")
            return 0
        if args.command == "check":
            certificate = check_stored(round_id)
            print(certificate.to_text())
            return 0 if certificate.ok else 1
        if args.command == "notify":
            sent = notify_results(round_id)
            if sent.already_sent:
                print(f"Les résultats du tour {sent.round_number} ont déjà été envoyés : rien n'a été renvoyé.")
            else:
                print(f"Résultats du tour {sent.round_number} envoyés à {sent.students} étudiants "
                      f"et {sent.supervisors} responsables.")
            return 0
        if release_claim(round_id):
            print(f"Le tour {args.round_number} est de nouveau ouvert : sa clôture peut être relancée.")
            return 0
        print(f"Le tour {args.round_number} n'était pas en cours de clôture : rien n'a été modifié.", file=sys.stderr)
        return 1
    except UsageError as error:
        print(f"Erreur : {error}", file=sys.stderr)
        return 2
    except RoundError as error:
        print(f"Refusé : {error}", file=sys.stderr)
        return 1
    except InstanceError as error:
        print(f"Erreur : les données enregistrées du tour sont illisibles ({error}).", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
