"""HTML of the demo IdP: plain, accessible, self-contained (no CDN), everything escaped."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from .users import DEMO_ORGANISATION, DemoUser

TITLE = "Demo identity provider"

_STYLE = """
body{font-family:system-ui,sans-serif;margin:0;background:#f4f6f8;color:#1b1f23}
main{max-width:40rem;margin:2rem auto;background:#fff;padding:1.5rem 2rem;border-radius:8px;
box-shadow:0 1px 3px rgba(0,0,0,.15)}
h1{font-size:1.5rem;margin-top:0}
.note{background:#fff8e1;border-left:4px solid #f0b429;padding:.5rem 1rem}
fieldset{border:1px solid #ccd;border-radius:6px;padding:.5rem 1rem;margin:1rem 0}
.choice{margin:.5rem 0}
.choice label{margin-left:.25rem}
.detail{color:#555;font-size:.9rem}
button{font-size:1rem;padding:.5rem 1.25rem;border-radius:6px;border:0;
background:#1f5fbf;color:#fff;cursor:pointer}
button:focus{outline:3px solid #f0b429}
.error{border-left:4px solid #c62828;padding:.5rem 1rem;background:#fdecea}
code{word-break:break-all}
"""


def page(title: str, body: str, nonce: str, script: str = "") -> str:
    """A full HTML document; ``body`` must already be escaped HTML."""
    script_tag = f'<script nonce="{escape(nonce)}">{script}</script>' if script else ""
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)} - {TITLE}</title>"
        f'<style nonce="{escape(nonce)}">{_STYLE}</style></head>'
        f"<body><main>{body}</main>{script_tag}</body></html>\n"
    )


def login_page(
    *, action: str, token: str, sp_entity_id: str, users: Sequence[DemoUser], nonce: str
) -> str:
    choices = []
    for i, user in enumerate(users):
        uid = f"user-{i}"
        detail = f"{user.username} · {user.email}"
        choices.append(
            '<div class="choice">'
            f'<input type="radio" id="{uid}" name="user" value="{escape(user.username)}" required'
            f' aria-describedby="{uid}-detail">'
            f'<label for="{uid}">{escape(user.display_name)}</label> '
            f'<span class="detail" id="{uid}-detail">({escape(detail)})</span></div>'
        )
    body = (
        f"<h1>{TITLE}</h1>"
        '<p class="note">This page stands in for your practice\'s real identity provider '
        "(Google Workspace, Okta, Entra ID …). It checks no password: pick the person you want "
        "to be and sign in.</p>"
        f"<p>Signing in to <strong><code>{escape(sp_entity_id)}</code></strong></p>"
        f'<form method="post" action="{escape(action)}">'
        f'<input type="hidden" name="token" value="{escape(token)}">'
        f"<fieldset><legend>Staff of {escape(DEMO_ORGANISATION)}</legend>"
        f"{''.join(choices)}</fieldset>"
        '<button type="submit">Sign in</button></form>'
    )
    return page("Sign in", body, nonce)


def post_page(
    *, acs_url: str, saml_response: str, relay_state: str | None, user: DemoUser, nonce: str
) -> str:
    relay = (
        f'<input type="hidden" name="RelayState" value="{escape(relay_state)}">'
        if relay_state is not None
        else ""
    )
    body = (
        f"<h1>{TITLE}</h1>"
        f"<p>Signed in as <strong>{escape(user.display_name)}</strong>. "
        "Sending you back to the application…</p>"
        f'<form id="saml-post" method="post" action="{escape(acs_url)}">'
        f'<input type="hidden" name="SAMLResponse" value="{escape(saml_response)}">{relay}'
        "<noscript><p>JavaScript is off: press Continue.</p></noscript>"
        '<button type="submit">Continue</button></form>'
    )
    return page("Continue", body, nonce, script='document.getElementById("saml-post").submit();')


def error_page(title: str, message: str, nonce: str) -> str:
    body = (
        f"<h1>{TITLE}</h1><h2>{escape(title)}</h2>"
        f'<p class="error" role="alert">{escape(message)}</p>'
        "<p>Start again from the application's sign-in page.</p>"
    )
    return page(title, body, nonce)


def index_page(
    *,
    metadata_url: str,
    initiate_action: str,
    sps: Sequence[str],
    users: Sequence[DemoUser],
    nonce: str,
) -> str:
    if sps:
        options = "".join(f'<option value="{escape(sp)}">{escape(sp)}</option>' for sp in sps)
        people = "".join(
            f'<option value="{escape(u.username)}">'
            f"{escape(u.display_name)} ({escape(u.username)})</option>"
            for u in users
        )
        initiate = (
            "<h2>IdP-initiated sign-in</h2>"
            f'<form method="get" action="{escape(initiate_action)}">'
            '<p><label for="sp">Application</label><br>'
            f'<select id="sp" name="sp">{options}</select></p>'
            '<p><label for="user">Person</label><br>'
            f'<select id="user" name="user">{people}</select></p>'
            '<button type="submit">Sign in</button></form>'
        )
    else:
        initiate = "<p>No application (service provider) is registered yet.</p>"
    body = (
        f"<h1>{TITLE}</h1>"
        '<p class="note">A stand-in for a practice\'s real identity provider, for local demos '
        "and tests only.</p>"
        f'<p>Metadata: <a href="{escape(metadata_url)}"><code>{escape(metadata_url)}</code></a></p>'
        f"{initiate}"
    )
    return page("Home", body, nonce)
