"""The CLI's `sso` area: work a group's SSO request queue as the dashboard does.

sso requests GROUP [--status pending|linked|rejected] [--json]
sso link GROUP SUBJECT USERNAME
sso reject GROUP SUBJECT [--reason TEXT]
sso unlink GROUP SUBJECT
sso requeue-activation GROUP SUBJECT
"""

from __future__ import annotations

import argparse
import json
from typing import Any


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2, sort_keys=True, default=str))


def _request_row(identity: Any, suggested: list[Any]) -> dict[str, Any]:
    asserted = identity.asserted
    return {
        "subject": identity.subject,
        "status": identity.status,
        "asserted": {
            "unique_id": asserted.unique_id,
            "username": asserted.username,
            "first_name": asserted.first_name,
            "last_name": asserted.last_name,
            "phone": asserted.phone,
            "email": asserted.email,
        },
        "requested_at": identity.requested_at.isoformat(),
        "linked_username": identity.linked_username,
        "decided_by": identity.decided_by,
        "decided_at": identity.decided_at.isoformat() if identity.decided_at else None,
        "suggested_users": [u.username for u in suggested],
    }


def sso_requests(args: argparse.Namespace) -> int:
    from chalicelib.services import groups, linking, users

    groups.get_group(args.group)
    requests = linking.list_requests(args.group, args.status)
    candidates = users.list_users(args.group) if args.status == "pending" and requests else []
    rows = [
        _request_row(r, linking.suggest_users(r, candidates) if args.status == "pending" else [])
        for r in requests
    ]
    if args.json:
        _print_json(rows)
        return 0
    if not rows:
        print(f"No {args.status} SSO requests in {args.group}.")
        return 0
    last = "SUGGESTED USERS" if args.status == "pending" else "DECIDED"
    print(f"{'SUBJECT':<32} {'USERNAME':<16} {'NAME':<24} {'EMAIL':<28} {'REQUESTED':<20} {last}")
    for row in rows:
        a = row["asserted"]
        name = f"{a['first_name']} {a['last_name']}".strip() or "-"
        if args.status == "pending":
            tail = ", ".join(row["suggested_users"]) or "-"
        else:
            linked = f"{row['linked_username']} " if row["linked_username"] else ""
            tail = f"{linked}by {row['decided_by'] or '?'} {row['decided_at'] or ''}".strip()
        print(
            f"{row['subject']:<32} {a['username'] or '-':<16} {name:<24} {a['email'] or '-':<28} "
            f"{row['requested_at'][:19]:<20} {tail}"
        )
    return 0


def sso_link(args: argparse.Namespace) -> int:
    from chalicelib.services import linking

    identity = linking.link(args.group, args.subject, args.username, actor=args.actor)
    print(
        f"Linked {identity.subject} to {identity.linked_username} in {args.group}; "
        "the activation email is queued."
    )
    return 0


def sso_reject(args: argparse.Namespace) -> int:
    from chalicelib.services import linking

    linking.reject(args.group, args.subject, actor=args.actor, reason=args.reason)
    print(f"Declined the SSO request of {args.subject} in {args.group}.")
    return 0


def sso_unlink(args: argparse.Namespace) -> int:
    from chalicelib.services import linking

    linking.unlink(args.group, args.subject, actor=args.actor)
    print(
        f"Unlinked {args.subject} in {args.group}; the user's sessions are revoked and the next "
        "SSO login will ask to confirm again."
    )
    return 0


def sso_requeue(args: argparse.Namespace) -> int:
    from chalicelib.services import linking

    message_id = linking.requeue_activation(args.group, args.subject, actor=args.actor)
    print(f"Queued the activation email of {args.subject} in {args.group} again ({message_id}).")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    sso = sub.add_parser("sso", help="SSO requests and linked identities").add_subparsers(
        dest="cmd", required=True
    )

    p = sso.add_parser("requests", help="list a group's SSO requests, oldest first")
    p.add_argument("group")
    p.add_argument("--status", default="pending", choices=["pending", "linked", "rejected"])
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=sso_requests)

    p = sso.add_parser("link", help="link a pending request to a user of the same group")
    p.add_argument("group")
    p.add_argument("subject", help="the IdP subject (Unique ID) of the request")
    p.add_argument("username")
    p.set_defaults(handler=sso_link)

    p = sso.add_parser("reject", help="decline a pending request")
    p.add_argument("group")
    p.add_argument("subject")
    p.add_argument("--reason", help="why, for the audit trail")
    p.set_defaults(handler=sso_reject)

    p = sso.add_parser("unlink", help="unlink an identity from its user")
    p.add_argument("group")
    p.add_argument("subject")
    p.set_defaults(handler=sso_unlink)

    p = sso.add_parser(
        "requeue-activation", help="queue a linked identity's activation email again"
    )
    p.add_argument("group")
    p.add_argument("subject")
    p.set_defaults(handler=sso_requeue)
