"""Diagrams of the three recurrent cells (RNN, LSTM, GRU), drawn from their equations.

Each function returns Graphviz DOT source; the app shows it with st.graphviz_chart(dot), which
renders DOT in the browser (no Graphviz binary or package needed). The equations are written
once, in EQUATIONS, in the notation of nnlab.nn.recurrent's docstrings; the captions, the
LaTeX of equations(cell) (for st.latex) and the diagrams' hover texts all come from there.

    rnn_unrolled(steps=3)   the vanilla RNN unfolded in time, into the MLP head and softmax
    lstm_cell()             one LSTM step
    gru_cell()              one GRU step
    CELL_DIAGRAMS[cell]     Diagram(title, draw, caption) for cell in "rnn", "lstm", "gru"
    equations(cell)         the cell's equations as LaTeX strings

Conventions, the same in all three (left to right, plain Unicode labels, no HTML):
tensors are boxes (inputs blue, outputs green, gates and other values grey), operations are
small circles, biases are grey text. A σ or tanh circle applies its function to the sum of
its inputs, an edge labelled ·W multiplying its input by the weights W; ⊙ multiplies its
inputs elementwise, ⊕ adds them, 1− subtracts its input from 1; MLP and softmax are the
classifier's head (nnlab.models.recurrent).

Weight names: nnlab keeps each cell's gate blocks fused (Wx, Wh, b); Wx_ifo is the i, f and o
blocks of the LSTM's Wx, Wx_n the n block of the GRU's, and so on.
"""
import re
from dataclasses import dataclass
from typing import Callable

# ------------------------------------------------------------------ the equations, written once

EQUATIONS = {
    "rnn": [
        "h_t = tanh(x_t·Wx + h_{t-1}·Wh + b)",
        "ŷ = softmax(MLP(h_T))",
    ],
    "lstm": [
        "i, f, o = σ(x_t·Wx_ifo + h_{t-1}·Wh_ifo + b_ifo)",
        "g = tanh(x_t·Wx_g + h_{t-1}·Wh_g + b_g)",
        "c_t = f ⊙ c_{t-1} + i ⊙ g",
        "h_t = o ⊙ tanh(c_t)",
    ],
    "gru": [
        "z, r = σ(x_t·Wx_zr + h_{t-1}·Wh_zr + b_zr)",
        "n = tanh(x_t·Wx_n + (r ⊙ h_{t-1})·Wh_n + b_n)",
        "h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}",
    ],
}

# plain text -> LaTeX, in order: the blocks of the fused weights become superscripts
_LATEX = [
    (r"\bW([xh])_(\w+)", r"W_\1^{\2}"),        # Wx_zr -> W_x^{zr}
    (r"\bW([xh])\b", r"W_\1"),                 # Wx -> W_x
    (r"\bb_(\w+)", r"b^{\1}"),                 # b_zr -> b^{zr}
    (r"\btanh\b", r"\\tanh"),
    (r"\b(softmax|MLP)\b", r"\\operatorname{\1}"),
    (r"σ", r"\\sigma"),
    (r"⊙", r"\\odot"),
    (r"ŷ", r"\\hat{y}"),
    (r"·", " "),
]


def latex(plain):
    """One equation of EQUATIONS as LaTeX."""
    for pattern, replacement in _LATEX:
        plain = re.sub(pattern, replacement, plain)
    return plain


def equations(cell):
    """The equations of cell ("rnn", "lstm" or "gru") as short LaTeX strings, for st.latex."""
    return [latex(eq) for eq in EQUATIONS[cell]]


def _eq(cell, left):
    """The plain equation of cell whose left side is `left` (the diagrams' hover texts)."""
    return next(eq for eq in EQUATIONS[cell] if eq.split(" = ")[0] == left)


# ------------------------------------------------------------------ a tiny DOT writer

_STYLE = {
    "input": 'shape=box, style="rounded,filled", fillcolor="#dbe9f6"',
    "output": 'shape=box, style="rounded,filled", fillcolor="#d9f0d3"',
    "value": 'shape=box, style="rounded,filled", fillcolor="#f2f2f2"',
    "op": 'shape=circle, style=filled, fillcolor="#fff2cc", width=0.42, margin=0.02, fontsize=12',
    "bias": 'shape=plaintext, fontcolor="#666666", fontsize=11, width=0.2, height=0.2, margin=0.02',
    "gap": 'shape=plaintext, fontsize=18',
}


