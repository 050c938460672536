"""The recurrent cell diagrams (nnlab.diagrams): well-formed DOT, the right parts, and the
computation nnlab's cells do (the diagrams are evaluated as graphs and compared with
nnlab.nn.recurrent's forward passes)."""
import re
import shutil
import subprocess

import numpy as np
import pytest

from nnlab import diagrams
from nnlab.diagrams import CELL_DIAGRAMS, EQUATIONS, equations, gru_cell, lstm_cell, rnn_unrolled
from nnlab.nn import recurrent

# ------------------------------------------------------------------ a tiny DOT parser

QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"')
ATTR = re.compile(r'(\w+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\]\s]+)')
NODE = re.compile(r'^\s*(\w+)\s*\[(.*)\]\s*;\s*$')
EDGE = re.compile(r'^\s*(\w+)\s*->\s*(\w+)\s*(?:\[(.*)\])?\s*;\s*$')
RANK = re.compile(r'^\s*\{\s*rank\s*=\s*same\s*;((?:\s*\w+\s*;)+)\s*\}\s*$')
KEYWORDS = {"graph", "node", "edge", "digraph", "subgraph", "strict"}


def attrs(text):
    return {k: v[1:-1].replace('\\"', '"') if v.startswith('"') else v
            for k, v in ATTR.findall(text or "")}


def parse(dot):
    """dot -> (graph attributes, {node id: attributes}, [(tail, head, attributes)]), asserting
    the structure: a digraph, balanced braces, every line a statement this module writes,
    every node declared once, every edge's and rank group's ends declared. An edge with
    dir=back is returned the way its arrow points."""
    assert dot.startswith("digraph ")
    depth = 0
    for char in QUOTED.sub('""', dot):
        depth += {"{": 1, "}": -1}.get(char, 0)
        assert depth >= 0, "a } closes nothing"
    assert depth == 0, "unbalanced braces"
    lines = dot.strip().splitlines()
    assert re.fullmatch(r"digraph \w+ \{", lines[0]) and lines[-1] == "}"
    graph, nodes, edges, ranks = {}, {}, [], []
    for line in lines[1:-1]:
        if m := EDGE.match(line):
            a, b, at = m[1], m[2], attrs(m[3])
            edges.append((b, a, at) if at.get("dir") == "back" else (a, b, at))
        elif m := RANK.match(line):
            ranks += re.findall(r"\w+", m[1])
        elif m := NODE.match(line):
            if m[1] in KEYWORDS:
                graph.setdefault(m[1], {}).update(attrs(m[2]))
            else:
                assert m[1] not in nodes, f"node {m[1]} declared twice"
                nodes[m[1]] = attrs(m[2])
        else:
            raise AssertionError(f"not a statement: {line!r}")
    for a, b, _ in edges:
        assert a in nodes and b in nodes, f"edge {a} -> {b}: an end is not a declared node"
    assert set(ranks) <= set(nodes)
    return graph, nodes, edges


def labels(nodes, shape=None):
    return sorted(n["label"] for n in nodes.values() if shape is None or n["shape"] == shape)


def inputs_of(node, edges):
    return [a for a, b, _ in edges if b == node]


def by_label(nodes, label):
    (node,) = [k for k, n in nodes.items() if n["label"] == label]
    return node


ALL = {**{name: d.draw() for name, d in CELL_DIAGRAMS.items()}, "rnn1": rnn_unrolled(1),
       "rnn5": rnn_unrolled(5)}


@pytest.mark.parametrize("name", ALL)
def test_each_diagram_is_well_formed_dot_in_the_shared_style(name):
    graph, nodes, edges = parse(ALL[name])
    assert graph["graph"]["rankdir"] == "LR" and len(edges) >= len(nodes) - 1
    for node in nodes.values():
        assert node["label"] and "<" not in node["label"]          # plain labels, no HTML
        assert node["shape"] in {"box", "circle", "plaintext"}
    ops = {n["label"] for n in nodes.values() if n["shape"] == "circle"}
    assert ops <= {"σ", "tanh", "⊙", "⊕", "1−", "MLP", "softmax"}
    assert {n["fillcolor"] for n in nodes.values() if n["shape"] == "circle"} == {"#fff2cc"}
    assert all(n["style"] == "rounded,filled" for n in nodes.values() if n["shape"] == "box")


