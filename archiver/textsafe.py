"""Untrusted text made safe for one line of output: no line breaks, no workflow commands.

Upstream text (model keys, URLs, headers, excerpts of bodies) reaches stdout, stderr, the
commit message and the GitHub job summary. On a GitHub runner a line that starts with ``::``,
after optional whitespace, is a workflow command (``::add-mask::``, ``::stop-commands::``,
``::error::``), and so is a line that holds the older ``##[`` form anywhere (the runner looks
for it with IndexOf: ``Jamba ##[add-mask]x`` masks x, ``##[stop-commands]t`` mutes every
command after it). So upstream text may never start a line, never end one and never hold
``##[``: ``one_line`` shows every character that some reader takes for a line break or a
terminal control as an escape (``\\n``, ``\\x85``, ``\\u2028``), escapes the first character
of a leading ``::`` (``\\x3a:add-mask::x``) and the first ``#`` of every ``##[``
(``\\x23#[add-mask]x``). It leaves backslashes alone, so applying it twice changes nothing.
``markdown_text`` does the same, then backslash-escapes what Markdown would read as markup
(tables, links, HTML, emphasis, code). Invisible characters (a zero-width space, a word
joiner, a byte order mark) are escaped too: otherwise "Together" and "Together" plus one of
them read alike. ``json_text`` writes the same characters (and the ``#`` of a ``##[``) in
JSON as ``\\u`` escapes: the same value, nothing a terminal or a runner acts on.
``cell_text`` marks a CSV cell that a spreadsheet would run as a formula as text.
"""

from __future__ import annotations

import re

COMMAND_PREFIXES = ("::", "##[")
# The runner's older command form, which it finds anywhere in a line (ActionCommand.TryParse).
_ANYWHERE_COMMAND = re.compile(r"#(?=#\[)")
# What starts a formula in a spreadsheet's cell (OWASP's CSV injection list).
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r")
# C1 controls (U+0085 NEL, U+009B CSI, U+009D OSC among them), DEL, the Unicode line and
# paragraph separators, the bidi controls that reorder what a reader sees (Trojan Source),
# and the invisible characters that make two names look the same.
_UNSEEN = "\x7f-\x9f\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff"
_UNSAFE = re.compile(f"[\x00-\x1f{_UNSEEN}]")
# In JSON text C0 controls are escaped already, and a line feed between values is layout.
_UNSAFE_IN_JSON = re.compile(f"[{_UNSEEN}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# Every ASCII punctuation mark CommonMark lets a backslash escape that could start markup;
# ':' included, so a URL is not turned into a link.
_MARKDOWN = re.compile(r"([\\`*_{}\[\]<>()#+!|~&:])")
# The longest key a line names whole: no longer key can be archived (archiver.paths.MAX_PATH).
SHOWN_KEY = 240


def one_line(text: str) -> str:
    """Return untrusted text as one inert line: controls and line breaks escaped, no command."""
    safe = _UNSAFE.sub(lambda match: _escape(match.group()), text)
    safe = _ANYWHERE_COMMAND.sub(lambda match: _escape(match.group()), safe)
    body = safe.lstrip()
    if body.startswith(COMMAND_PREFIXES):
        indent = len(safe) - len(body)
        safe = safe[:indent] + _escape(body[0]) + body[1:]
    return safe


def json_text(text: str) -> str:
    """Return JSON text with every unsafe character written as a \\u escape: the same value."""
    # Outside its strings JSON holds ASCII only and never a '#', so every match is inside a
    # string, where \\u0023 is the same '#'.
    text = _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", text)
    return _ANYWHERE_COMMAND.sub(lambda match: "\\u0023", text)


def cell_text(text: str) -> str:
    """Return text for a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    # The apostrophe is the spreadsheet's own mark for "text"; it is not shown in the cell.
    return "'" + text if text.startswith(FORMULA_LEADS) else text


def markdown_text(text: str) -> str:
    """Return untrusted text as one line of Markdown that renders as that text, markup-free."""
    return _MARKDOWN.sub(r"\\\1", one_line(text))


def key_text(key: str) -> str:
    """Return an upstream key as a line names it: whole, or, longer than any archived key,
    its start and its length (a 70,000-character model key named whole by every line about
    its endpoints made each of them 70 KB, in every hour's commit message)."""
    return key if len(key) <= SHOWN_KEY else f"{key[:80]}... ({len(key):,} characters)"


def name_text(value: object) -> str | None:
    """Return a name upstream sent without its edge spaces, or None: a blank one names
    nothing, and every reader then names the entity by its key."""
    return (value.strip() or None) if isinstance(value, str) else None


def _escape(char: str) -> str:
    """Return a character as a visible escape sequence."""
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
