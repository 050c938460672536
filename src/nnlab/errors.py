"""Errors a user can cause. Each carries one line: what, where, expected, found."""


class NnlabError(Exception):
    """A user-facing error whose message is one self-contained line."""


class DataError(NnlabError):
    """A course file is missing, malformed or inconsistent."""


class ConfigError(NnlabError):
    """A configuration value is invalid."""


class Diverged(NnlabError):
    """Training produced a non-finite loss."""


class WriteError(NnlabError):
    """An output cannot be written: full disk, quota, read-only or forbidden folder."""
