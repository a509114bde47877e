# Makes PyTorch reference vectors for RnnGen's topology features: bidirectional layers (concat, and the Keras-style
# sum/average/multiply merges), variable-length batches (PyTorch packed semantics), LSTM projection, the GRU with the
# reset gate applied before the hidden matmul, and one-hot token input.
#
# Run (Debian's torch, not the python3 on PATH):
#     /usr/bin/python3 tests/RnnGen.Tests/Golden/make_topology_golden.py
# It rewrites topologies/<case>.safetensors next to this script, byte for byte: every case calls torch.manual_seed
# with the CRC-32 of its name, runs float32 on the CPU with one thread, and the writer sorts tensors by name.
# docs/golden.md ("Topology vectors") describes every case and tensor; the conventions extend make_cell_golden.py's.
#
# Model per case: [one-hot] -> chain of single-layer (optionally bidirectional) nn.RNN/LSTM/GRU modules, each
# module's *_l0 / *_l0_reverse parameters exposed as *_l{k} / *_l{k}_reverse -> Linear head on every step or on the
# top layer's final state -> loss. All tensors are time-major.

import os
import sys
import zlib

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
MERGES = ("concat", "sum", "average", "multiply")


def make_module(cell, input_size, hidden, bias=True, layers=1, bidirectional=False, proj=0):
    if cell == "lstm":
        return nn.LSTM(input_size, hidden, layers, bias=bias, bidirectional=bidirectional, proj_size=proj)
    assert proj == 0, "projection exists only for LSTM"
    if cell == "gru":
        return nn.GRU(input_size, hidden, layers, bias=bias, bidirectional=bidirectional)
    nonlinearity = {"rnn_tanh": "tanh", "rnn_relu": "relu"}[cell]
    return nn.RNN(input_size, hidden, layers, nonlinearity=nonlinearity, bias=bias, bidirectional=bidirectional)


def gru_loop(gru, x, h0, reset_after):
    """One direction of a single-layer GRU over x [T, B, I], written with torch ops on nn.GRU's parameters.

    reset_after=True is PyTorch's cell (n = tanh(W_in x + b_in + r*(W_hn h + b_hn))) and only serves the self-check;
    reset_after=False is ONNX linear_before_reset=0 / Keras reset_after=False: n = tanh(W_in x + b_in + W_hn (r*h) + b_hn).
    """
    w_hr, w_hz, w_hn = gru.weight_hh_l0.chunk(3, 0)
    b_ih = gru.bias_ih_l0 if gru.bias else None
    b_hr = b_hz = b_hn = None
    if gru.bias:
        b_hr, b_hz, b_hn = gru.bias_hh_l0.chunk(3, 0)
    h = x.new_zeros(x.shape[1], gru.hidden_size) if h0 is None else h0[0]
    outputs = []
    for t in range(x.shape[0]):
        i_r, i_z, i_n = F.linear(x[t], gru.weight_ih_l0, b_ih).chunk(3, 1)
        r = torch.sigmoid(i_r + F.linear(h, w_hr, b_hr))
        z = torch.sigmoid(i_z + F.linear(h, w_hz, b_hz))
        if reset_after:
            n = torch.tanh(i_n + r * F.linear(h, w_hn, b_hn))
        else:
            n = torch.tanh(i_n + F.linear(r * h, w_hn, b_hn))
        h = (1 - z) * n + z * h
        outputs.append(h)
    return torch.stack(outputs), h.unsqueeze(0)


def merge(mode, forward, reverse):
    if mode == "concat":
        return torch.cat([forward, reverse], -1)
    if mode == "sum":
        return forward + reverse
    if mode == "average":
        return (forward + reverse) / 2
    return forward * reverse


