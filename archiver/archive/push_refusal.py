"""Why GitHub refused a push, and what the repository's owner does about it, in one line.

A refusal by the server (a hook, a rule) is not a race: pushing again cannot help, and a
traceback or git's raw report leaves a forker guessing. GitHub words its refusals with
stable codes (GH006: classic branch protection; GH013: repository rulesets) and a fixed
sentence for a token that may not touch workflow files; each maps to its fix here.

The workflow's own token (github-actions[bot]) cannot go on the bypass list of a personal
repository's rules (GitHub refuses that app there). The fixes: lift the rule for the branch,
or push with the token of a person who may bypass it (a fine-grained personal access token
saved as the ARCHIVER_PUSH_TOKEN secret, which the workflows use in place of their own).
"""

from __future__ import annotations

from dataclasses import dataclass

TOKEN_SECRET = "ARCHIVER_PUSH_TOKEN"


@dataclass(frozen=True)
class Refusal:
    """One kind of refusal: the words that identify it, its cause and its fix."""

    markers: tuple[str, ...]
    cause: str
    fix: str


_GUIDE = "README: When GitHub refuses the push"
_TOKEN = "fine-grained personal access token (this repository only, {access})"
_CONTENTS = _TOKEN.format(access="Contents: read and write")
REFUSALS = (
    # First: a rule or a protection that wants signed commits is GH006 or GH013 too, and no
    # token helps there. The archiver's commits are libgit2's, never signed (commit.gpgsign
    # is the git CLI's setting).
    Refusal(
        ("must have verified signatures", "must be signed"),
        "a rule on {branch} requires signed commits; the archiver's commits are not signed",
        "untick 'Require signed commits' for {branch} in Settings > Branches (or in its "
        f"ruleset, Settings > Rules > Rulesets): the archiver cannot sign them ({_GUIDE})",
    ),
    Refusal(
        ("GH006", "protected branch hook declined"),
        "a branch protection rule on {branch} (GH006) refuses the workflow's token",
        "in Settings > Branches edit the rule for {branch}: untick 'Require a pull request "
        "before merging' and 'Restrict who can push'; or keep them, leave 'Do not allow "
        f"bypassing the above settings' unticked and save a repository admin's {_CONTENTS} "
        f"as the secret {TOKEN_SECRET} ({_GUIDE})",
    ),
    Refusal(
        ("GH013", "repository rule violations"),
        "a repository ruleset on {branch} (GH013) refuses the workflow's token",
        "in Settings > Rules > Rulesets untick 'Restrict updates' and 'Require a pull "
        "request before merging' or leave {branch} out of the ruleset; or keep it, add "
        f"'Repository admin' to its bypass list and save an admin's {_CONTENTS} as the "
        f"secret {TOKEN_SECRET} ({_GUIDE})",
    ),
    Refusal(
        ("without `workflows` permission", "without `workflow` scope"),
        "the push changes .github/workflows/, which GitHub never lets a workflow's own token do",
        f"save a {_TOKEN.format(access='Contents and Workflows: read and write')} as the "
        f"secret {TOKEN_SECRET}, then run the workflow again ({_GUIDE})",
    ),
    Refusal(
        ("Permission to", "The requested URL returned error: 403"),
        "the token may not write to this repository",
        f"if the secret {TOKEN_SECRET} is set, give its token Contents: read and write on "
        "this repository; otherwise the job needs `permissions: contents: write`",
    ),
)


# A refused push that names one of these lost a race for the ref lock: worth another round.
TRANSIENT_PUSH_ERRORS = ("cannot lock ref", "failed to update ref", "incorrect old value")


def explain_refusal(git_output: str, branch: str) -> str | None:
    """Return 'cause; fix: ...' for a push GitHub refused by rule, or None for anything else."""
    for refusal in REFUSALS:
        if any(marker in git_output for marker in refusal.markers):
            cause = refusal.cause.format(branch=branch)
            return f"{cause}; fix: {refusal.fix.format(branch=branch)}"
    return None
