# Makes the PyTorch reference vectors that RnnGen's generated RNN/LSTM/GRU models are tested against.
#
# Run (Debian's torch, not the python3 on PATH):
#     /usr/bin/python3 tests/RnnGen.Tests/Golden/make_cell_golden.py
# It rewrites cells/<case>.safetensors and torch_interop/lstm_torch_written{,.expected}.safetensors next to
# this script. The output is deterministic: every case calls torch.manual_seed with a seed derived from its
# name (CRC-32), runs float32 on the CPU with one thread, and the writer emits tensors sorted by name.
# docs/golden.md describes every case and every tensor; tests never need torch, the fixtures are committed.
#
# Model per case: [Embedding] -> chain of single-layer nn.RNN/LSTM/GRU (sizes may differ per layer; each
# module's *_l0 parameters are exposed as *_l{k}) -> Linear head on every step or on the last step -> loss.
# All tensors are time-major: x is [T, B, I], tokens and per-step targets are [T, B], outputs [T, B, O].

import os
import sys
import zlib

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

_MODULES = {
    "rnn_tanh": lambda i, h, bias, layers=1: nn.RNN(i, h, layers, nonlinearity="tanh", bias=bias),
    "rnn_relu": lambda i, h, bias, layers=1: nn.RNN(i, h, layers, nonlinearity="relu", bias=bias),
    "lstm": lambda i, h, bias, layers=1: nn.LSTM(i, h, layers, bias=bias),
    "gru": lambda i, h, bias, layers=1: nn.GRU(i, h, layers, bias=bias),
}


def case(name, cell, hidden, seq_len, batch, input, output, loss, steps="all", state="zero", bias=True, vocab=0):
    return dict(name=name, cell=cell, hidden=hidden, seq_len=seq_len, batch=batch, input=input, output=output,
                loss=loss, steps=steps, state=state, bias=bias, vocab=vocab)


# Odd sizes cross SIMD widths (3, 7, 17, 33) while the files stay well under 100 KB.
CASES = [
    case("rnn_tanh_l1", "rnn_tanh", [7], 5, 3, 4, 6, "ce"),
    case("rnn_relu_l1", "rnn_relu", [17], 5, 2, 3, 4, "mse"),
    case("rnn_tanh_l2", "rnn_tanh", [7, 3], 4, 3, 5, 6, "ce", state="random"),
    case("rnn_relu_l2", "rnn_relu", [8, 8], 6, 2, 3, 3, "mse", state="random"),
    case("lstm_l1", "lstm", [7], 5, 3, 4, 6, "ce"),
    case("lstm_l1_random", "lstm", [9], 4, 2, 3, 5, "mse", state="random"),
    case("lstm_l2", "lstm", [6, 5], 5, 2, 4, 6, "ce", state="random"),
    case("lstm_l1_nobias", "lstm", [5], 4, 2, 3, 4, "ce", bias=False),
    case("gru_l1", "gru", [7], 5, 3, 4, 6, "ce"),
    case("gru_l2", "gru", [6, 5], 5, 2, 4, 6, "mse", state="random"),
    case("gru_l1_random", "gru", [33], 4, 3, 5, 3, "ce", state="random"),
    case("lstm_last", "lstm", [6], 7, 3, 4, 3, "ce", steps="last"),
    case("gru_last", "gru", [5], 6, 2, 3, 2, "mse", steps="last"),
    case("rnn_tanh_last", "rnn_tanh", [4], 8, 2, 3, 3, "ce", steps="last"),
    case("lstm_embedding", "lstm", [7], 6, 2, 5, 11, "ce", vocab=11),
]


