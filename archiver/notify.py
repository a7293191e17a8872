"""Post the changes of the newest sync(s) that match a watch list to a chat webhook.

The watch list is ``notify.toml`` at the archive's root (another file with ``--watch``):
rules of ``[[watch]]``, each naming any of ``models`` (globs over the modelKey and the
model's name), ``providers`` (globs over the providerSlug and the provider's name) and
``kinds`` (:class:`archiver.history.kinds.Kind` values). A change is posted when it matches
every field of at least one rule; globs ignore case. Without the file, the changes that
matter to most people are posted: ``DEFAULT_KINDS``.

One JSON body serves both Slack and Discord incoming webhooks: ``text`` (Slack) and
``content`` (Discord) hold the same message; ``allowed_mentions`` keeps Discord from
pinging anyone. Messages are cut at line ends to stay under Discord's 2,000 characters;
at most ``MAX_MESSAGES`` are posted per run, the last saying how many changes were left
out. Upstream text is made inert first (no line breaks or controls, no ``@everyone``, no
Slack ``<!channel>``, no Discord masked links).

Errors: a watch file that cannot be read raises :class:`NotifyError` before anything is
posted; a webhook that times out, refuses or answers an error raises
:class:`WebhookError` naming only its host (the URL is a secret).
"""

from __future__ import annotations

import asyncio
import fnmatch
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pygit2

from archiver.archive.remote import rev
from archiver.archive.trailers import sync_epoch
from archiver.errors import ArchiverError
from archiver.history.commits import first_parent_chain, head_id, open_repository
from archiver.history.kinds import Described, Kind, describe_change, importance, model_name
from archiver.history.versions import SyncChanges, category_at, changes
from archiver.textsafe import one_line
from archiver.times import format_epoch

__all__ = [
    "DEFAULT_KINDS",
    "NotifyError",
    "Rule",
    "WebhookError",
    "messages",
    "newest_syncs",
    "post",
    "read_watch_list",
]

WATCH_FILE = "notify.toml"
DEFAULT_KINDS = frozenset(
    {Kind.REMOVED, Kind.ADDED, Kind.RETURNED, Kind.STATUS, Kind.PRICE, Kind.DEPRECATION,
     Kind.DATA_POLICY}
)  # fmt: skip
MESSAGE_LIMIT = 1900  # Discord refuses content over 2,000 characters; keep a margin.
MAX_MESSAGES = 10
# Kept free in the last message for "(and N more changes: ...)" and two line breaks.
MORE_ROOM = 80
# With --after, the newest syncs looked at: a workflow run makes one (two if it retried).
MAX_SYNCS = 24
RETRY_AFTER_LIMIT = 10.0


class NotifyError(ArchiverError):
    """The watch list or the archive cannot be read: nothing was posted."""


class WebhookError(ArchiverError):
    """The webhook did not take a message (timeout, refused, an HTTP error)."""


@dataclass(frozen=True)
class Rule:
    """One rule of the watch list: every field it names must match (empty: any)."""

    models: tuple[str, ...] = ()
    providers: tuple[str, ...] = ()
    kinds: frozenset[Kind] = field(default_factory=frozenset)

    def matches(self, about: Described, model: tuple[str, ...], provider: tuple[str, ...]) -> bool:
        """Tell whether a change (its meaning, model and provider names) matches this rule."""
        return (
            (not self.kinds or bool(self.kinds & set(about.kinds)))
            and _any_glob(self.models, model)
            and _any_glob(self.providers, provider)
        )


