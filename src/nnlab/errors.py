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


def reason(error):
    """One line: the exception type and the first line of its message."""
    text = str(error).strip().splitlines()[0] if str(error).strip() else ""
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


def beside(error, path):
    """The error's line as shown next to the file `path` it is about: an NnlabError's own line
    without its leading "path: ", any other error's reason()."""
    return str(error).removeprefix(f"{path}: ") if isinstance(error, NnlabError) else reason(error)
