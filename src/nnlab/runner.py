"""What every workflow script does around its library call: log to the rule's log file,
pin BLAS threads to the rule's threads, and turn user errors into one line and exit 1."""
import sys
import time
import traceback

from threadpoolctl import threadpool_limits

from nnlab.errors import NnlabError


class Log:
    """Writes timestamped lines to a log file (flushed, so a running job can be followed)."""

    def __init__(self, path=None, echo=False):
        self.file = open(path, "a") if path else None
        self.echo = echo

    def __call__(self, message):
        line = f"{time.strftime('%H:%M:%S')} {message}"
        if self.file:
            self.file.write(line + "\n")
            self.file.flush()
        if self.echo or not self.file:
            print(line, file=sys.stderr, flush=True)

    def close(self):
        if self.file:
            self.file.close()


def run(snakemake, job):
    """Call job(log) for a Snakemake script with threads pinned; user errors exit 1 with one line."""
    log = Log(snakemake.log[0] if snakemake.log else None)
    log(f"rule {snakemake.rule}: threads {snakemake.threads}")
    try:
        with threadpool_limits(limits=snakemake.threads):
            job(log)
    except NnlabError as error:
        log(f"error: {error}")
        print(f"error: {error}", file=sys.stderr, flush=True)
        sys.exit(1)
    except Exception:
        log("error: unexpected failure\n" + traceback.format_exc())
        raise
    finally:
        log.close()


def optional_input(value):
    """A named input that an input function may leave empty: its path, or None."""
    if isinstance(value, str):
        return value
    return value[0] if len(value) else None
