"""The fault matrix of issue 11: one module per group of faults, one test per case.

Each test starts from a real archive of a small real capture (tests/captures), applies one
fault, and asserts the exact archive state afterwards: files byte-identical or correctly
changed, commits, exit code, a one-line message, `git fsck` clean.
"""
