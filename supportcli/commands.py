"""The CLI's commands: groups and users (SSO linking commands live in linking.py)."""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from chalicelib.errors import ServiceError


def _read_text(path: str, what: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ServiceError(f"Cannot read the {what} file {path}: {exc.strerror or exc}.") from None


def _print_json(value: object) -> None:
    print(json.dumps(value, indent=2, sort_keys=True, default=str))


# --- groups ---------------------------------------------------------------------------------


def group_create(args: argparse.Namespace) -> int:
    from chalicelib.services import groups

    group = groups.create_group(args.slug, args.name, args.domain, actor=args.actor)
    print(f"Created group {group.slug} ({group.name}).")
    return 0


def group_show(args: argparse.Namespace) -> int:
    from chalicelib.services import groups

    group = groups.get_group(args.slug)
    _print_json(
        {
            "slug": group.slug,
            "name": group.name,
            "email_domains": list(group.email_domains or []),
            "force_sso": bool(group.force_sso),
            "idp": group.idp.as_dict() if group.idp else None,
        }
    )
    return 0


def _mapping(item: str) -> tuple[str, str]:
    field, sep, attribute = item.partition("=")
    if not sep or not field:
        raise ServiceError(
            f"--map takes FIELD=ATTRIBUTE (e.g. unique_id=employeeNumber), not '{item}'."
        )
    return field.strip(), attribute.strip()


def group_set_idp(args: argparse.Namespace) -> int:
    from chalicelib.saml.idp_config import IdpFields, build_idp_settings, fields_from_metadata
    from chalicelib.services import groups

    groups.get_group(args.slug)  # a clear "no such group" before reading anything else
    if args.metadata:
        fields = fields_from_metadata(_read_text(args.metadata, "metadata"))
    else:
        fields = IdpFields(
            entity_id=args.entity_id or "", sso_url=args.sso_url or "", certificates=[]
        )
    if args.entity_id:
        fields.entity_id = args.entity_id
    if args.sso_url:
        fields.sso_url = args.sso_url
    if args.slo_url:
        fields.slo_url = args.slo_url
    fields.certificates += [_read_text(path, "certificate") for path in args.cert or []]
    for name in ("name_id_format", "preset", "clock_skew_seconds"):
        value = getattr(args, name)
        if value is not None:
            setattr(fields, name, value)
    fields.mapping = dict(_mapping(item) for item in args.map or [])
    if args.idp_initiated is not None:
        fields.allow_idp_initiated = args.idp_initiated == "on"
    if args.sign_requests is not None:
        fields.sign_requests = args.sign_requests == "on"
    if args.encrypted_assertions is not None:
        fields.want_encrypted_assertions = args.encrypted_assertions == "on"
    idp = build_idp_settings(fields)
    groups.set_idp(args.slug, idp, actor=args.actor)
    print(
        f"Group {args.slug} now trusts {idp.entity_id} "
        f"({len(idp.certificates)} signing certificate{'s' if len(idp.certificates) != 1 else ''})."
    )
    return 0


# --- users ----------------------------------------------------------------------------------


def _password(args: argparse.Namespace) -> str | None:
    if args.password_stdin:
        value = sys.stdin.readline().rstrip("\n")
        if not value:
            raise ServiceError("No password was given on standard input.")
        return value
    if args.password_prompt:
        return getpass.getpass("Password: ")
    return None


def user_add(args: argparse.Namespace) -> int:
    from chalicelib.services import users

    new = users.NewUser(
        group_slug=args.group,
        username=args.username,
        email=args.email,
        first_name=args.first_name or "",
        last_name=args.last_name or "",
        phone=args.phone,
        role=args.role,
        password=_password(args),
    )
    user = users.create_user(new, actor=args.actor)
    how = "with a password" if user.password_hash else "without a password (SSO only)"
    print(f"Created {user.role} {user.username} in {user.group_slug}, {how}.")
    return 0


def user_list(args: argparse.Namespace) -> int:
    from chalicelib.services import groups, users

    groups.get_group(args.group)
    rows = users.list_users(args.group)
    if args.json:
        _print_json(
            [
                {
                    "username": u.username,
                    "email": u.email,
                    "name": u.display_name,
                    "role": u.role,
                    "active": u.active,
                    "password": bool(u.password_hash),
                    "sso_subject": u.sso_subject,
                }
                for u in rows
            ]
        )
        return 0
    print(f"{'USERNAME':<24} {'ROLE':<8} {'PASSWORD':<9} {'SSO':<7} NAME / EMAIL")
    for u in rows:
        sso = "linked" if u.sso_subject else "-"
        pw = "yes" if u.password_hash else "no"
        print(f"{u.username:<24} {u.role:<8} {pw:<9} {sso:<7} {u.display_name} <{u.email or ''}>")
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    group = sub.add_parser("group", help="practice groups").add_subparsers(
        dest="cmd", required=True
    )

    p = group.add_parser("create", help="create a practice group")
    p.add_argument("slug")
    p.add_argument("--name", required=True)
    p.add_argument(
        "--domain", action="append", default=[], help="verified email domain (repeatable)"
    )
    p.set_defaults(handler=group_create)

    p = group.add_parser("show", help="show a group and its IdP settings")
    p.add_argument("slug")
    p.set_defaults(handler=group_show)

    p = group.add_parser("set-idp", help="set a group's identity provider")
    p.add_argument("slug")
    p.add_argument("--metadata", help="IdP metadata XML file")
    p.add_argument("--entity-id")
    p.add_argument("--sso-url")
    p.add_argument("--slo-url")
    p.add_argument("--cert", action="append", help="signing certificate file, PEM (repeatable)")
    p.add_argument("--name-id-format", help="unspecified, emailAddress, persistent or transient")
    p.add_argument("--preset", help="attribute mapping preset: generic, okta, google, entra, adfs")
    p.add_argument("--map", action="append", help="FIELD=ATTRIBUTE, e.g. unique_id=employeeNumber")
    p.add_argument("--clock-skew-seconds", type=int)
    p.add_argument("--idp-initiated", choices=["on", "off"])
    p.add_argument("--sign-requests", choices=["on", "off"])
    p.add_argument(
        "--encrypted-assertions",
        choices=["on", "off"],
        help="require encrypted assertions (publishes the SP encryption key)",
    )
    p.set_defaults(handler=group_set_idp)

    user = sub.add_parser("user", help="users").add_subparsers(dest="cmd", required=True)

    p = user.add_parser("add", help="add a user to a group")
    p.add_argument("group")
    p.add_argument("username")
    p.add_argument("--email")
    p.add_argument("--first-name")
    p.add_argument("--last-name")
    p.add_argument("--phone")
    p.add_argument("--role", default="staff", choices=["staff", "admin"])
    how = p.add_mutually_exclusive_group()
    how.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    how.add_argument("--password-prompt", action="store_true", help="ask for the password")
    p.set_defaults(handler=user_add)

    p = user.add_parser("list", help="list a group's users")
    p.add_argument("group")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=user_list)

    from supportcli import linking

    linking.register(sub)