@pytest.mark.parametrize("broken, why", [
    ('graph g {\n  a [label="a"];\n}', "not a digraph"),
    ('digraph g {\n  a [label="a"];\n  { rank=same; a; }\n', "unbalanced braces"),
    ('digraph g {\n  a [label="a"];\n  a -> b;\n}', "undeclared node"),
    ('digraph g {\n  a [label="a"];\n  a [label="b"];\n}', "declared twice"),
])
def test_the_parser_rejects_broken_dot(broken, why):
    with pytest.raises(AssertionError):
        parse(broken)


def test_the_lstm_has_its_four_gates_and_both_outputs():
    _, nodes, edges = parse(lstm_cell())
    assert labels(nodes, "box") == ["c_t", "c_{t-1}", "f", "g", "h_t", "h_{t-1}", "i", "o", "x_t"]
    for gate, function in zip("ifog", ["σ", "σ", "σ", "tanh"]):
        (op,) = inputs_of(by_label(nodes, gate), edges)
        assert nodes[op]["label"] == function
    outputs = {nodes[k]["label"] for k, n in nodes.items() if n.get("fillcolor") == "#d9f0d3"}
    assert outputs == {"c_t", "h_t"}
    for k in ("c_{t-1}", "h_{t-1}", "x_t"):
        assert not inputs_of(by_label(nodes, k), edges)
    assert not [b for a, b, _ in edges if a == by_label(nodes, "h_t")]   # nothing reads h_t in the step


def test_the_gru_has_z_r_n_and_no_cell_state():
    _, nodes, edges = parse(gru_cell())
    assert labels(nodes, "box") == ["h_t", "h_{t-1}", "n", "r", "x_t", "z"]
    assert not [n for n in nodes.values() if n["label"].startswith("c")]
    for gate, function in zip("zrn", ["σ", "σ", "tanh"]):
        (op,) = inputs_of(by_label(nodes, gate), edges)
        assert nodes[op]["label"] == function


@pytest.mark.parametrize("steps", [1, 3, 5])
def test_the_rnn_shows_steps_states_then_h_T_into_the_head(steps):
    _, nodes, edges = parse(rnn_unrolled(steps))
    states = [n["label"] for n in nodes.values() if re.fullmatch(r"h_\w+", n["label"])]
    assert states == ["h_0"] + [f"h_{t}" for t in range(1, steps + 1)] + ["h_T"]
    assert labels(nodes).count("tanh") == steps + 1 and labels(nodes).count("⋯") == 1
    weights = sorted(e.get("label", "").strip() for _, _, e in edges if e.get("label"))
    assert weights == ["·Wh"] * (steps + 1) + ["·Wx"] * (steps + 1)      # the same Wx, Wh every step
    mlp, softmax = by_label(nodes, "MLP"), by_label(nodes, "softmax")
    assert inputs_of(mlp, edges) == [by_label(nodes, "h_T")]              # only h_T reaches the head
    assert inputs_of(softmax, edges) == [mlp] and inputs_of(by_label(nodes, "ŷ"), edges) == [softmax]
    with pytest.raises(ValueError):
        rnn_unrolled(0)


# ------------------------------------------------------------------ the diagrams compute the cells

BLOCKS = {"rnn": "h", "lstm": "ifog", "gru": "zrn"}    # nnlab's fused gate blocks, in order


