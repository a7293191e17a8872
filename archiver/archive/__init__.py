"""Archive: the git repository of canonical JSON files, one commit per sync.

Owns what a sync writes and removes (`plan`, with the removal guard and its window in
`removal_window`), the repository itself (`store`, its work tree checks in `worktree`, its
tree edits in `trees`, git's own lock files an interrupted sync left in `git_locks`, the
one-sync-at-a-time `lock`, which also guards an output folder), the sync log written as
commit trailers (`synclog`), pushing to a remote (`remote`, with GitHub's refusals
explained in `push_refusal`), bringing upstream's code into a fork while keeping its data
(`fork`), and the zero-data-retention ledger file (`zdr_ledger`).

May import: the shared modules, `archiver.upstream` (the entities it archives) and itself.
Never telemetry, history, capture, site or cli.
"""