class GoldenNet(nn.Module):
    """[Embedding] -> stack of single-layer recurrent modules -> Linear head, with PyTorch's flat names.

    The recurrent parameters are registered on this module as weight_ih_l{k} ... so that state_dict() and
    load_state_dict(strict=True) use exactly the names of nn.LSTM(num_layers=L); the per-layer modules share
    those Parameter objects and are kept in a plain list so they add no prefixed names.
    """

    def __init__(self, cell, input_size, hidden, output, steps="all", bias=True, vocab=0):
        super().__init__()
        self.cell = cell
        self.steps = steps
        self.embedding = nn.Embedding(vocab, input_size) if vocab else None
        self.layers = []
        previous = input_size
        for k, size in enumerate(hidden):
            layer = _MODULES[cell](previous, size, bias)
            for name, parameter in layer.named_parameters():
                self.register_parameter(name.replace("_l0", f"_l{k}"), parameter)
            self.layers.append(layer)
            previous = size
        self.head = nn.Linear(previous, output)

    def forward(self, inputs, h0=None, c0=None):
        """Returns (output, h_n per layer [B, H_k], c_n per layer (LSTM only)); h0/c0 are per-layer lists."""
        sequence = self.embedding(inputs) if self.embedding is not None else inputs
        h_n, c_n = [], []
        for k, layer in enumerate(self.layers):
            if self.cell == "lstm":
                state = None if h0 is None else (h0[k].unsqueeze(0), c0[k].unsqueeze(0))
                sequence, (h, c) = layer(sequence, state)
                c_n.append(c[0])
            else:
                state = None if h0 is None else h0[k].unsqueeze(0)
                sequence, h = layer(sequence, state)
            h_n.append(h[0])
        top = sequence if self.steps == "all" else sequence[-1]
        return self.head(top), h_n, c_n


def net_from_metadata(metadata):
    """Builds the GoldenNet that a golden file's __metadata__ describes (weights are default-initialised)."""
    return GoldenNet(
        metadata["cell"],
        int(metadata["input"]),
        [int(h) for h in metadata["hidden"].split(",")],
        int(metadata["output"]),
        steps=metadata["steps"],
        bias=metadata["bias"] == "true",
        vocab=int(metadata["vocab"]),
    )


def compute_loss(kind, output, targets):
    if kind == "ce":
        return nn.CrossEntropyLoss()(output.reshape(-1, output.shape[-1]), targets.reshape(-1))
    return nn.MSELoss()(output, targets)


