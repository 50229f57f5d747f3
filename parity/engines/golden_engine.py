"""The committed golden vectors (the spec's correctly rounded answers, stored) as an engine: no torch needed.

It answers a graph only when it holds that entry and case and the stored graph is the
very same graph, node for node (a stale file is that graph's error, never a silent
answer for another graph). Graphs it has no vectors for (--random) are SKIPPED.
"""

import os

from ..exactness import ALL
from .base import Engine, EngineUnavailable, Replay, Unsupported


class Golden(Engine):
    name = "golden"
    correctly_rounded = ALL  # made by the spec engine: every primitive correctly rounded

    def __init__(self, directory=None):
        self.directory = directory
        self._docs = {}

    def start(self):
        from .. import golden

        self.directory = self.directory or golden.default_dir()
        try:
            self.index = golden.load_index(self.directory)
        except (OSError, ValueError) as exc:
            raise EngineUnavailable(f"cannot read golden vectors in {self.directory}: {exc}") from None
        self.files = {e["name"]: e["file"] for e in self.index["entries"]}

    def _doc(self, entry):
        doc = self._docs.get(entry)
        if doc is None:
            from .. import golden

            if entry not in self.files:
                raise Unsupported(f"no golden vectors for {entry}")
            doc = self._docs[entry] = golden.load_entry(self.directory, self.files[entry])
            doc["by_case"] = {g["case"]: g for g in doc["graphs"]}
        return doc

    def run(self, graph):
        from ..golden import from_num, tape_nodes

        stored = self._doc(graph.entry)["by_case"].get(graph.case)
        if stored is None:
            raise Unsupported(f"no golden vectors for {graph.name}")
        nodes = tape_nodes(graph.tape)
        if nodes != stored["nodes"] or graph.tape.output != stored["output"]:
            diff = next((i for i, (a, b) in enumerate(zip(nodes, stored["nodes"])) if a != b),
                        min(len(nodes), len(stored["nodes"])))
            from ..installed import advice

            fix = advice("regenerate them with `make golden` (the spec's correctly rounded answers: the same on "
                         "every machine)", "the vectors installed with this package are for another version of the "
                         "catalogue: install matching versions of micrograd_ref")
            raise RuntimeError(f"the golden vectors of {graph.name} are for another graph (node #{diff} differs); {fix}")
        exp = stored["expected"]
        return Replay([from_num(v) for v in exp["data"]], [from_num(v) for v in exp["grad"]])

    def about(self):
        return {"name": self.name, "directory": os.path.abspath(self.directory or ""),
                "source": self.index.get("made_by", "the spec engine") if hasattr(self, "index") else ""}