def read_watch_list(path: Path) -> list[Rule]:
    """Return the rules of a watch file; the default rule when the file does not exist."""
    if not path.exists():
        return [Rule(kinds=DEFAULT_KINDS)]
    if not path.is_file():
        # A FIFO or a device (a committed link to /dev/zero) is read without end.
        raise NotifyError(f"{path}: cannot read the watch list (it is no file); fix the file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise NotifyError(f"{path}: cannot read the watch list ({error}); fix the file") from None
    except RecursionError:  # tomllib recurses once per nested array or inline table.
        message = f"{path}: cannot read the watch list (nested too deep); fix the file"
        raise NotifyError(message) from None
    rules = data.get("watch")
    if not isinstance(rules, list) or not all(isinstance(rule, dict) for rule in rules):
        raise NotifyError(f"{path}: no [[watch]] rules; add one (see the README, `notify`)")
    return [_rule(path, rule) for rule in rules]


def newest_syncs(repo_path: str | Path, after: str | None = None) -> list[SyncChanges]:
    """Return the changes of HEAD's sync, or with after (a commit) of every sync after it."""
    repo = open_repository(repo_path)
    head = head_id(repo)
    # Any name git gives a commit (HEAD~3, a branch): compared as a prefix of ids, HEAD~3
    # matched none, and the newest sync alone was posted without a word. A name git does
    # not know stays as given (the workflow's GITHUB_SHA may lie beyond a shallow clone).
    after = (rev(Path(repo_path), after) or after) if after else after
    if not head or (after and head.startswith(after)):
        return []
    chain: dict[str, datetime] = {}
    found_after = False
    for commit_id in first_parent_chain(repo, head):
        if after and commit_id.startswith(after):
            found_after = True
            break
        epoch = _epoch(repo.get(commit_id))
        if epoch is not None:
            chain[commit_id] = epoch
        if not after or len(chain) >= MAX_SYNCS:
            break
    # Stopped at MAX_SYNCS short of after, it is still an ancestor: the newest MAX_SYNCS
    # (read as "not an ancestor", the newest alone was posted and the rest dropped unsaid).
    if after and not found_after and not _descends(repo, head, after):
        chain = dict(list(chain.items())[:1])  # After is not an ancestor: the newest only.
    if not chain:
        return []
    groups = changes(repo_path, since=min(chain.values()), until=max(chain.values()))
    return [group for group in groups if group.commit in chain]


def messages(
    repo_path: str | Path,
    groups: Sequence[SyncChanges],
    rules: Sequence[Rule],
    site_url: str | None = None,
) -> list[str]:
    """Return the chat messages for the changes of groups (newest first, as newest_syncs
    gives them) that match the rules, the oldest sync's first: a chat reads downwards."""
    models = category_at(repo_path, "model", datetime.max) if groups else {}
    names = {key: model_name(entity, key) for key, entity in models.items()}
    lines: list[str] = []
    # In the order given, a run posting two syncs put the later above the earlier, under
    # the previous run's message: the chat no longer read in the order things happened.
    for group in reversed(groups):
        matched = _matched(group, rules, names)
        if matched:
            total = len(group.changes)
            head = f"**OpenRouter catalog, sync of {format_epoch(group.epoch)}**"
            lines.append(f"{head}: {len(matched)} of {total} changes match the watch list")
            lines += [f"- {_inert(about.summary)}" for about in matched]
    link = f"Every change: {site_url.rstrip('/')}/changes/index.html" if site_url else None
    return _chunks(lines, link) if lines else []


def post(url: str, texts: Iterable[str], timeout: float = 10.0) -> int:
    """Post each message to the webhook, in order; return how many were posted."""
    # A secret pasted wrong (a stray bracket, a line break, a port that is no number) made
    # urllib and httpx raise their own errors, a traceback. Checked before anything is sent;
    # the message names neither the URL nor httpx's words about it: both may quote the secret.
    try:
        host = urlsplit(url).hostname or "the webhook"
        httpx.URL(url)
    except (httpx.InvalidURL, ValueError):
        raise WebhookError(
            "the webhook URL is not a valid URL; check the secret that holds it; nothing posted"
        ) from None
    # Asynchronous only for its clock: httpx's timeout bounds each read, so a webhook that
    # sent its answer a byte at a time held a post (and the hourly job) for as long as it
    # liked; asyncio.timeout bounds the whole post.
    return asyncio.run(_post_all(url, host, list(texts), timeout))


async def _post_all(url: str, host: str, texts: list[str], timeout: float) -> int:
    """Post each message in order; return how many were posted."""
    posted = 0
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        for text in texts:
            await _post_one(client, url, host, text, timeout)
            posted += 1
    return posted


async def _post_one(
    client: httpx.AsyncClient, url: str, host: str, text: str, timeout: float
) -> None:
    """Post one message within timeout seconds; wait once when the webhook is rate limited."""
    body = {"content": text, "text": text, "allowed_mentions": {"parse": []}}
    for attempt in range(2):
        try:
            async with asyncio.timeout(timeout):
                response = await client.post(url, json=body)
        except (TimeoutError, httpx.TimeoutException):
            message = f"webhook at {host} did not answer in time; nothing more posted"
            raise WebhookError(message) from None
        except (httpx.HTTPError, httpx.InvalidURL, ValueError) as error:
            # ValueError: a host name the IDNA codec refuses (a label over 63 letters) is
            # found only when the connection is made.
            reason = one_line(type(error).__name__)
            message = f"webhook at {host} unreachable ({reason}); nothing more posted"
            raise WebhookError(message) from None
        if response.status_code == 429 and attempt == 0:
            await asyncio.sleep(_retry_after(response))
            continue
        if response.status_code >= 300:
            raise WebhookError(
                f"webhook at {host} answered HTTP {response.status_code}; "
                "check the URL in the secret; nothing more posted"
            )
        return


def _matched(
    group: SyncChanges, rules: Sequence[Rule], names: Mapping[str, str]
) -> list[Described]:
    """Return the meaning of a sync's changes that match a rule, most important first."""
    found = []
    for change in group.changes:
        about = describe_change(change, names)
        model, provider = _subjects(change.category, change.key, change.after or change.before)
        model_names = (*model, *(names[key] for key in model if key in names))
        if any(rule.matches(about, model_names, provider) for rule in rules):
            found.append(about)
    found.sort(key=importance)
    return found


def _subjects(
    category: str, key: str, entity: Mapping[str, Any] | None
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return (model names, provider names) a change is about, for the globs."""
    entity = entity or {}
    if category == "model":
        return (key, model_name(entity, key)), ()
    if category == "provider":
        names = (
            key,
            _text(entity, "all_providers", "displayName"),
            _text(entity, "provider_info", "name"),
        )
        return (), tuple(name for name in names if name)
    model = entity.get("model")
    providers = (
        entity.get("provider_info"),
        entity.get("provider_slug"),
        entity.get("provider_display_name"),
    )
    return (model,) if isinstance(model, str) else (), tuple(
        p for p in providers if isinstance(p, str)
    )


def _chunks(lines: list[str], link: str | None = None) -> list[str]:
    """Return lines joined into messages under MESSAGE_LIMIT, at most MAX_MESSAGES, the link
    to the site's change monitor (when given) ending the last one, cut short or not."""
    chunks: list[str] = []
    current = ""
    every = [*lines, link] if link else lines
    last_room = MESSAGE_LIMIT - MORE_ROOM - len(link or "")
    for index, line in enumerate(every):
        # The last message keeps room for the note of what was left out and the link: cut
        # short, it said "see the site" and dropped the one line that linked it.
        last = len(chunks) == MAX_MESSAGES - 1
        room = last_room if last else MESSAGE_LIMIT
        line = _cut(line, room)
        if current and len(current) + 1 + len(line) > room:
            if last:
                left = sum(1 for rest in every[index:] if rest.startswith("- "))
                more = f"(and {left} more changes: see the site or `archiver changes`)"
                ending = ([more] if left else []) + ([link] if link else [])
                chunks.append("\n".join([current, *ending]))
                return chunks
            chunks.append(current)
            # The line starts the next message: the last one's room if that is the last (cut
            # for a message before, it made the last one, note and link added, over 2,000).
            line = _cut(line, last_room) if len(chunks) == MAX_MESSAGES - 1 else line
            current = ""
        current = f"{current}\n{line}" if current else line
    return [*chunks, current] if current else chunks


def _cut(line: str, room: int) -> str:
    """Return a line cut to `room` characters, an ellipsis ending what was cut."""
    return line if len(line) <= room else line[: room - 1] + "\u2026"


def _inert(text: str) -> str:
    """Return upstream text that cannot mention, link or format anything in Slack or Discord."""
    # A zero-width space after @ defeats @everyone; Slack's controls all start with <.
    text = one_line(text).replace("@", "@\u200b").replace("<", "\u2039")
    return text.replace("](", "]\u200b(")


def _rule(path: Path, data: Mapping[str, Any]) -> Rule:
    """Return one rule of the watch file, or raise NotifyError naming what is wrong."""
    unknown = set(data) - {"models", "providers", "kinds"}
    if unknown:
        raise NotifyError(
            f"{path}: unknown field {sorted(unknown)[0]!r} in a [[watch]] rule; "
            "use models, providers, kinds"
        )
    globs = {name: data.get(name, []) for name in ("models", "providers", "kinds")}
    for name, value in globs.items():
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise NotifyError(f"{path}: {name} must be a list of strings")
    valid = {kind.value for kind in Kind}
    wrong = [kind for kind in globs["kinds"] if kind not in valid]
    if wrong:
        raise NotifyError(
            f"{path}: unknown kind {wrong[0]!r}; kinds are {', '.join(sorted(valid))}"
        )
    return Rule(
        tuple(globs["models"]),
        tuple(globs["providers"]),
        frozenset(Kind(k) for k in globs["kinds"]),
    )


def _any_glob(globs: Sequence[str], names: Sequence[str]) -> bool:
    """Tell whether any name matches any glob, ignoring case (no globs: anything matches)."""
    if not globs:
        return True
    return any(fnmatch.fnmatchcase(name.lower(), glob.lower()) for glob in globs for name in names)


def _descends(repo: pygit2.Repository, head: str, ancestor: str) -> bool:
    """Tell whether head descends from ancestor (False when git does not know it)."""
    try:
        return bool(repo.descendant_of(head, ancestor))
    except (KeyError, ValueError, pygit2.GitError):
        return False


def _epoch(commit: Any) -> datetime | None:
    """Return a commit's Sync-Epoch trailer, or None when it is not a sync."""
    return sync_epoch(commit) if isinstance(commit, pygit2.Commit) else None


def _retry_after(response: httpx.Response) -> float:
    """Return how long a rate-limited webhook asks to wait, bounded."""
    try:
        return min(max(float(response.headers.get("retry-after", "1")), 0.0), RETRY_AFTER_LIMIT)
    except ValueError:
        return 1.0


def _text(entity: Mapping[str, Any], root: str, name: str) -> str:
    """Return a string field of one of an entity's objects, or ""."""
    value = entity.get(root)
    found = value.get(name) if isinstance(value, Mapping) else None
    return found if isinstance(found, str) else ""
