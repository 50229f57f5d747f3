"""JAX in float64 (x64 enabled, CPU): every node's data and grad, intermediates included.

How a tape is replayed:

- Every op is JAX's own function in its natural spelling (``a + b``, ``a / b``, ``-a``, ``a ** b``,
  ``a ** k`` with ``k`` a Python float, ``jax.nn.relu``, ``jnp.tanh``, ``jnp.exp``, ``jnp.log``,
  ``jax.nn.sigmoid``, ``jnp.maximum``, ``jnp.minimum``), so what is measured is JAX's convention,
  data and gradient (its ``jvp``/``vjp`` rules), never ours.
- Intermediate gradients: JAX has no ``retain_grad``; each op node gets a perturbation input
  ``eps_i`` (``node_i = op(...) + eps_i``) and its gradient is the gradient with respect to ``eps_i``.
  The perturbation is ``-0.0``, the IEEE identity of addition: ``x + (-0.0)`` is ``x`` for every
  ``x``, ``-0.0`` included (``+0.0`` would turn ``-0.0`` into ``+0.0``), so no node's data changes.
  ``eps`` is an argument of the compiled function, so XLA cannot fold it away.
- Speed: a graph is replayed node by node through one jit-compiled function per structure (ops and
  wiring; leaf values and exponents are arguments), so the edge cases that share a structure and the
  training steps compile once. Always compiled: eager JAX rounds some results differently (tanh's
  gradient fused or not), and a graph's answer must not depend on what ran before it. Graphs of 5,000 nodes or more
  are replayed level by level: nodes grouped by depth and op, each group one vectorised JAX op over a
  gather from the buffer of node values (one compiled call per group), so the 66,000-node MLP takes
  seconds; its gradients can differ from the node-by-node replay by an ulp (sums in another order).
  A large graph deeper than MAX_LEVELS levels (the 100,000-op chain, the 50,000-leaf sum) is SKIPPED:
  one level costs about a millisecond.
"""

import importlib.util
import os

from .base import ALL_OPS, OPERATORS, Engine, EngineUnavailable, Replay, Unsupported

JAX_MISSING = ("jax is not installed in this Python; run `pip install 'micrograd_ref[jax]'` "
               "(or `make test`, which installs it in .venv)")
DIFFERENCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "jax_differences.toml")
PERTURBATION = -0.0  # the identity of IEEE addition: x + (-0.0) == x bit for bit, signed zeros included


def _import_jax():
    """jax and jax.numpy with x64 enabled (before any array is made); EngineUnavailable when missing."""
    if importlib.util.find_spec("jax") is None:
        raise EngineUnavailable(JAX_MISSING)
    try:
        import jax
        import jax.numpy as jnp
    except ImportError as exc:
        raise EngineUnavailable(f"jax cannot be imported ({exc}); {JAX_MISSING.split('; ', 1)[1]}") from None
    jax.config.update("jax_enable_x64", True)
    jax.config.update("jax_platforms", "cpu")
    return jax, jnp


def op_functions(jax, jnp):
    """Each op as JAX spells it: f(*inputs, *params) on arrays (params are Python floats)."""
    return {
        **OPERATORS,
        "relu": jax.nn.relu,
        "tanh": jnp.tanh,
        "exp": jnp.exp,
        "log": jnp.log,
        "sigmoid": jax.nn.sigmoid,
        "maximum": jnp.maximum,
        "minimum": jnp.minimum,
    }


def structure(tape):
    """What a compiled replay depends on: every node's op, inputs and params, and the output (not leaf data)."""
    return (tuple((n.op, n.inputs, n.params) for n in tape.nodes), tape.output)


def plan(tape):
    """(leaf ids, op ids, levels): levels[i] = [(op, params, node ids, [input ids per operand])], by depth."""
    depth = []
    leaves, ops = [], []
    groups = {}
    for n in tape.nodes:
        if n.op is None:
            depth.append(0)
            leaves.append(n.id)
            continue
        d = 1 + max(depth[i] for i in n.inputs)
        depth.append(d)
        ops.append(n.id)
        groups.setdefault((d, n.op, n.params), []).append(n)
    levels = {}
    for (d, op, params), nodes in groups.items():
        arity = len(nodes[0].inputs)
        levels.setdefault(d, []).append(
            (op, params, [n.id for n in nodes], [[n.inputs[k] for n in nodes] for k in range(arity)]))
    return leaves, ops, [levels[d] for d in sorted(levels)]