def _q(text):
    """A DOT string literal."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Graph:
    """A DOT digraph laid out left to right: add nodes and edges, then str() it."""

    def __init__(self, name):
        self.name, self.lines = name, []

    def node(self, id, label, kind, tip=None, **extra):
        attrs = f"label={_q(label)}, {_STYLE[kind]}" + (f", tooltip={_q(tip)}" if tip else "")
        attrs += "".join(f", {k}={_q(str(v))}" for k, v in extra.items())
        self.lines.append(f"  {id} [{attrs}];")
        return id

    def same_rank(self, *ids):
        """Keep these nodes in one column (edges between them run vertically)."""
        self.lines.append("  { rank=same; " + " ".join(f"{id};" for id in ids) + " }")

    def edge(self, a, b, label=None, **attrs):
        if label:
            attrs["label"] = label
        text = ", ".join(f"{k}={_q(str(v))}" for k, v in attrs.items())
        self.lines.append(f"  {a} -> {b}" + (f" [{text}]" if text else "") + ";")

    def __str__(self):
        head = [
            f"digraph {self.name} {{",
            '  graph [rankdir=LR, nodesep=0.25, ranksep=0.3, fontname="Helvetica"];',
            '  node [fontname="Helvetica", fontsize=13, height=0.36];',
            '  edge [fontname="Helvetica", fontsize=11, fontcolor="#444444", arrowsize=0.6];',
        ]
        return "\n".join(head + self.lines + ["}"]) + "\n"


# ------------------------------------------------------------------ the diagrams

def rnn_unrolled(steps=3):
    """The vanilla RNN unfolded in time: h_0 -> h_1 -> ... -> h_steps, an ellipsis, then step T,
    whose state h_T alone goes into the MLP head and the softmax. Every step uses the same
    Wx, Wh and b."""
    if steps < 1:
        raise ValueError(f"steps must be at least 1, not {steps}")
    g = Graph("rnn")
    step_eq = _eq("rnn", "h_t")
    prev = g.node("h0", "h_0", "input", "the initial state: zeros")
    for t in [str(t) for t in range(1, steps + 1)] + ["T"]:
        if t == "T":                                       # the steps left out
            g.node("gap", "⋯", "gap")
            g.edge(prev, "gap", arrowhead="none")
            prev = "gap"
        b = g.node(f"b{t}", "b", "bias")
        op = g.node(f"tanh{t}", "tanh", "op", step_eq)
        x = g.node(f"x{t}", f"x_{t}", "input")
        g.same_rank(b, op, x)                              # one column: b above, x_t below
        g.edge(b, op)
        # drawn x_t -> tanh: a flat edge's tail goes above; the space keeps the label off the line
        g.edge(op, x, "·Wx ", dir="back")
        g.edge(prev, op, "·Wh", weight=4)
        prev = g.node(f"h{t}", f"h_{t}", "output" if t == "T" else "value")
        g.edge(op, prev, weight=4)
    head_eq = _eq("rnn", "ŷ")
    g.edge(prev, g.node("mlp", "MLP", "op", head_eq, fontsize=10), weight=4)
    g.edge("mlp", g.node("softmax", "softmax", "op", head_eq, fontsize=10), weight=4)
    g.edge("softmax", g.node("y", "ŷ", "output", "class probabilities"), weight=4)
    return str(g)


def lstm_cell():
    """One LSTM step, as nnlab.nn.recurrent.lstm_forward computes it: inputs x_t, h_{t-1},
    c_{t-1}; gates i, f, o (σ) and g (tanh); outputs c_t and h_t."""
    g = Graph("lstm")
    c_prev = g.node("c_prev", "c_{t-1}", "input")
    h_prev = g.node("h_prev", "h_{t-1}", "input")
    x = g.node("x", "x_t", "input")
    # the gates: one σ over the i, f, o blocks, one tanh over the g block
    sig = g.node("sigma", "σ", "op", _eq("lstm", "i, f, o"))
    tanh_g = g.node("tanh_g", "tanh", "op", _eq("lstm", "g"))
    for op, block in ((sig, "ifo"), (tanh_g, "g")):
        g.edge(x, op, f"·Wx_{block}")
        g.edge(h_prev, op, f"·Wh_{block}")
        g.edge(g.node(f"b_{block}", f"b_{block}", "bias"), op)
    for gate in "ifo":
        g.edge(sig, g.node(gate, gate, "value"))
    g.edge(tanh_g, g.node("g", "g", "value"))
    # c_t = f ⊙ c_{t-1} + i ⊙ g
    c_eq = _eq("lstm", "c_t")
    g.edge(c_prev, g.node("forget", "⊙", "op", c_eq), weight=8)
    g.edge("f", "forget")
    g.node("write", "⊙", "op", c_eq)
    g.edge("i", "write")
    g.edge("g", "write")
    g.edge("forget", g.node("add", "⊕", "op", c_eq), weight=8)
    g.edge("write", "add")
    g.edge("add", g.node("c", "c_t", "output", c_eq), weight=8)
    # h_t = o ⊙ tanh(c_t)
    h_eq = _eq("lstm", "h_t")
    g.edge("c", g.node("tanh_c", "tanh", "op", h_eq))
    g.edge("tanh_c", g.node("read", "⊙", "op", h_eq))
    g.edge("o", "read")
    g.edge("read", g.node("h", "h_t", "output", h_eq))
    return str(g)


def gru_cell():
    """One GRU step, as nnlab.nn.recurrent.gru_forward computes it: inputs x_t, h_{t-1};
    gates z, r (σ), candidate n (tanh); output h_t (z = 1 keeps the old state). No cell state."""
    g = Graph("gru")
    h_prev = g.node("h_prev", "h_{t-1}", "input")
    x = g.node("x", "x_t", "input")
    # z, r = σ(...): one σ over the z, r blocks
    zr_eq = _eq("gru", "z, r")
    sig = g.node("sigma", "σ", "op", zr_eq)
    g.edge(x, sig, "·Wx_zr")
    g.edge(h_prev, sig, "·Wh_zr")
    g.edge(g.node("b_zr", "b_zr", "bias"), sig)
    g.edge(sig, g.node("z", "z", "value"))
    g.edge(sig, g.node("r", "r", "value"))
    # n = tanh(x_t·Wx_n + (r ⊙ h_{t-1})·Wh_n + b_n)
    n_eq = _eq("gru", "n")
    g.edge("r", g.node("reset", "⊙", "op", n_eq))
    g.edge(h_prev, "reset")
    tanh_n = g.node("tanh_n", "tanh", "op", n_eq)
    g.edge("reset", tanh_n, "·Wh_n")
    g.edge(x, tanh_n, "·Wx_n")
    g.edge(g.node("b_n", "b_n", "bias"), tanh_n)
    g.edge(tanh_n, g.node("n", "n", "value"))
    # h_t = (1 - z) ⊙ n + z ⊙ h_{t-1}
    h_eq = _eq("gru", "h_t")
    g.edge("z", g.node("one_minus", "1−", "op", h_eq))
    g.edge("one_minus", g.node("take_new", "⊙", "op", h_eq))
    g.edge("n", "take_new")
    g.edge("z", g.node("keep_old", "⊙", "op", h_eq))
    g.edge(h_prev, "keep_old")
    g.edge("take_new", g.node("add", "⊕", "op", h_eq))
    g.edge("keep_old", "add")
    g.edge("add", g.node("h", "h_t", "output", h_eq))
    return str(g)


# ------------------------------------------------------------------ by cell name

@dataclass(frozen=True)
class Diagram:
    title: str
    draw: Callable[[], str]       # () -> DOT source
    caption: str                  # one line: the equations in plain text


def _caption(cell, lead):
    return f"{lead}: " + "; ".join(EQUATIONS[cell]) + "."


CELL_DIAGRAMS = {
    "rnn": Diagram("Vanilla RNN, unrolled", rnn_unrolled,
                   _caption("rnn", "Vanilla RNN unrolled in time, the same Wx, Wh, b at every step "
                                   "and only the last state h_T read by the classifier")),
    "lstm": Diagram("LSTM cell", lstm_cell, _caption("lstm", "One LSTM step")),
    "gru": Diagram("GRU cell", gru_cell,
                   _caption("gru", "One GRU step (z = 1 keeps the old state; no cell state)")),
}
