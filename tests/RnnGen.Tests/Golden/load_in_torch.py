# Manual proof that weight files written by RnnGen load in PyTorch.
#
# Run (Debian's torch, not the python3 on PATH):
#     /usr/bin/python3 tests/RnnGen.Tests/Golden/load_in_torch.py WEIGHTS [EXPECTED] [--tol 1e-5]
# WEIGHTS is a safetensors file that RnnGen saved for a model with the shapes of EXPECTED; its tensor names
# must be exactly the module's state_dict names (weight_ih_l0 ... bias_hh_l{L-1}, head.weight, head.bias,
# embedding.weight), because it is loaded with load_state_dict(strict=True). EXPECTED is a golden file
# with __metadata__ describing the model, its input (x or tokens), optional h0.l{k}/c0.l{k} and the
# expected output; by default torch_interop/lstm_torch_written.expected.safetensors (an
# nn.LSTM(4, 7, num_layers=2) + Linear(7, 3) model). Every cells/<case>.safetensors file works as EXPECTED too.
# Prints the max abs difference of output, h_n and c_n; exits 1 when any exceeds --tol.

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402
from make_cell_golden import net_from_metadata  # noqa: E402

DEFAULT_EXPECTED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "torch_interop",
                                "lstm_torch_written.expected.safetensors")


def per_layer(tensors, prefix, layers):
    if f"{prefix}.l0" not in tensors:
        return None
    return [tensors[f"{prefix}.l{k}"] for k in range(layers)]


def main():
    parser = argparse.ArgumentParser(description="Loads an RnnGen weight file in PyTorch and compares outputs.")
    parser.add_argument("weights")
    parser.add_argument("expected", nargs="?", default=DEFAULT_EXPECTED)
    parser.add_argument("--tol", type=float, default=1e-5)
    args = parser.parse_args()

    weights, _ = safetensors_io.read(args.weights)
    expected, metadata = safetensors_io.read(args.expected)
    net = net_from_metadata(metadata)
    net.load_state_dict(weights, strict=True)
    print(f"loaded {len(weights)} tensors into {metadata['cell']} hidden={metadata['hidden']} with strict=True")

    layers = len(metadata["hidden"].split(","))
    inputs = expected["tokens"] if "tokens" in expected else expected["x"]
    with torch.no_grad():
        output, h_n, c_n = net(inputs, per_layer(expected, "h0", layers), per_layer(expected, "c0", layers))

    worst = 0.0
    pairs = [("output", output)] + [(f"h_n.l{k}", h) for k, h in enumerate(h_n)]
    pairs += [(f"c_n.l{k}", c) for k, c in enumerate(c_n)]
    for name, actual in pairs:
        if name in expected:
            difference = (actual - expected[name]).abs().max().item()
            worst = max(worst, difference)
            print(f"max abs difference {name}: {difference:.3g}")
    return 0 if worst <= args.tol else 1


if __name__ == "__main__":
    sys.exit(main())
