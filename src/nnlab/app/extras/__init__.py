"""Each task's own parts of its page (nnlab.app.task_page), one module per task of nnlab.tasks:
SECTIONS [(title, render(page))] after the common ones; optionally run(page, name, seed) under
one seed's figures, groups(page, names) {title: variants} for side-by-side curves,
preferred(page) the variant shown first, DRAWN the run figures it draws itself."""