class TopologyNet(nn.Module):
    """Chain of single-layer recurrent modules with PyTorch's flat parameter names (see make_cell_golden.GoldenNet).

    Each layer is a one-layer module, bidirectional when asked; its two output halves are merged with `merge` and the
    merged sequence feeds the next layer. With `lengths`, every layer runs on a packed sequence and returns zeros at
    padded steps, exactly as nn.LSTM(num_layers=L) on a PackedSequence does.
    """

    def __init__(self, cell, input_size, hidden, output, steps="all", bidirectional=False, merge="concat", proj=0,
                 reset_after=True, bias=True, onehot=False):
        super().__init__()
        assert merge in MERGES
        assert reset_after or (cell == "gru" and not bidirectional), "reset-before GRU is unidirectional here"
        self.cell, self.steps, self.bidirectional, self.merge = cell, steps, bidirectional, merge
        self.reset_after, self.onehot, self.input_size = reset_after, onehot, input_size
        self.layers = []
        previous = input_size
        for k, size in enumerate(hidden):
            layer = make_module(cell, previous, size, bias, bidirectional=bidirectional, proj=proj)
            for name, parameter in layer.named_parameters():
                self.register_parameter(name.replace("_l0", f"_l{k}"), parameter)
            self.layers.append(layer)
            width = proj or size
            previous = 2 * width if bidirectional and merge == "concat" else width
        self.head = nn.Linear(previous, output)

    def directions(self):
        return ["", "_reverse"] if self.bidirectional else [""]

    def run_layer(self, layer, sequence, state, lengths):
        if not self.reset_after:
            assert lengths is None, "reset-before GRU runs on full-length batches here"
            return gru_loop(layer, sequence, state, reset_after=False)
        if lengths is None:
            return layer(sequence, state)
        packed = pack_padded_sequence(sequence, lengths, enforce_sorted=False)
        output, final = layer(packed, state)
        return pad_packed_sequence(output, total_length=sequence.shape[0])[0], final

    def recurrent(self, inputs, h0=None, c0=None, lengths=None):
        """Runs the stack; returns (top layer's merged sequence, h_n, c_n).

        h_n/c_n map "l{k}" or "l{k}_reverse" to [B, size]; h0/c0 are maps like them.
        """
        sequence = F.one_hot(inputs, self.input_size).float() if self.onehot else inputs
        h_n, c_n = {}, {}
        for k, layer in enumerate(self.layers):
            keys = [f"l{k}{suffix}" for suffix in self.directions()]
            state = None
            if h0 is not None:
                h = torch.stack([h0[key] for key in keys])
                state = (h, torch.stack([c0[key] for key in keys])) if self.cell == "lstm" else h
            sequence, final = self.run_layer(layer, sequence, state, lengths)
            h, c = final if self.cell == "lstm" else (final, None)
            for d, key in enumerate(keys):
                h_n[key] = h[d]
                if c is not None:
                    c_n[key] = c[d]
            if self.bidirectional:
                forward, reverse = sequence.chunk(2, -1)
                sequence = merge(self.merge, forward, reverse)
        return sequence, h_n, c_n

    def forward(self, inputs, h0=None, c0=None, lengths=None):
        """Returns (output, h_n, c_n): the head on every step (zero at padded steps) or on the final state."""
        sequence, h_n, c_n = self.recurrent(inputs, h0, c0, lengths)
        top = len(self.layers) - 1
        if self.steps == "all":
            output = self.head(sequence)
            if lengths is not None:
                # masked_fill writes +0.0 (a product with the mask would leave -0.0 behind).
                padded = valid_mask(lengths, sequence.shape[0], sequence.shape[1]).unsqueeze(-1) == 0
                output = output.masked_fill(padded, 0.0)
        elif self.bidirectional:
            output = self.head(merge(self.merge, h_n[f"l{top}"], h_n[f"l{top}_reverse"]))
        else:
            output = self.head(h_n[f"l{top}"])
        return output, h_n, c_n


def valid_mask(lengths, steps, batch):
    """[T, B] float mask: 1 where t < lengths[b]."""
    return (torch.arange(steps).unsqueeze(1) < lengths.unsqueeze(0).expand(steps, batch)).float()


def compute_loss(kind, output, targets, lengths):
    if kind == "ce":
        # Padded positions carry target -100, CrossEntropyLoss's default ignore_index: the mean is over valid rows.
        return nn.CrossEntropyLoss()(output.reshape(-1, output.shape[-1]), targets.reshape(-1))
    if lengths is not None and output.dim() == 3:
        valid = valid_mask(lengths, output.shape[0], output.shape[1]).bool()
        return nn.MSELoss()(output[valid], targets[valid])
    return nn.MSELoss()(output, targets)


