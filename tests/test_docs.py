"""The README and docs/*.md: every relative link reaches a file (and a heading, when it names
one), and the README stays a two-minute read that starts with `make run` and tests with
`make test` (CI calls it)."""
import re
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]

LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
FENCE = re.compile(r"^(```|~~~)")


def lines_of(path, code=False):
    """The page's lines outside fenced code blocks (code: inside them)."""
    lines, fenced = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if FENCE.match(line.strip()):
            fenced = not fenced
        elif fenced == code:
            lines.append(line)
    return lines


def prose(path):
    return lines_of(path)


def links(path):
    return [target for line in prose(path) for target in LINK.findall(line)]


def anchor(heading):
    """GitHub's id of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = heading.strip().lower().replace("`", "")
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(path):
    return {anchor(line.lstrip("#")) for line in prose(path) if re.match(r"#{1,6} ", line)}


def relative_links():
    for page in PAGES:
        for target in links(page):
            if re.match(r"[a-z][a-z0-9+.-]*:", target) or target.startswith("//"):
                continue  # http:, https:, mailto:
            yield page, target


@pytest.mark.parametrize("page, target", list(relative_links()),
                         ids=lambda x: x.name if isinstance(x, Path) else x)
def test_relative_link_reaches_a_file_and_heading(page, target):
    file_part, _, fragment = target.partition("#")
    dest = (page.parent / file_part).resolve() if file_part else page
    assert dest.exists(), f"{page.relative_to(ROOT)}: link to {target}, no such file"
    if fragment and dest.suffix == ".md":
        assert fragment in anchors(dest), f"{page.relative_to(ROOT)}: link to {target}, no such heading"


def test_the_pages_have_links_to_check():
    assert len(list(relative_links())) > 20


def test_readme_is_short_and_starts_with_make_run():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(text.splitlines()) <= 120
    commands = re.findall(r"^make (\w+)", text, flags=re.M)
    assert commands[0] == "run" and "test" in commands


COURSE_FILES = "/path/to/course/files"     # the docs' placeholder: a folder of (empty) course files here
USERS_FILES = {"screen.yaml"}              # a file the page asks the user to write


def snakemake_commands():
    """Every `snakemake` command of a code block in the README and docs, its comment dropped."""
    found = {}
    for page in PAGES:
        for line in lines_of(page, code=True):
            words = shlex.split(line, comments=True)
            if words[:1] == ["snakemake"] and not USERS_FILES & set(words):
                found.setdefault(" ".join(words), words)
    return list(found.values())


@pytest.mark.parametrize("words", snakemake_commands(), ids=" ".join)
def test_every_snakemake_command_in_the_docs_plans_its_jobs(words, tmp_path):
    """Each command, as written, builds its jobs (a dry run in a scratch folder)."""
    import importlib.util

    from conftest import SNAKEMAKE

    if "profiles/slurm" in words and importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        pytest.skip("the SLURM executor plugin is installed by the cluster test, not by make test")
    course = tmp_path / "course"
    course.mkdir()
    for name in ("data1.h5", "data2.h5", "data3.h5"):
        (course / name).touch()
    args = [w.replace(COURSE_FILES, str(course)) for w in words[1:]]
    if "--directory" in args:
        args[args.index("--directory") + 1] = str(tmp_path / "work")
    else:
        args += ["--directory", str(tmp_path / "work")]
    proc = subprocess.run([str(SNAKEMAKE), *args, "-n", "--quiet", "rules"], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "rule" in proc.stdout or "Nothing to be done" in proc.stdout + proc.stderr, proc.stdout[-2000:]


def test_the_docs_have_snakemake_commands_to_check():
    assert len(snakemake_commands()) >= 10
