"""Each task's own sections of its page: SECTIONS, optionally run, groups, preferred, DRAWN (docs/app.md)."""
