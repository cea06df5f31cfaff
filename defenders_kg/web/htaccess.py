"""The static site's ``.htaccess``: Apache rewrite rules of the kind w3id.org expects, which give
each IRI the 303 that ``serve`` gives it, driven by the same table of media types."""

from __future__ import annotations

import re

from .iris import media_type_of, offered, suffix_of

#: An element's parameters, after its ``;``, hold a q of zero (``q=0``, ``q=0.00``).
_Q_ZERO = r"([^,]*;)?\s*q\s*=\s*0(\.0*)?\s*(;|,|$)"
#: An element's parameters hold a q below one (zero included).
_Q_BELOW_ONE = r"([^,]*;)?\s*q\s*=\s*0"


def _accept_condition(ranges: list[str], refused: str, *, negate: bool = False) -> str:
    """A RewriteCond that holds when the Accept header lists one of ``ranges`` (media types
    or wildcards, matched case-insensitively) with parameters that ``refused`` does not match."""
    names = "|".join(re.escape(media_range) for media_range in ranges)
    pattern = rf"(^|,)\s*({names})\s*(,|$|;(?!{refused}))"
    if negate:  # listed with q=0
        pattern = rf"!(^|,)\s*({names})\s*;{refused}"
    return f"RewriteCond %{{HTTP_ACCEPT}} {pattern} [NC]"


def htaccess(base_url: str) -> str:
    """Apache rewrite rules of the kind w3id.org expects, redirecting the project's IRIs (303,
    with ``Vary: Accept``) to the documents of the site published at ``base_url``.

    mod_rewrite cannot compare q-values, so the rules approximate ``formats.negotiate`` in three
    rounds, each in the server's order of formats: a type listed with q=1, then one listed with
    any q above 0, then one a wildcard admits and that is not listed with q=0; else HTML, unless
    HTML is listed with q=0 (406).
    """
    base = base_url.rstrip("/")
    offers: dict[str, list[str]] = {}
    for media_type, fmt in offered().items():
        offers.setdefault(fmt, []).append(media_type)
    lines = [
        "# w3id.org/defenders-kg: each IRI answers 303 See Other to a document of the site at",
        f"# {base}/, in the format the Accept header prefers (HTML by default).",
        "# Written by `defenders-kg site`; see the W3C 'Cool URIs for the Semantic Web'.",
        "Options +FollowSymLinks",
        "RewriteEngine on",
        "Header always set Vary Accept env=NEGOTIATED",
    ]
    lines += [f"AddType {media_type_of(fmt)} .{suffix_of(fmt)}" for fmt in offers]
    lines.append("")
    paths = (
        ("resource", r"^resource/([A-Za-z0-9_~-]+)$", "resource/$1"),
        ("graph", r"^graph/([A-Za-z0-9_~-]+)$", "graph/$1"),
        # The ontology's version IRIs and modules are described by its documents.
        ("ontology", r"^ontology(/[A-Za-z0-9._~-]+)*$", "ontology"),
    )
    flags = "[R=303,L,E=NEGOTIATED:1]"
    for kind, pattern, document in paths:
        lines.append(f"# {kind}: named with q=1, then with q above 0, then by a wildcard")
        for refused in (_Q_BELOW_ONE, _Q_ZERO):
            for fmt, media_types in offers.items():
                lines.append(_accept_condition(media_types, refused))
                lines.append(f"RewriteRule {pattern} {base}/{document}.{suffix_of(fmt)} {flags}")
        for fmt, media_types in offers.items():
            wildcards = ["*/*", *sorted({f"{m.partition('/')[0]}/*" for m in media_types})]
            lines.append(_accept_condition(wildcards, _Q_ZERO))
            lines.append(_accept_condition(media_types, _Q_ZERO, negate=True))
            lines.append(f"RewriteRule {pattern} {base}/{document}.{suffix_of(fmt)} {flags}")
        lines.append(_accept_condition(offers["html"], _Q_ZERO, negate=True))
        lines.append(f"RewriteRule {pattern} {base}/{document}.html {flags}")
        lines.append(f"RewriteRule {pattern} - [R=406,L,E=NEGOTIATED:1]")
        lines.append("")
    lines.append(f"RewriteRule ^$ {base}/index.html [R=303,L]")
    return "\n".join(lines) + "\n"