class Jax(Engine):
    name = "jax"
    correctly_rounded = frozenset()  # XLA promises no correctly rounded primitive beyond + - * / (its tanh: 7 ulps)
    # "select" (Python's builtin max/min/sorted or a comparison on the engine's own values) needs concrete
    # values; JAX's traced values cannot be compared in Python, so the pins/ graphs using it are SKIPPED
    ops = ALL_OPS - {"select"}
    differences = DIFFERENCES
    LEVELWISE_FROM = 5000  # nodes: larger graphs are replayed level by level (vectorised), smaller node by node
    MAX_LEVELS = 2500  # a large graph deeper than this is SKIPPED (see _levelwise)

    def __init__(self):
        self._seen = {}  # structure -> its jit-compiled replay

    def start(self):
        # import only: JAX's CPU backend (and its threads) starts with the first array, in the process
        # that runs graphs, so the CLI's forked workers each start their own.
        self.jax, self.jnp = _import_jax()
        self.fns = op_functions(self.jax, self.jnp)

    def run(self, graph):
        if not hasattr(self, "jnp"):
            self.start()
        import numpy as np

        tape = graph.tape
        if len(tape.nodes) >= self.LEVELWISE_FROM:
            vals, grads = self._levelwise(tape)
        else:
            vals, grads = self._nodewise(tape)
        return Replay(np.asarray(vals).tolist(), np.asarray(grads).tolist())

    # -- small graphs: one JAX op per node; jit-compiled once a structure repeats ---------------------

    def _nodewise(self, tape):
        import numpy as np

        key = (tuple((n.op, n.inputs) for n in tape.nodes), tape.output)
        fn = self._seen.get(key)
        if fn is None:  # always compiled: eager JAX rounds some gradients differently (tanh's), and a graph's
            # answer must not depend on which graphs this process ran before
            fn = self._seen[key] = self.jax.jit(self._node_replay(tape))
        f64 = np.float64
        leaves = [f64(n.data) for n in tape.nodes if n.op is None]
        params = [[f64(p) for p in n.params] for n in tape.nodes if n.op is not None]
        eps = [f64(PERTURBATION)] * len(params)
        return fn(leaves, eps, params)

    def _node_replay(self, tape):
        """replay(leaves, eps, params) -> (data, grad) of every node; the exponents are arguments, not constants
        (as in eager JAX), so the compiled function computes what the eager one does."""
        jax, jnp, fns = self.jax, self.jnp, self.fns
        nodes = [(fns[n.op] if n.op else None, n.inputs) for n in tape.nodes]
        out = tape.output

        def forward(leaves, eps, params):
            vals, li, oi = [], 0, 0
            for fn, inputs in nodes:
                if fn is None:
                    vals.append(leaves[li])
                    li += 1
                else:
                    # the perturbation: its gradient is this node's grad; -0.0 leaves the data as it is
                    vals.append(fn(*(vals[i] for i in inputs), *params[oi]) + eps[oi])
                    oi += 1
            return vals[out], vals

        def replay(leaves, eps, params):
            _, pullback, vals = jax.vjp(lambda l, e: forward(l, e, params), leaves, eps, has_aux=True)
            g_leaves, g_eps = pullback(jnp.ones((), dtype=jnp.float64))
            grads, li, oi = [], 0, 0
            for fn, _ in nodes:
                if fn is None:
                    grads.append(g_leaves[li])
                    li += 1
                else:
                    grads.append(g_eps[oi])
                    oi += 1
            return jnp.stack(vals), jnp.stack(grads)

        return replay

    # -- large graphs: one vectorised JAX op per (depth, op, exponent), eagerly --------------------

    def _levelwise(self, tape):
        """Nodes grouped by depth and op: each group is one JAX op over a gather of its inputs from the buffer
        of all node values, scattered back. Eager: jit-compiling the 66,000-node MLP this way takes ~50 s,
        running it eagerly ~5 s."""
        jax, jnp, fns = self.jax, self.jnp, self.fns
        import numpy as np

        leaves, ops, levels = plan(tape)
        if len(levels) > self.MAX_LEVELS:
            raise Unsupported(f"{len(tape.nodes)} nodes, {len(levels)} levels deep: the JAX engine replays a large "
                              f"graph one level at a time (~1 ms a level), deeper than {self.MAX_LEVELS} levels is "
                              f"over its budget (node by node, compiled or eager, is slower still)")
        n_nodes, out = len(tape.nodes), tape.output
        op_pos = {i: k for k, i in enumerate(ops)}
        leaf_idx = np.asarray(leaves, dtype=np.int64)
        steps = []
        for level in levels:
            for op, params, ids, operands in level:
                steps.append((fns[op], params, np.asarray(ids, dtype=np.int64),
                              [np.asarray(x, dtype=np.int64) for x in operands],
                              np.asarray([op_pos[i] for i in ids], dtype=np.int64)))

        step = self._step()

        def forward(leaf_data, eps):
            vals = jnp.zeros(n_nodes, dtype=jnp.float64).at[leaf_idx].set(leaf_data, unique_indices=True)
            for fn, params, ids, operands, pos in steps:
                vals = step(fn, vals, eps, ids, pos, operands, [np.float64(p) for p in params])
            return vals[out], vals

        leaf_data = np.asarray([tape.nodes[i].data for i in leaves], dtype=np.float64)
        eps = np.full(len(ops), PERTURBATION, dtype=np.float64)
        _, pullback, vals = jax.vjp(forward, jnp.asarray(leaf_data), jnp.asarray(eps), has_aux=True)
        g_leaves, g_eps = pullback(jnp.ones((), dtype=jnp.float64))
        grads = np.zeros(n_nodes)
        grads[leaf_idx] = np.asarray(g_leaves)
        grads[np.asarray(ops, dtype=np.int64)] = np.asarray(g_eps)
        return vals, grads

    def _step(self):
        """One group of a level as one compiled call (eager indexing costs ~10 ms a call under vjp): the op over
        a gather of its operands, plus the perturbation, scattered into the buffer of node values."""
        if not hasattr(self, "_step_fn"):
            from functools import partial

            @partial(self.jax.jit, static_argnums=0)
            def step(fn, vals, eps, ids, pos, operands, params):
                node = fn(*(vals[x] for x in operands), *params) + eps[pos]  # the perturbation, as above
                return vals.at[ids].set(node, unique_indices=True, indices_are_sorted=True)

            self._step_fn = step
        return self._step_fn

    def about(self):
        if not hasattr(self, "jnp"):
            self.start()
        import jaxlib

        return {"name": self.name, "version": self.jax.__version__, "jaxlib": jaxlib.__version__,
                "dtype": "float64 (jax_enable_x64)", "platform": "cpu"}
