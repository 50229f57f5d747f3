"""Naming the likely culprit of a disagreement: the op whose forward or backward went wrong."""


def diagnose(tape, mismatches):
    """Name the op that most likely went wrong.

    Forward: the first node (in tape order) whose data disagrees while all its
    inputs' data agree computed its forward wrongly. Backward (all data agree):
    an op node whose own grad agrees but which feeds an input whose grad does not
    is a suspect; the first three are named. When no such node exists, the error
    is in how contributions over several paths were summed.
    """
    bad_data = {m.node for m in mismatches if m.quantity == "data"}
    bad_grad = {m.node for m in mismatches if m.quantity.startswith("grad")}
    for i in sorted(bad_data):
        n = tape.nodes[i]
        if n.op is not None and not (set(n.inputs) & bad_data):
            return [f"forward of '{n.op}' at node {tape.name_of(i)}: its inputs agree, its output does not"]
    if bad_data:
        return []
    suspects = []
    for n in tape.nodes:
        if n.op is None or n.id in bad_grad:
            continue
        wrong = [i for i in n.inputs if i in bad_grad]
        if wrong:
            names = ", ".join(tape.name_of(i) for i in dict.fromkeys(wrong))
            suspects.append(f"backward of '{n.op}' at node {tape.name_of(n.id)}: its grad agrees, "
                            f"the grad it sends to {names} does not")
    if not suspects and bad_grad:
        suspects.append("gradient accumulation: every op's grad agrees locally, yet sums over several paths do not")
    return suspects[:3]