def evaluate(dot, values, Wx, Wh, b, blocks):
    """Run the diagram as a computation graph (the conventions of nnlab.diagrams' docstring) on
    values (input label -> array); returns {label: array} of every box. Wx_zr names the z, r
    blocks of Wx; a box fed by a σ over several blocks takes its own block."""
    _, nodes, edges = parse(dot)
    H = Wh.shape[0]

    def param(name):                                   # "·Wx_zr" -> Wx's z and r columns
        base, _, part = name.strip(" ·").partition("_")
        full = {"Wx": Wx, "Wh": Wh, "b": b}[base]
        return np.concatenate([full[..., blocks.index(p) * H:(blocks.index(p) + 1) * H] for p in part], -1) \
            if part else full

    done = {}

    def value(node):
        if node not in done:
            label, ins = nodes[node]["label"], [(a, e.get("label")) for a, head, e in edges if head == node]
            args = [value(a) @ param(w) if w else value(a) for a, w in ins]
            if not ins:
                v = values[label] if nodes[node]["shape"] == "box" else param(label)
            elif label == "σ":
                v = 1 / (1 + np.exp(-sum(args)))
            elif label == "tanh":
                v = np.tanh(sum(args))
            elif label in ("⊕", "⊙"):
                v = sum(args) if label == "⊕" else np.prod(args, axis=0)
            elif label == "1−":
                v = 1 - args[0]
            elif label in ("MLP", "softmax", "ŷ"):
                v = None                               # the head is not a cell's business
            else:                                      # a box (or the ellipsis): its one input
                (v,), (source, _) = args, ins[0]
                fused = {e["label"].strip(" ·").partition("_")[2] for _, head, e in edges
                         if head == source and e.get("label")}
                if len(fused) == 1 and len(part := fused.pop()) > 1:   # one block of a fused gate op
                    j = part.index(label)
                    v = v[:, j * H:(j + 1) * H]
            done[node] = v
        return done[node]

    return {n["label"]: value(k) for k, n in nodes.items() if n["shape"] == "box"}


def weights(cell, D=3, H=4, seed=0):
    rng = np.random.default_rng(seed)
    G = len(BLOCKS[cell])
    return rng.normal(0, 0.7, (D, G * H)), rng.normal(0, 0.7, (H, G * H)), rng.normal(0, 0.5, G * H), rng


def test_the_lstm_diagram_computes_nnlabs_lstm_step():
    Wx, Wh, b, rng = weights("lstm")
    x, h0, c0 = rng.normal(size=(2, 3)), rng.normal(size=(2, 4)), rng.normal(size=(2, 4))
    out = evaluate(lstm_cell(), {"x_t": x, "h_{t-1}": h0, "c_{t-1}": c0}, Wx, Wh, b, BLOCKS["lstm"])
    h, cache = recurrent.lstm_forward(x[None], Wx, Wh, b, h0=h0, c0=c0)
    np.testing.assert_allclose(out["h_t"], h[0], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out["c_t"], cache[4][1], rtol=1e-10, atol=1e-12)


def test_the_gru_diagram_computes_nnlabs_gru_step():
    Wx, Wh, b, rng = weights("gru")
    x, h0 = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    out = evaluate(gru_cell(), {"x_t": x, "h_{t-1}": h0}, Wx, Wh, b, BLOCKS["gru"])
    h, _ = recurrent.gru_forward(x[None], Wx, Wh, b, h0=h0)
    np.testing.assert_allclose(out["h_t"], h[0], rtol=1e-10, atol=1e-12)


