"""The report: each claim of the original report with its verdict, the numbers behind it and nnlab's figure
for it (summary/claims.csv and summary/claims/*.png, written by the workflow's claims target; docs/report.md)."""
from pathlib import Path

import pandas as pd
import streamlit as st

from nnlab import claims, tasks, wording
from nnlab.app import ui
from nnlab.app.extras import recurrent

NEEDED = ["claim", "question", "statement", "report_value", "measure", "kind", "rule", "test", "verdict", "answer",
          *(f"{r}_{k}" for r in claims.RECIPES for k in ("value", "low", "high", "seeds", "p_holm", "verdict"))]
BADGE = {claims.REPRODUCED: ("green", ":material/check_circle:"),
         claims.NOT_REPRODUCED: ("red", ":material/cancel:"),
         claims.NOT_DISTINGUISHABLE: ("orange", ":material/help:"),
         claims.SHOWN: ("blue", ":material/image:"),
         claims.NOT_TESTED: ("gray", ":material/hourglass_empty:")}
RECIPE_LABEL = {"course": "course", "tuned": "tuned"}      # the recipes' names: short, the table's first column
COMMAND = "snakemake --cores 2 claims --config replicates=5"


def badge(verdict):
    colour, icon = BADGE.get(verdict, ("gray", ""))
    return f":{colour}-badge[{icon} {ui.md(verdict)}]"


def value_cell(row, recipe):
    """nnlab's value under one recipe, with its 95% interval, as the table's cell."""
    seeds = int(row[f"{recipe}_seeds"]) if pd.notna(row[f"{recipe}_seeds"]) else 0
    if row["rule"] == claims.CHOICE:
        chosen = row.get(f"{recipe}_chosen")
        return chosen if isinstance(chosen, str) and chosen else "–"
    if row["rule"] == claims.SHOWN or not seeds:
        return "–"
    metric = tasks.Metric(str(row["claim"]), "", str(row["kind"]))      # the kind claims.csv says it is measured in
    value, low, high = row[f"{recipe}_value"], row[f"{recipe}_low"], row[f"{recipe}_high"]
    if row["rule"] == claims.RANGE:
        text = wording.level(metric, value)
        return f"{text} ({wording.level(metric, low)} to {wording.level(metric, high)})" if pd.notna(low) else text
    text = wording.signed(wording.difference(metric, value), ".3g") + (" points" if metric.is_accuracy else "")
    return f"{text} ({wording.difference_span(metric, low, high)})" if pd.notna(low) else text


def one_claim(row):
    """A claim: its verdict and statement, nnlab's numbers under both recipes, the test and the answer."""
    st.markdown(f"**{ui.md(row['claim'])}** {badge(row['verdict'])} {ui.md(row['statement'])}")
    rows = [{"": "the report", "value": str(row["report_value"]) if pd.notna(row["report_value"]) else "–",
             "verdict": ""}]
    rows += [{"": RECIPE_LABEL[r], "value": value_cell(row, r), "verdict": str(row[f"{r}_verdict"])}
             for r in claims.RECIPES]
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key=f"claim-{row['claim']}",
                 column_config={"": st.column_config.TextColumn(width="small"),
                                "value": st.column_config.TextColumn("value (95% CI)", width="medium"),
                                "verdict": st.column_config.TextColumn(width="medium")})
    st.caption(f"Measured: {ui.md(row['measure'])}. Test: {ui.md(row['test'])}. **course**: nnlab under the "
               "report's recipe (results/report/); **tuned**: nnlab's baseline.")
    st.markdown(ui.md(row["answer"]))
    with st.expander("Why this measurement"):
        st.markdown(ui.md(row.get("why", "")))
        if isinstance(row.get("note"), str) and row["note"]:
            st.caption(ui.md(row["note"]))


def figure(name):
    ui.image(tasks.claims_figure(ui.results(), name), what=f"figure {name}")


def report_step_norms():
    recurrent.step_norms({"report's recipe": tasks.report_dir(ui.results()), "nnlab tuned": ui.results()})


EXTRAS = {3: [("The cells, from their equations", recurrent.cells),
              ("The backward signal per time step", report_step_norms)]}


def question(which, table):
    rows = table[table["question"] == which]
    counts = rows["verdict"].value_counts()
    st.caption(" · ".join(f"{badge(v)} {counts[v]}" for v in claims.VERDICTS if v in counts))
    for title, render in EXTRAS.get(which, []):
        st.subheader(title)
        with ui.guard(title):
            render()
    shown = set()
    for row in rows.to_dict("records"):
        st.divider()
        left, right = st.columns(2)
        with left:
            one_claim(row)
        with right:
            name = str(row.get("figure") or "")
            if name in claims.FIGURES and name not in shown:
                figure(name)
                shown.add(name)
            elif name in shown:
                st.caption(f"Figure: {ui.md(name)}, shown above.")


def overview(table, path):
    counts = table["verdict"].value_counts()
    for column, verdict in zip(st.columns(len(claims.VERDICTS)), claims.VERDICTS):
        column.metric(verdict, int(counts.get(verdict, 0)))
    changed = table["recipe_changed"].dropna().astype(str) if "recipe_changed" in table else pd.Series(dtype=str)
    if changed.str.strip().ne("").any():
        st.warning(f"The report's recipe was changed by the config's `report.set` "
                   f"({ui.md(changed.dropna().iloc[0])}): these verdicts are a trial, not the report's.",
                   icon=":material/science:")
    ui.whole_table("Every claim", path, table, "claims-table")


if ui.intro("The report", "The original report's claims, each tested under the report's own recipe (results/report/) and, "
            "beside it, under nnlab's tuned recipe: the verdict, nnlab's numbers with their 95% intervals and the "
            "figure behind them (docs/report.md)."):
    path = tasks.claims_file(ui.results())
    if not Path(path).exists():
        st.info(f"No claims tested yet: run `{COMMAND}` (the default run trains none of the report's recipe), "
                "then reload.", icon=ui.WAIT)
        st.subheader("The cells, from their equations")
        recurrent.cells()
    else:
        table = ui.table_file(path, NEEDED, "claims")
        if table is not None:
            table = table.astype({"claim": str, "verdict": str})
            overview(table, path)
            for which, title in claims.QUESTIONS.items():
                ui.section(f"Question {which}: {title}", question, which, table)