def case(name, cell, hidden, seq_len, batch, input, output, loss, steps="all", state="zero", bidirectional=False,
         merge="concat", lengths=None, proj=0, reset_after=True, onehot=False):
    return dict(name=name, cell=cell, hidden=hidden, seq_len=seq_len, batch=batch, input=input, output=output,
                loss=loss, steps=steps, state=state, bidirectional=bidirectional, merge=merge, lengths=lengths,
                proj=proj, reset_after=reset_after, onehot=onehot)


CASES = [
    case("lstm_proj_l1", "lstm", [7], 5, 2, 4, 4, "ce", state="random", proj=3),
    case("lstm_proj_l2", "lstm", [6, 6], 4, 2, 3, 3, "mse", proj=4),
    case("gru_reset_before_l1", "gru", [7], 5, 3, 4, 6, "ce", state="random", reset_after=False),
    case("gru_reset_before_l2", "gru", [5, 4], 4, 2, 3, 3, "mse", reset_after=False),
    case("bi_lstm_concat_l1", "lstm", [6], 5, 2, 4, 5, "ce", state="random", bidirectional=True),
    case("bi_gru_concat_l2", "gru", [5, 4], 4, 3, 3, 3, "mse", bidirectional=True),
    case("bi_rnn_sum_l1", "rnn_tanh", [7], 5, 2, 3, 4, "ce", bidirectional=True, merge="sum"),
    case("bi_lstm_average_l2", "lstm", [5, 5], 4, 2, 3, 3, "mse", bidirectional=True, merge="average"),
    case("bi_gru_multiply_l1", "gru", [6], 5, 2, 4, 4, "ce", bidirectional=True, merge="multiply"),
    case("bi_lstm_concat_last", "lstm", [5], 6, 3, 4, 3, "ce", steps="last", bidirectional=True),
    case("varlen_lstm_l2", "lstm", [5, 4], 6, 3, 4, 4, "ce", lengths=[3, 6, 1]),
    case("varlen_gru_mse", "gru", [6], 5, 3, 3, 2, "mse", state="random", lengths=[2, 5, 4]),
    case("varlen_bi_lstm_concat", "lstm", [5], 6, 3, 4, 3, "ce", bidirectional=True, lengths=[4, 6, 2]),
    case("varlen_bi_gru_last", "gru", [4], 5, 3, 3, 2, "ce", steps="last", bidirectional=True, lengths=[5, 1, 3]),
    case("varlen_rnn_relu_last", "rnn_relu", [5], 6, 2, 3, 2, "mse", steps="last", lengths=[3, 6]),
    case("onehot_lstm", "lstm", [6], 5, 2, 7, 7, "ce", onehot=True),
    case("onehot_gru_last", "gru", [4], 4, 3, 5, 2, "ce", steps="last", onehot=True),
]