def seed_of(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def make_case(spec):
    torch.manual_seed(seed_of(spec["name"]))
    T, B, O = spec["seq_len"], spec["batch"], spec["output"]
    net = GoldenNet(spec["cell"], spec["input"], spec["hidden"], O, spec["steps"], spec["bias"], spec["vocab"])
    with torch.no_grad():
        # Default init already gives non-zero biases; the extra shift makes b_ih and b_hh clearly distinct
        # so that a consumer which drops or merges one of them fails.
        for name, parameter in net.named_parameters():
            if "bias" in name:
                parameter.add_(torch.empty_like(parameter).uniform_(-0.1, 0.1))

    tensors = {}
    if spec["vocab"]:
        inputs = torch.randint(0, spec["vocab"], (T, B), dtype=torch.int64)
        tensors["tokens"] = inputs
    else:
        inputs = torch.randn(T, B, spec["input"], requires_grad=True)
        tensors["x"] = inputs

    h0 = c0 = None
    if spec["state"] == "random":
        h0 = [torch.randn(B, h, requires_grad=True) for h in spec["hidden"]]
        if spec["cell"] == "lstm":
            c0 = [torch.randn(B, h, requires_grad=True) for h in spec["hidden"]]

    out_shape = (T, B, O) if spec["steps"] == "all" else (B, O)
    if spec["loss"] == "ce":
        targets = torch.randint(0, O, out_shape[:-1], dtype=torch.int64)
    else:
        targets = torch.randn(out_shape)
    tensors["targets"] = targets

    output, h_n, c_n = net(inputs, h0, c0)
    loss = compute_loss(spec["loss"], output, targets)
    loss.backward()

    for name, parameter in net.named_parameters():
        tensors[f"param.{name}"] = parameter
        tensors[f"grad.{name}"] = parameter.grad
    if not spec["vocab"]:
        tensors["grad.x"] = inputs.grad
    for k in range(len(spec["hidden"])):
        tensors[f"h_n.l{k}"] = h_n[k]
        if h0 is not None:
            tensors[f"h0.l{k}"] = h0[k]
            tensors[f"grad.h0.l{k}"] = h0[k].grad
        if spec["cell"] == "lstm":
            tensors[f"c_n.l{k}"] = c_n[k]
            if c0 is not None:
                tensors[f"c0.l{k}"] = c0[k]
                tensors[f"grad.c0.l{k}"] = c0[k].grad
    tensors["output"] = output
    tensors["loss"] = loss.reshape(1)

    for name, tensor in tensors.items():
        assert tensor.dtype == torch.int64 or torch.isfinite(tensor).all(), f"{spec['name']}: {name} not finite"

    metadata = {
        "cell": spec["cell"],
        "hidden": ",".join(str(h) for h in spec["hidden"]),
        "input_kind": "embedding" if spec["vocab"] else "vector",
        "input": spec["input"],
        "vocab": spec["vocab"],
        "output": O,
        "steps": spec["steps"],
        "loss": spec["loss"],
        "seq_len": T,
        "batch": B,
        "bias": "true" if spec["bias"] else "false",
        "state": spec["state"],
    }
    path = os.path.join(HERE, "cells", spec["name"] + ".safetensors")
    safetensors_io.write(path, tensors, metadata)
    return path


def check_chain_matches_num_layers(cell, sizes, seed):
    """Proves the renamed single-layer chain is PyTorch's num_layers=L module when all sizes are equal."""
    torch.manual_seed(seed)
    I, H, L, T, B = sizes
    net = GoldenNet(cell, I, [H] * L, 2)
    reference = _MODULES[cell](I, H, True, L)
    state = {k: v for k, v in net.state_dict().items() if not k.startswith("head.")}
    reference.load_state_dict(state, strict=True)
    x = torch.randn(T, B, I)
    expected, _ = reference(x)
    actual, _, _ = net(x)
    assert torch.equal(net.head(expected), actual), f"{cell}: chain differs from num_layers={L}"


def make_torch_interop():
    """nn.LSTM(4, 7, num_layers=2) + Linear(7, 3): weights file = exactly its state_dict; expectations apart."""
    torch.manual_seed(seed_of("lstm_torch_written"))
    lstm = nn.LSTM(4, 7, num_layers=2)
    head = nn.Linear(7, 3)
    x = torch.randn(5, 2, 4)
    with torch.no_grad():
        sequence, (h_n, c_n) = lstm(x)
        output = head(sequence)
    state = dict(lstm.state_dict())
    state.update({f"head.{k}": v for k, v in head.state_dict().items()})

    folder = os.path.join(HERE, "torch_interop")
    os.makedirs(folder, exist_ok=True)
    weights_path = os.path.join(folder, "lstm_torch_written.safetensors")
    safetensors_io.write(weights_path, state)
    expected = {"x": x, "output": output}
    for k in range(2):
        expected[f"h_n.l{k}"] = h_n[k]
        expected[f"c_n.l{k}"] = c_n[k]
    metadata = {"cell": "lstm", "hidden": "7,7", "input_kind": "vector", "input": 4, "vocab": 0, "output": 3,
                "steps": "all", "seq_len": 5, "batch": 2, "bias": "true", "state": "zero"}
    safetensors_io.write(os.path.join(folder, "lstm_torch_written.expected.safetensors"), expected, metadata)

    # The module chain that load_in_torch.py uses must load the torch-written file strictly and agree.
    reloaded, _ = safetensors_io.read(weights_path)
    net = net_from_metadata({k: str(v) for k, v in metadata.items()})
    net.load_state_dict(reloaded, strict=True)
    with torch.no_grad():
        actual, _, _ = net(x)
    assert torch.equal(actual, output), "GoldenNet differs from nn.LSTM(num_layers=2)"


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(os.path.join(HERE, "cells"), exist_ok=True)
    check_chain_matches_num_layers("rnn_relu", (3, 8, 2, 6, 2), 1)
    check_chain_matches_num_layers("lstm", (4, 7, 3, 5, 2), 2)
    check_chain_matches_num_layers("gru", (5, 6, 2, 4, 3), 3)
    for spec in CASES:
        path = make_case(spec)
        print(f"{os.path.relpath(path, HERE)}  {os.path.getsize(path)} bytes")
    make_torch_interop()
    print("torch_interop/lstm_torch_written{,.expected}.safetensors")


if __name__ == "__main__":
    main()
