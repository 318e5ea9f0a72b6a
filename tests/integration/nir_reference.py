"""An independent reference for nmsim's NIR import: reads a NIR graph with h5py and simulates it with
NumPy/SciPy under the semantics docs/nir.md states, written from the NIR specification rather than
from nmsim's code:

- the input u of a neuron node in step k is what its weight paths deliver from the spikes (0/1) their
  sources emitted in step k - 1 (Input events of step k - 1 included), plus the paths' biases;
  a Delay node adds round(delay / dt) steps;
- u is held over the step and the node's linear ODE is integrated exactly: the zero-order-hold
  discretisation exp([[A, B], [0, 0]] h) of the state (I, v) computed with scipy.linalg.expm;
- v > v_threshold fires, then v <- v_reset (or v - v_threshold with reset="subtract");
- convolutions and pooling by their gather definition (PyTorch's): out[o, y, x] =
  sum W[o, c, i, j] in_padded[c, y*s + i*d, x*s + j*d].

Usage as a module: simulate(path, events, dt, steps, time_unit) -> {node: spikes[steps, n]}, states.
"""
import numpy as np
import h5py
from scipy.linalg import expm

MS = {"s": 1000.0, "ms": 1.0, "us": 1e-3}


def read_graph(path):
    def node(g):
        d = {}
        for k, v in g.items():
            if isinstance(v, h5py.Group):
                continue
            x = v[()]
            d[k] = x.decode() if isinstance(x, bytes) else x
        if d["type"] == "NIRGraph":
            d["nodes"] = {k: node(v) for k, v in g["nodes"].items()}
            d["edges"] = [(a.decode(), b.decode()) for a, b in g["edges"][()]]
        return d

    with h5py.File(path, "r") as f:
        return node(f["node"])


def flat(a):
    return np.asarray(a, dtype=np.float64).reshape(-1)


def pair(v):
    v = np.atleast_1d(np.asarray(v)).astype(int)
    return (v[0], v[0]) if v.size == 1 else (v[0], v[1])


def conv2d(x, w, stride, pad, dil, groups):
    """PyTorch Conv2d by its definition (gather), x: (C, H, W), w: (O, C/groups, KH, KW)."""
    c_in, h, wd = x.shape
    o, cpg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, pad, dil
    xp = np.zeros((c_in, h + 2 * ph, wd + 2 * pw))
    xp[:, ph:ph + h, pw:pw + wd] = x
    oh = (h + 2 * ph - dh * (kh - 1) - 1) // sh + 1
    ow = (wd + 2 * pw - dw * (kw - 1) - 1) // sw + 1
    out = np.zeros((o, oh, ow))
    opg = o // groups
    for co in range(o):
        g = co // opg
        for i in range(kh):
            for j in range(kw):
                patch = xp[g * cpg:(g + 1) * cpg, i * dh: i * dh + sh * (oh - 1) + 1: sh,
                           j * dw: j * dw + sw * (ow - 1) + 1: sw]
                out[co] += np.tensordot(w[co, :, i, j], patch, axes=(0, 0))
    return out


def pool2d(x, k, s, p, avg):
    c = x.shape[0]
    w = np.zeros((c, 1, k[0], k[1]))
    w[:] = 1.0 / (k[0] * k[1]) if avg else 1.0
    return conv2d(x, w, s, p, (1, 1), c)


class Neuron:
    """A neuron node: state (I, v), ZOH propagator from expm."""

    def __init__(self, nd, dt_u, reset):
        t = nd["type"]
        self.type = t
        shape = np.shape(nd.get("v_threshold", nd.get("tau", nd.get("tau_mem", nd.get("r")))))
        n = int(np.prod(shape)) if shape else 1
        self.n = n
        get = lambda k, d: np.broadcast_to(flat(nd[k]) if k in nd else np.array([d]), (n,)).astype(float)
        self.spiking = t in ("LIF", "CubaLIF", "IF")
        self.thr = get("v_threshold", 1.0)
        self.v_reset = get("v_reset", 0.0)
        self.reset = reset
        self.v = np.zeros(n)
        self.i = np.zeros(n)
        # Per neuron: x' = P x + q u + c, x = (I, v)
        self.P = np.zeros((n, 2, 2))
        self.q = np.zeros((n, 2))
        self.c = np.zeros((n, 2))
        r = get("r", 1.0)
        for k in range(n):
            if t in ("LIF", "LI"):
                tau, vl = get("tau", 0)[k], get("v_leak", 0)[k]
                # I = u (no synapse): state (dummy, v)
                A = np.array([[0, 0], [0, -1 / tau]])
                B = np.array([0, r[k] / tau])
                C = np.array([0, vl / tau])
                self.v[k] = vl
                syn = False
            elif t in ("CubaLIF", "CubaLI"):
                ts, tm, vl, w = get("tau_syn", 0)[k], get("tau_mem", 0)[k], get("v_leak", 0)[k], get("w_in", 1)[k]
                A = np.array([[-1 / ts, 0], [r[k] / tm, -1 / tm]])
                B = np.array([w / ts, 0])
                C = np.array([0, vl / tm])
                self.v[k] = vl
                syn = True
            else:  # IF, I
                A = np.zeros((2, 2))
                B = np.array([0, r[k]])
                C = np.zeros(2)
                syn = False
            M = np.zeros((4, 4))
            M[:2, :2] = A
            M[:2, 2] = B
            M[:2, 3] = C
            E = expm(M * dt_u)
            self.P[k], self.q[k], self.c[k] = E[:2, :2], E[:2, 2], E[:2, 3]
        self.syn = t in ("CubaLIF", "CubaLI")

    def step(self, u):
        x = np.stack([self.i, self.v], axis=1)
        x = np.einsum("nij,nj->ni", self.P, x) + self.q * u[:, None] + self.c
        self.i, self.v = x[:, 0], x[:, 1]
        if not self.syn:
            self.i = u.copy()
        z = np.zeros(self.n, dtype=bool)
        if self.spiking:
            z = self.v > self.thr
            if self.reset == "subtract":
                self.v = np.where(z, self.v - self.thr, self.v)
            else:
                self.v = np.where(z, self.v_reset, self.v)
        return z


