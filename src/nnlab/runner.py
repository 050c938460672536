"""What every workflow script does around its library call: log to the rule's log file,
pin BLAS threads to the rule's threads, turn subnormal arithmetic off (flush-to-zero and
denormals-are-zero, nnlab.nn.denormals: vanishing gradients would otherwise slow recurrent
training up to 12x), and turn user errors into one line and exit 1.

The log's lines are also the job's state: an attempt starts with `start_line()`, and a
failed attempt ends with one `error_line()`. `attempt()` reads them back (the app's only
way of telling failed jobs), so the format is defined here once, for both sides.
"""
import sys
import time
import traceback

from threadpoolctl import threadpool_limits

from nnlab.errors import NnlabError
from nnlab.nn.denormals import flush_denormals

STAMP = "%H:%M:%S "            # every log line starts with the time: 'HH:MM:SS '
STAMP_WIDTH = 9
START = "rule {rule}: threads {threads}"
ERROR = "error: "
NO_FLUSH = ("note: subnormal numbers are not flushed to zero on this platform (nnlab.nn.denormals): "
            "training with vanishing gradients may run several times slower")


def start_line(rule, threads):
    return START.format(rule=rule, threads=threads)


def error_line(message):
    """One line, whatever the message holds."""
    return ERROR + " ".join(str(message).split())


def _message(line):
    """A log line without its time stamp."""
    head = line[:STAMP_WIDTH]
    return line[STAMP_WIDTH:] if len(head) == STAMP_WIDTH and head[2] == head[5] == ":" else line


def attempt(log_text):
    """(the latest attempt's lines, without time stamps; its error message or None).

    Logs are appended across reruns: only the lines from the last start line on count. A job
    killed outright (kill -9) leaves no error line."""
    lines = [_message(line) for line in log_text.splitlines()]
    prefix = START.split("{", 1)[0]
    starts = [i for i, line in enumerate(lines) if line.startswith(prefix) and ": threads " in line]
    lines = lines[starts[-1]:] if starts else lines
    errors = [line[len(ERROR):] for line in lines if line.startswith(ERROR)]
    return lines, (errors[-1] if errors else None)


class Log:
    """Writes timestamped lines to a log file (flushed, so a running job can be followed)."""

    def __init__(self, path=None, echo=False):
        self.file = open(path, "a") if path else None
        self.echo = echo

    def __call__(self, message):
        """Write one line; returns whether it went to stderr (echo, no log file, or a log file
        that can no longer be written, e.g. on a full disk: then stderr from there on)."""
        line = time.strftime(STAMP) + message
        if self.file:
            try:
                self.file.write(line + "\n")
                self.file.flush()
            except OSError:
                self.file = None
        if self.echo or not self.file:
            print(line, file=sys.stderr, flush=True)
            return True
        return False

    def close(self):
        if self.file:
            try:
                self.file.close()
            except OSError:
                pass


def run(snakemake, job):
    """Call job(log) for a Snakemake script with threads pinned and subnormal numbers flushed to
    zero (in this thread and BLAS's; a note in the log where the platform cannot); user errors
    exit 1 with one line."""
    log = Log(snakemake.log[0] if snakemake.log else None)
    log(start_line(snakemake.rule, snakemake.threads))
    try:
        with threadpool_limits(limits=snakemake.threads), flush_denormals() as flushing:
            if not flushing:
                log(NO_FLUSH)
            job(log)
    except NnlabError as error:
        if not log(error_line(error)):
            print(error_line(error), file=sys.stderr, flush=True)
        sys.exit(1)
    except Exception as error:
        log(error_line(f"unexpected failure: {type(error).__name__}: {error}") + "\n" + traceback.format_exc())
        raise
    finally:
        log.close()

