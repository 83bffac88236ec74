"""Command line: ``python -m demo_idp --help``."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from .idp import NAMEID_FORMATS, DemoIdP
from .keys import generate_keypair, load_or_create_keypair
from .server import create_server
from .users import DEMO_USERS, load_users


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m demo_idp",
        description="Demo SAML 2.0 identity provider (pysaml2) for local demos and tests.",
    )
    p.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=int, default=8001, help="port to listen on (default 8001)")
    p.add_argument(
        "--base-url",
        help="public base URL (default http://HOST:PORT); entity ID = BASE/idp/metadata",
    )
    p.add_argument(
        "--sp-metadata-url",
        action="append",
        default=[],
        metavar="URL",
        help="SP metadata URL, fetched at first need, retried until it answers (repeatable)",
    )
    p.add_argument(
        "--sp-metadata-file",
        action="append",
        default=[],
        metavar="PATH",
        help="SP metadata file (repeatable)",
    )
    p.add_argument(
        "--users-file",
        type=Path,
        help="JSON list of users (DemoUser fields); default: 4 demo staff",
    )
    p.add_argument(
        "--key-dir",
        type=Path,
        help="keep the IdP key and cert here (created if missing); default: new key each start",
    )
    p.add_argument(
        "--name-id-format",
        choices=sorted(NAMEID_FORMATS),
        default="emailAddress",
        help="NameID format when the AuthnRequest does not ask for one (default emailAddress)",
    )
    p.add_argument(
        "--no-sign-response", action="store_true", help="sign the assertion only, not the response"
    )
    p.add_argument(
        "--encrypt-assertion",
        action="store_true",
        help="encrypt assertions (SP metadata must carry a certificate)",
    )
    p.add_argument(
        "--want-authn-requests-signed", action="store_true", help="refuse unsigned AuthnRequests"
    )
    p.add_argument("--print-metadata", action="store_true", help="print the IdP metadata and exit")
    p.add_argument(
        "--print-cert",
        action="store_true",
        help="print the signing cert (one base64 line) and exit",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="log every request")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING, format="demo-idp: %(message)s"
    )
    base_url = (args.base_url or f"http://{args.host}:{args.port}").rstrip("/")
    keypair = load_or_create_keypair(args.key_dir) if args.key_dir else generate_keypair("demo-idp")
    if args.print_cert:
        print(keypair.cert_base64)
        return 0
    if args.print_metadata:
        print(DemoIdP.metadata_for(base_url, keypair))
        return 0
    users = load_users(args.users_file) if args.users_file else list(DEMO_USERS)
    sp_xml = [Path(p).read_text(encoding="utf-8") for p in args.sp_metadata_file]
    server, app = create_server(
        args.host,
        args.port,
        base_url=base_url,
        keypair=keypair,
        users=users,
        sp_metadata_urls=args.sp_metadata_url,
        sp_metadata=sp_xml,
        want_authn_requests_signed=args.want_authn_requests_signed,
        default_name_id_format=args.name_id_format,
        sign_response=not args.no_sign_response,
        encrypt_assertion=args.encrypt_assertion,
    )
    print(
        f"Demo IdP on {app.base_url}  (metadata: {app.idp.entity_id})", file=sys.stderr, flush=True
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        app.idp.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