def simulate(path, events, dt, steps, time_unit="s", reset="v_reset"):
    """events: {input_node: [(step, index), ...]}. Returns ({node: bool[steps, n]}, {node: v[steps, n]})."""
    g = read_graph(path)
    nodes, edges = g["nodes"], g["edges"]
    preds = {k: [a for a, b in edges if b == k] for k in nodes}
    dt_u = dt  # ODEs in the graph's own time unit
    neurons = {k: Neuron(v, dt_u, reset) for k, v in nodes.items()
               if v["type"] in ("LIF", "CubaLIF", "IF", "LI", "CubaLI", "I")}
    prev = {}  # source node -> last step's output (flat)
    for k, v in nodes.items():
        if v["type"] == "Input":
            prev[k] = np.zeros(int(np.prod(v["shape"])))
    for k, nrn in neurons.items():
        prev[k] = np.zeros(nrn.n)
    shapes = {k: tuple(np.atleast_1d(v["shape"]).astype(int)) for k, v in nodes.items() if v["type"] == "Input"}

    def value(k):
        """The signal node k outputs this step (sources: last step's spikes), with its shape."""
        nd = nodes[k]
        t = nd["type"]
        if t == "Input":
            return prev[k].reshape(shapes[k])
        if k in neurons:
            shp = np.shape(nd.get("v_threshold", nd.get("tau", nd.get("tau_mem", nd.get("r")))))
            return prev[k].reshape(shp if shp else (1,))
        x = sum(value(p) for p in preds[k])
        if t in ("Affine", "Linear"):
            y = nd["weight"] @ x.reshape(-1)
            return y + nd["bias"] if t == "Affine" else y
        if t == "Conv2d":
            y = conv2d(x, nd["weight"], pair(nd["stride"]), pair(nd["padding"]), pair(nd["dilation"]),
                       int(nd["groups"]))
            return y + np.asarray(nd["bias"]).reshape(-1, 1, 1)
        if t in ("SumPool2d", "AvgPool2d"):
            return pool2d(x, pair(nd["kernel_size"]), pair(nd["stride"]), pair(nd["padding"]), t == "AvgPool2d")
        if t == "Flatten":
            return x.reshape(-1)
        if t == "Scale":
            return x * nd["scale"]
        raise ValueError("reference: unsupported node " + t)

    spikes = {k: np.zeros((steps, n.n), dtype=bool) for k, n in neurons.items()}
    volts = {k: np.zeros((steps, n.n)) for k, n in neurons.items()}
    ev = {k: {} for k in events}
    for k, lst in events.items():
        for s, i in lst:
            ev[k].setdefault(s, []).append(i)
    for s in range(steps):
        u = {k: np.asarray(sum(value(p) for p in preds[k]), dtype=float).reshape(-1) for k in neurons}
        for k, nrn in neurons.items():
            z = nrn.step(u[k])
            spikes[k][s] = z
            volts[k][s] = nrn.v
        for k in neurons:
            prev[k] = spikes[k][s].astype(float)
        for k in prev:
            if k in ev:
                prev[k] = np.zeros_like(prev[k])
                for i in ev[k].get(s, []):
                    prev[k][i] += 1.0
    return spikes, volts


# ---- helpers shared by the tests and scripts/bench/nir.sh ------------------------------------------

# The NIR paper's LIF input (paper/01_lif/lif_exact_sim.py): one value per 1 ms, each followed by 9 zeros
# at dt = 0.1 ms.
PAPER_LIF_INPUT = [0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 1,
                   1, 0, 0, 1, 0, 1, 0, 0, 1, 1, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                   0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                   0, 0, 0, 0, 0]


def paper_lif_steps():
    """The paper's input per 0.1 ms step."""
    return [x for t in PAPER_LIF_INPUT for x in [t] + [0] * 9]


def write_paper_lif_csv(path):
    with open(path, "w") as f:
        f.write("time,node,index,value\n")
        for k, v in enumerate(PAPER_LIF_INPUT):
            if v:
                f.write(f"{k * 10 * 1e-4!r},input,0,1\n")


def events_from_csv(path, dt):
    """{input node: [(step, index), ...]} from a time,node,index,value file."""
    import csv
    ev = {}
    for row in csv.DictReader(open(path)):
        ev.setdefault(row["node"], []).append((round(float(row["time"]) / dt), int(row["index"])))
    return ev


def nmsim_spikes(path, pop, n, steps, dt_ms):
    """bool[steps, n] from nmsim's SONATA output: a spike stamped t was emitted in step t/dt - 1."""
    z = np.zeros((steps, n), dtype=bool)
    f = h5py.File(path, "r")
    for t, i in zip(f[f"/spikes/{pop}/timestamps"][:], f[f"/spikes/{pop}/node_ids"][:]):
        s = round(t / dt_ms) - 1
        if s < steps:
            z[s, i] = True
    return z