def seed_of(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def net_for(spec):
    return TopologyNet(spec["cell"], spec["input"], spec["hidden"], spec["output"], spec["steps"],
                       spec["bidirectional"], spec["merge"], spec["proj"], spec["reset_after"], onehot=spec["onehot"])


def state_sizes(spec):
    """Maps each state key ("l0", "l0_reverse", ...) to (h size, c size)."""
    sizes = {}
    for k, size in enumerate(spec["hidden"]):
        for suffix in (["", "_reverse"] if spec["bidirectional"] else [""]):
            sizes[f"l{k}{suffix}"] = (spec["proj"] or size, size)
    return sizes


def make_case(spec):
    torch.manual_seed(seed_of(spec["name"]))
    T, B, O = spec["seq_len"], spec["batch"], spec["output"]
    lstm = spec["cell"] == "lstm"
    net = net_for(spec)
    with torch.no_grad():
        # As in make_cell_golden.py: keep b_ih and b_hh clearly distinct.
        for name, parameter in net.named_parameters():
            if "bias" in name:
                parameter.add_(torch.empty_like(parameter).uniform_(-0.1, 0.1))

    tensors = {}
    if spec["onehot"]:
        inputs = torch.randint(0, spec["input"], (T, B), dtype=torch.int64)
        tensors["tokens"] = inputs
    else:
        inputs = torch.randn(T, B, spec["input"], requires_grad=True)
        tensors["x"] = inputs

    lengths = None
    if spec["lengths"] is not None:
        lengths = torch.tensor(spec["lengths"], dtype=torch.int64)
        assert len(spec["lengths"]) == B and min(spec["lengths"]) >= 1 and max(spec["lengths"]) <= T
        assert min(spec["lengths"]) < T
        tensors["lengths"] = lengths

    h0 = c0 = None
    if spec["state"] == "random":
        sizes = state_sizes(spec)
        h0 = {key: torch.randn(B, h, requires_grad=True) for key, (h, _) in sizes.items()}
        if lstm:
            c0 = {key: torch.randn(B, c, requires_grad=True) for key, (_, c) in sizes.items()}

    out_shape = (T, B, O) if spec["steps"] == "all" else (B, O)
    if spec["loss"] == "ce":
        targets = torch.randint(0, O, out_shape[:-1], dtype=torch.int64)
        if lengths is not None and spec["steps"] == "all":
            targets[valid_mask(lengths, T, B) == 0] = -100
    else:
        targets = torch.randn(out_shape)
    tensors["targets"] = targets

    output, h_n, c_n = net(inputs, h0, c0, lengths)
    loss = compute_loss(spec["loss"], output, targets, lengths)
    loss.backward()
    check_per_sequence(spec, net, inputs, h0, c0, lengths, output, h_n, c_n)

    for name, parameter in net.named_parameters():
        tensors[f"param.{name}"] = parameter
        tensors[f"grad.{name}"] = parameter.grad
    if not spec["onehot"]:
        tensors["grad.x"] = inputs.grad
    for key in h_n:
        tensors[f"h_n.{key}"] = h_n[key]
        if lstm:
            tensors[f"c_n.{key}"] = c_n[key]
        if h0 is not None:
            tensors[f"h0.{key}"] = h0[key]
            tensors[f"grad.h0.{key}"] = h0[key].grad
            if lstm:
                tensors[f"c0.{key}"] = c0[key]
                tensors[f"grad.c0.{key}"] = c0[key].grad
    tensors["output"] = output
    tensors["loss"] = loss.reshape(1)

    for name, tensor in tensors.items():
        assert tensor is not None, f"{spec['name']}: {name} missing"
        assert tensor.dtype == torch.int64 or torch.isfinite(tensor).all(), f"{spec['name']}: {name} not finite"

    metadata = {
        "cell": spec["cell"],
        "hidden": ",".join(str(h) for h in spec["hidden"]),
        "input_kind": "onehot" if spec["onehot"] else "vector",
        "input": spec["input"],
        "vocab": spec["input"] if spec["onehot"] else 0,
        "output": O,
        "steps": spec["steps"],
        "loss": spec["loss"],
        "seq_len": T,
        "batch": B,
        "bias": "true",
        "state": spec["state"],
        "bidirectional": "true" if spec["bidirectional"] else "false",
        "merge": spec["merge"] if spec["bidirectional"] else "none",
        "lengths": "fixed" if lengths is None else "variable",
        "proj": spec["proj"],
        "reset_after": "true" if spec["reset_after"] else "false",
    }
    path = os.path.join(HERE, "topologies", spec["name"] + ".safetensors")
    safetensors_io.write(path, tensors, metadata)
    return path


def check_per_sequence(spec, net, inputs, h0, c0, lengths, output, h_n, c_n):
    """Runs each batch row alone on its own valid prefix (no packing, no padding) and requires the same results.

    This checks the packed semantics independently: h_n is the state after step len-1 forwards and after x[0]
    backwards, and outputs at valid steps do not depend on other rows or on padding.
    """
    with torch.no_grad():
        for b in range(spec["batch"]):
            length = spec["seq_len"] if lengths is None else int(lengths[b])
            one_h0 = None if h0 is None else {key: value[b : b + 1] for key, value in h0.items()}
            one_c0 = None if c0 is None else {key: value[b : b + 1] for key, value in c0.items()}
            one_out, one_h, one_c = net(inputs[:length, b : b + 1], one_h0, one_c0)
            expected = output[:length, b] if spec["steps"] == "all" else output[b]
            actual = one_out[:, 0] if spec["steps"] == "all" else one_out[0]
            assert torch.allclose(actual, expected, atol=1e-6), f"{spec['name']}: row {b} output differs"
            for key in h_n:
                assert torch.allclose(one_h[key][0], h_n[key][b], atol=1e-6), f"{spec['name']}: h_n.{key}[{b}]"
                if c_n:
                    assert torch.allclose(one_c[key][0], c_n[key][b], atol=1e-6), f"{spec['name']}: c_n.{key}[{b}]"
            if spec["steps"] == "all" and lengths is not None:
                assert not output[length:, b].any(), f"{spec['name']}: row {b} has non-zero padded outputs"


def check_chain_matches_num_layers(cell, sizes, seed, bidirectional=False, proj=0, lengths=None):
    """The renamed single-layer chain equals PyTorch's num_layers=L module (packed too), bit for bit."""
    torch.manual_seed(seed)
    I, H, L, T, B = sizes
    net = TopologyNet(cell, I, [H] * L, 2, bidirectional=bidirectional, proj=proj)
    reference = make_module(cell, I, H, True, L, bidirectional, proj)
    state = {k: v for k, v in net.state_dict().items() if not k.startswith("head.")}
    reference.load_state_dict(state, strict=True)
    x = torch.randn(T, B, I)
    with torch.no_grad():
        if lengths is None:
            expected, final = reference(x)
        else:
            lengths = torch.tensor(lengths, dtype=torch.int64)
            packed, final = reference(pack_padded_sequence(x, lengths, enforce_sorted=False))
            expected = pad_packed_sequence(packed, total_length=T)[0]
        actual, h_n, _ = net.recurrent(x, lengths=lengths)
    label = f"{cell} bidirectional={bidirectional} proj={proj} lengths={lengths}"
    assert torch.equal(expected, actual), label
    h = final[0] if cell == "lstm" else final
    directions = 2 if bidirectional else 1
    for k in range(L):
        for d, suffix in enumerate(["", "_reverse"][:directions]):
            assert torch.equal(h[k * directions + d], h_n[f"l{k}{suffix}"]), f"{label}: h_n.l{k}{suffix}"


def check_gru_loop_matches_module():
    """gru_loop with reset_after=True reproduces nn.GRU, so its gate slicing is PyTorch's (r, z, n)."""
    torch.manual_seed(4)
    gru = nn.GRU(5, 7)
    x, h0 = torch.randn(6, 3, 5), torch.randn(1, 3, 7)
    with torch.no_grad():
        expected, expected_h = gru(x, h0)
        actual, actual_h = gru_loop(gru, x, h0, reset_after=True)
        before, _ = gru_loop(gru, x, h0, reset_after=False)
    assert torch.allclose(actual, expected, atol=1e-6) and torch.allclose(actual_h, expected_h, atol=1e-6)
    assert not torch.allclose(before, expected, atol=1e-3), "reset-before must differ from PyTorch's GRU"


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(os.path.join(HERE, "topologies"), exist_ok=True)
    check_gru_loop_matches_module()
    check_chain_matches_num_layers("lstm", (4, 6, 2, 5, 3), 11, bidirectional=True)
    check_chain_matches_num_layers("gru", (3, 5, 3, 4, 2), 12, bidirectional=True)
    check_chain_matches_num_layers("lstm", (3, 6, 2, 4, 2), 13, proj=4)
    check_chain_matches_num_layers("lstm", (4, 5, 2, 6, 3), 14, lengths=[3, 6, 1])
    check_chain_matches_num_layers("gru", (3, 4, 2, 5, 3), 15, bidirectional=True, lengths=[5, 1, 3])
    for spec in CASES:
        path = make_case(spec)
        print(f"{os.path.relpath(path, HERE)}  {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
