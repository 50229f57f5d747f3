"""nn: classic micrograd conventions, seeded weights, grads against an equivalent torch model."""

import random

import pytest

from micrograd_ref import Value, XorShift64Star
from micrograd_ref.nn import MLP, Layer, Neuron, sgd_step


def test_same_seed_same_weights_and_global_random_untouched():
    random.seed(123)
    before = random.random()
    random.seed(123)
    a = MLP(3, [4, 4, 1], seed=7)
    b = MLP(3, [4, 4, 1], seed=7)
    assert random.random() == before  # building a model drew nothing from the global generator
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    assert [p.data for p in MLP(3, [4, 4, 1], seed=8).parameters()] != [p.data for p in a.parameters()]


def test_weights_and_biases_are_uniform_in_minus_one_one_in_layer_neuron_weights_then_bias_order():
    m = MLP(2, [3, 1], seed=0)
    rng = random.Random(0)
    expected = [rng.uniform(-1.0, 1.0) for _ in range(len(m.parameters()))]
    assert [p.data for p in m.parameters()] == expected
    labels = [p.label for p in m.parameters()]
    assert labels[:3] == ["L0.N0.w0", "L0.N0.w1", "L0.N0.b"] and labels[-1] == "L1.N0.b"
    assert len(m.parameters()) == 3 * 3 + 4


def test_hidden_layers_relu_last_layer_linear_by_default():
    m = MLP(2, [3, 2], seed=1)
    assert [n.activation for n in m.layers[0].neurons] == ["relu"] * 3
    assert [n.activation for n in m.layers[1].neurons] == ["linear"] * 2


def test_hidden_activation_can_be_tanh():
    m = MLP(2, [3, 1], seed=1, activation="tanh")
    assert m.layers[0].neurons[0].activation == "tanh"
    assert m([0.5, -1.0]).data == pytest.approx(_float_forward(m, [0.5, -1.0], "tanh"), rel=1e-15)
    with pytest.raises(ValueError, match="activation"):
        MLP(2, [1], activation="gelu")


def test_model_returns_a_value_for_one_output_and_a_list_otherwise():
    assert isinstance(MLP(2, [3, 1], seed=0)([1.0, 2.0]), Value)
    out = MLP(2, [3, 2], seed=0)([1.0, 2.0])
    assert isinstance(out, list) and len(out) == 2
    assert isinstance(Layer(2, 1)([1.0, 2.0]), Value)


def test_model_accepts_values_as_inputs_and_backprops_into_them():
    x = [Value(1.0), Value(-2.0)]
    m = MLP(2, [4, 1], seed=3, activation="tanh")
    m(x).backward()
    assert any(v.grad != 0.0 for v in x)


def test_wrong_input_length_is_a_clear_error():
    with pytest.raises(ValueError, match="takes 3 inputs, got 2"):
        Neuron(3)([1.0, 2.0])


def test_zero_grad_resets_every_parameter():
    m = MLP(2, [3, 1], seed=0)
    m([1.0, 2.0]).backward()
    m.zero_grad()
    assert all(p.grad == 0.0 for p in m.parameters())


def test_sgd_step_moves_against_the_grad_and_lowers_the_loss():
    m = MLP(3, [4, 4, 1], seed=2)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0]]
    ys = [1.0, -1.0, -1.0, 1.0]

    def loss():
        return sum(((m(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))

    first = loss()
    m.zero_grad()
    first.backward()
    before = [(p.data, p.grad) for p in m.parameters()]
    sgd_step(m.parameters(), 0.01)
    assert [p.data for p in m.parameters()] == [d - 0.01 * g for d, g in before]
    assert loss().data < first.data


def test_model_can_use_the_portable_generator():
    a = MLP(2, [3, 1], rng=XorShift64Star(9))
    b = MLP(2, [3, 1], rng=XorShift64Star(9))
    assert [p.data for p in a.parameters()] == [p.data for p in b.parameters()]
    with pytest.raises(ValueError):
        MLP(2, [1], seed=1, rng=XorShift64Star(1))


def _float_forward(m, x, act):
    import math

    for li, layer in enumerate(m.layers):
        out = []
        for n in layer.neurons:
            s = n.b.data
            for w, xi in zip(n.w, x):
                s = s + w.data * xi
            if li < len(m.layers) - 1:
                s = max(s, 0.0) if act == "relu" else math.tanh(s)
            out.append(s)
        x = out
    return x[0]


@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_mlp_grads_match_an_equivalent_torch_model(torch, activation):
    m = MLP(3, [8, 8, 1], seed=11, activation=activation)
    xs = [[2.0, 3.0, -1.0], [3.0, -1.0, 0.5], [0.5, 1.0, 1.0], [1.0, 1.0, -1.0], [-0.3, 0.2, 0.9]]
    ys = [1.0, -1.0, -1.0, 1.0, 0.5]
    loss = sum(((m(x) - y) ** 2 for x, y in zip(xs, ys)), Value(0.0))
    loss.backward()

    layers = []
    for layer in m.layers:
        lin = torch.nn.Linear(len(layer.neurons[0].w), len(layer.neurons), dtype=torch.float64)
        with torch.no_grad():
            lin.weight.copy_(torch.tensor([[w.data for w in n.w] for n in layer.neurons], dtype=torch.float64))
            lin.bias.copy_(torch.tensor([n.b.data for n in layer.neurons], dtype=torch.float64))
        layers.append(lin)
    act = torch.relu if activation == "relu" else torch.tanh
    h = torch.tensor(xs, dtype=torch.float64)
    for i, lin in enumerate(layers):
        h = lin(h)
        if i < len(layers) - 1:
            h = act(h)
    tloss = ((h.squeeze(1) - torch.tensor(ys, dtype=torch.float64)) ** 2).sum()
    tloss.backward()

    assert loss.data == pytest.approx(tloss.item(), rel=1e-12)
    for layer, lin in zip(m.layers, layers):
        for j, n in enumerate(layer.neurons):
            for i, w in enumerate(n.w):
                assert w.grad == pytest.approx(lin.weight.grad[j, i].item(), rel=1e-10, abs=1e-12)
            assert n.b.grad == pytest.approx(lin.bias.grad[j].item(), rel=1e-10, abs=1e-12)


def test_nn_mlp_is_the_catalogue_mlp():
    """The parity catalogue's engine-neutral MLP draws and computes exactly what nn.MLP does."""
    from parity.catalogue import CLASSIC_XS, mlp_forward, mlp_params
    from parity.tape import Tape

    t = Tape()
    layers = mlp_params(t, 3, [4, 4, 1], seed=1)
    m = MLP(3, [4, 4, 1], rng=XorShift64Star(1), activation="tanh")
    leaves = [n.data for n in t.nodes]
    assert leaves == [p.data for p in m.parameters()]
    for x in CLASSIC_XS:
        out = mlp_forward(layers, [t.leaf(v) for v in x], "tanh")
        t.set_output(out)
        assert t.evaluate()[t.output] == m(list(x)).data
