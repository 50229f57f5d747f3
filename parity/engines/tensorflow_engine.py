"""TensorFlow in float64, eager, on the CPU: every node's data and grad from one ``tf.GradientTape``.

How a tape is replayed:

- Every op is TensorFlow's own in its natural spelling on 0-d ``tf.float64`` tensors (``a + b``,
  ``a / b``, ``-a``, ``a ** b`` and ``a ** k``, i.e. ``tf.pow``, ``tf.nn.relu``, ``tf.tanh``, ``tf.exp``,
  ``tf.math.log``, ``tf.sigmoid``, ``tf.maximum``, ``tf.minimum``), recorded by one ``GradientTape``
  that watches every leaf.
- Intermediate gradients: ``tape.gradient(output, [every node's tensor])`` (TensorFlow differentiates
  with respect to any recorded tensor, intermediates included; unconnected ones get 0), so data and
  gradient are TensorFlow's own kernels and gradient functions, never ours.
- Leaves and exponents are made from 0-d numpy arrays: ``tf.constant`` of a float (numpy float64 too) goes through a
  cache of scalar constants keyed by value, where ``0.0 == -0.0``, so a ``-0.0`` made after a ``0.0`` would be
  ``+0.0`` and a graph's answer would depend on what ran before it.
- Python's comparisons on eager tensors give boolean tensors whose truth is their value, so
  ``select`` graphs (builtin max/min/sorted on values) run.
"""

import importlib.util
import os

from .base import ALL_OPS, OPERATORS, Engine, EngineUnavailable, Replay, Unsupported, replay_tape

TF_MISSING = ("tensorflow is not installed in this Python; run `pip install 'micrograd_ref[frameworks]'` "
              "(or `make test`, which installs tensorflow-cpu in .venv)")
DIFFERENCES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "tensorflow_differences.toml")


def op_functions(tf):
    import numpy as np

    return {
        **OPERATORS,
        "pow_scalar": lambda a, k: a ** np.array(k, dtype=np.float64),  # tf.pow, the number a float64 constant (see leaf)
        "relu": tf.nn.relu,
        "tanh": tf.tanh,
        "exp": tf.exp,
        "log": tf.math.log,
        "sigmoid": tf.sigmoid,
        "maximum": tf.maximum,
        "minimum": tf.minimum,
    }


class TensorFlow(Engine):
    name = "tensorflow"
    correctly_rounded = frozenset()  # Eigen's kernels promise no correctly rounded primitive beyond + - * / (tanh's backward is not fused)
    ops = ALL_OPS
    differences = DIFFERENCES
    # eager TensorFlow costs about 0.4 ms per node (the op, its tape record, its share of tape.gradient), measured
    # here: the 65,818-node MLP took 37 s, scale/sum_50k (99,999 nodes) 42 s, scale/chain_100k (100,002) 52 s
    MAX_NODES = 20_000

    def start(self):
        if importlib.util.find_spec("tensorflow") is None:
            raise EngineUnavailable(TF_MISSING)
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no banner about CPU instructions on every start
        try:
            import tensorflow as tf
        except ImportError as exc:
            raise EngineUnavailable(TF_MISSING.replace("is not installed in this Python",
                                               f"cannot be imported ({exc})")) from None
        self.tf = tf
        self.fns = op_functions(tf)

    def run(self, graph):
        if not hasattr(self, "tf"):
            self.start()
        import numpy as np

        tf, fns = self.tf, self.fns
        tape = graph.tape
        if len(tape.nodes) > self.MAX_NODES:
            raise Unsupported(f"{len(tape.nodes)} nodes: eager TensorFlow takes about 0.4 ms a node (op, tape record and "
                              f"gradient; 37-52 s measured for the 66,000- to 100,000-node graphs), more than "
                              f"{self.MAX_NODES} nodes is over its budget")
        with tf.device("/CPU:0"), tf.GradientTape() as gt:
            def leaf(x, label):
                # from a 0-d numpy array: tf.constant(a float, numpy float64 included) goes through a cache keyed by
                # value, where 0.0 == -0.0, so tf.constant(-0.0) after tf.constant(0.0) is +0.0 (measured, 2.21.0)
                t = tf.constant(np.array(x, dtype=np.float64))
                gt.watch(t)
                return t

            vals = replay_tape(tape, leaf, call=lambda op, inputs, params: fns[op](*inputs, *params))
        nodes = list({id(v): v for v in vals}.values())  # a select node is one of its inputs: ask once per tensor
        grads = gt.gradient(vals[tape.output], nodes, unconnected_gradients=tf.UnconnectedGradients.ZERO)
        by_id = {id(v): g for v, g in zip(nodes, grads)}
        data = tf.stack(vals).numpy().tolist()
        grad = tf.stack([by_id[id(v)] for v in vals]).numpy().tolist()
        return Replay(data, grad)

    def about(self):
        if not hasattr(self, "tf"):
            self.start()
        tf = self.tf
        import platform

        info = tf.sysconfig.get_build_info()
        try:  # what TensorFlow tells of its build: oneDNN (MKL) or not
            from tensorflow.python.util import _pywrap_util_port as port

            onednn_build = bool(port.IsMklEnabled())
        except (ImportError, AttributeError):
            onednn_build = None
        custom_ops = os.environ.get("TF_ENABLE_ONEDNN_OPTS", "1") != "0"
        flags = " ".join(f for f in tf.sysconfig.get_compile_flags() if f.startswith("-DEIGEN"))
        return {"name": self.name, "version": tf.__version__, "dtype": "float64 (eager)",
                "platform": f"{platform.machine()} CPU: Eigen's elementwise kernels ({flags}; built by "
                            f"{tf.__compiler_version__}); oneDNN build {onednn_build}, oneDNN custom ops "
                            f"{'on' if custom_ops else 'off'} (TF_ENABLE_ONEDNN_OPTS); "
                            f"CUDA build {bool(info.get('is_cuda_build'))}"}