def test_the_unrolled_rnn_computes_nnlabs_rnn_over_steps_plus_one():
    """The ellipsis stands for no steps here: x_1..x_3 then x_T is a 4-step sequence."""
    Wx, Wh, b, rng = weights("rnn")
    xs, h0 = rng.normal(size=(4, 2, 3)), rng.normal(size=(2, 4))
    values = {"h_0": h0, **{f"x_{t}": xs[t - 1] for t in (1, 2, 3)}, "x_T": xs[3]}
    out = evaluate(rnn_unrolled(3), values, Wx, Wh, b, BLOCKS["rnn"])
    h, _ = recurrent.rnn_forward(xs, Wx, Wh, b, h0=h0)
    for t in (1, 2, 3):
        np.testing.assert_allclose(out[f"h_{t}"], h[t - 1], rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(out["h_T"], h[3], rtol=1e-10, atol=1e-12)


def test_evaluation_tells_a_wrong_diagram_apart():
    """The GRU with the old convention swapped in (z = 1 takes the new state) computes something else."""
    Wx, Wh, b, rng = weights("gru")
    x, h0 = rng.normal(size=(2, 3)), rng.normal(size=(2, 4))
    swapped = gru_cell().replace("z -> keep_old", "one_minus -> keep_old").replace(
        "one_minus -> take_new", "z -> take_new")
    assert swapped != gru_cell()
    out = evaluate(swapped, {"x_t": x, "h_{t-1}": h0}, Wx, Wh, b, BLOCKS["gru"])
    assert not np.allclose(out["h_t"], recurrent.gru_forward(x[None], Wx, Wh, b, h0=h0)[0][0])


# ------------------------------------------------------------------ the equations and captions

def as_in_the_code(plain):
    """A plain equation in the notation of nnlab.nn.recurrent's docstrings."""
    return " ".join(plain.replace("σ", "sigmoid").replace("⊙", "*").replace("·", " ").split())


def test_the_equations_are_those_of_the_cells_docstrings():
    docs = {cell: " ".join(recurrent.CELLS[cell][0].__doc__.split()) for cell in ("rnn", "lstm", "gru")}
    for cell, eqs in EQUATIONS.items():
        for eq in eqs:
            code = as_in_the_code(eq)
            if eq.startswith("ŷ"):                     # the head: nnlab.models.recurrent
                continue
            if cell == "lstm" and eq.startswith(("i, f, o", "g ")):
                # the docstring writes the gates on the fused product: "i, f, o = sigmoid(.), ..."
                lhs, fn = code.split(" = ")[0], code.split(" = ")[1].split("(")[0]
                assert f"{lhs} = {fn}(.)" in docs[cell]
                assert re.sub(r"\b([Wb]\w?)_\w+", r"\1", code.split("(", 1)[1][:-1]) in docs[cell]
            else:
                assert code in docs[cell], (cell, code)


def test_latex_and_captions_come_from_the_same_equations():
    for cell, d in CELL_DIAGRAMS.items():
        tex = equations(cell)
        assert len(tex) == len(EQUATIONS[cell]) and all(t.isascii() for t in tex)
        for t in tex:
            assert t.count("{") == t.count("}") and t.count("(") == t.count(")")
        assert "\n" not in d.caption and all(eq in d.caption for eq in EQUATIONS[cell])
        assert d.draw() == {"rnn": rnn_unrolled, "lstm": lstm_cell, "gru": gru_cell}[cell]()
    assert equations("gru")[0] == r"z, r = \sigma(x_t W_x^{zr} + h_{t-1} W_h^{zr} + b^{zr})"
    assert equations("lstm")[-1] == r"h_t = o \odot \tanh(c_t)"
    assert r"\sigma" not in " ".join(equations("rnn"))
    # every op's hover text is one of the cell's equations
    for cell, d in CELL_DIAGRAMS.items():
        tips = {n["tooltip"] for n in parse(d.draw())[1].values() if n["shape"] == "circle"}
        assert tips <= set(EQUATIONS[cell])
    with pytest.raises(KeyError):
        equations("transformer")


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
@pytest.mark.parametrize("name", ALL)
def test_graphviz_accepts_each_diagram(name):
    proc = subprocess.run(["dot", "-Tsvg"], input=ALL[name], capture_output=True, text=True, timeout=30)
    assert proc.returncode == 0 and "<svg" in proc.stdout and not proc.stderr.strip(), proc.stderr
