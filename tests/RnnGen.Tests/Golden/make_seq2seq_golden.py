# Makes PyTorch reference vectors for RnnGen's compositions of generated models (src/RnnGen/Sequences):
#   seq2seq_*  an encoder-decoder: nn.Embedding + recurrent encoder; its final (h, c) of every layer is the initial
#              state of the same layer of an nn.Embedding + recurrent decoder with a Linear head; CrossEntropyLoss
#              (mean, ignore_index=-100) over the target steps; teacher forcing ratio 1 (decoder input at step 0 is
#              BOS, then the previous target, with EOS after a padded target).
#   seeder_*   one-to-many state seeding: s = tanh(seed(v)) with seed = nn.Linear(F, S); s is split into every
#              layer's h0 (then every LSTM layer's c0 when seed_cells=true) of an nn.Embedding + recurrent decoder
#              with a Linear head, trained with teacher forcing and the same loss.
#
# Run (Debian's torch, not the python3 on PATH):
#     /usr/bin/python3 tests/RnnGen.Tests/Golden/make_seq2seq_golden.py
# It rewrites seq2seq/<case>.safetensors next to this script, byte for byte: every case calls torch.manual_seed with
# the CRC-32 of its name, runs float32 on the CPU with one thread, and the writer sorts tensors by name. Recurrent
# stacks are chains of single-layer modules (as in make_cell_golden.py), so each layer's (h_n, c_n) is at hand.
# Conventions are docs/golden.md's (time-major, biases shifted by U(-0.1, 0.1), int64 ids, -100 = ignored target).
#
# Tensors per file (tests/RnnGen.Tests/Sequences/Seq2SeqGoldenTests.cs reads them):
#   param.encoder.<p>, grad.encoder.<p>   seq2seq: the encoder's state_dict names (embedding.weight, weight_ih_l{k}, ...)
#   param.decoder.<p>, grad.decoder.<p>   the decoder's, with head.weight / head.bias
#   param.seed.weight [S, F], param.seed.bias [S], their grad.   seeder: S = sum(hidden) (x2 with seed_cells)
#   source [T_src, B] I64 (seq2seq), vectors [B, F] and grad.vectors (seeder)
#   target [T_tgt, B] I64 with -100 after each row's EOS; decoder_inputs [T_tgt, B] I64; logits [T_tgt, B, V]; loss [1]
# __metadata__: kind, cell, hidden, target_vocab, target_embedding, target_len, batch, bos, eos, plus source_vocab,
# source_embedding, source_len (seq2seq) or vector, seed_cells (seeder).

import os
import sys
import zlib

import torch
from torch import nn

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BOS, EOS = 0, 1


def make_module(cell, input_size, hidden):
    return {"lstm": nn.LSTM, "gru": nn.GRU}[cell](input_size, hidden)


class Stack(nn.Module):
    """nn.Embedding, then a chain of single-layer modules whose *_l0 parameters are exposed as *_l{k}, then an
    optional Linear head named head.*; the names are exactly a generated model's state_dict."""

    def __init__(self, cell, vocab, embedding, hidden, output=0):
        super().__init__()
        self.cell = cell
        self.embedding = nn.Embedding(vocab, embedding)
        self.layers = []
        previous = embedding
        for k, size in enumerate(hidden):
            layer = make_module(cell, previous, size)
            for name, parameter in layer.named_parameters():
                self.register_parameter(name.replace("_l0", f"_l{k}"), parameter)
            self.layers.append(layer)
            previous = size
        self.head = nn.Linear(previous, output) if output else None

    def forward(self, tokens, h0=None, c0=None):
        """Returns (head output or top sequence, [h_n per layer], [c_n per layer])."""
        sequence = self.embedding(tokens)
        h_n, c_n = [], []
        for k, layer in enumerate(self.layers):
            if self.cell == "lstm":
                state = None if h0 is None else (h0[k].unsqueeze(0), c0[k].unsqueeze(0))
                sequence, (h, c) = layer(sequence, state)
                c_n.append(c[0])
            else:
                sequence, h = layer(sequence, None if h0 is None else h0[k].unsqueeze(0))
            h_n.append(h[0])
        return (self.head(sequence) if self.head is not None else sequence), h_n, c_n


def shift_biases(module):
    # As in make_cell_golden.py: keep b_ih and b_hh clearly distinct.
    with torch.no_grad():
        for name, parameter in module.named_parameters():
            if "bias" in name:
                parameter.add_(torch.empty_like(parameter).uniform_(-0.1, 0.1))


def teacher_forced_inputs(target):
    inputs = torch.empty_like(target)
    inputs[0] = BOS
    previous = target[:-1].clone()
    previous[previous == -100] = EOS
    inputs[1:] = previous
    return inputs


def random_targets(steps, batch, vocab, pad_from):
    """Ids in [2, vocab) ending in EOS at pad_from[b] - 1, then -100 (ignored) up to `steps`."""
    target = torch.randint(2, vocab, (steps, batch), dtype=torch.int64)
    for b, length in enumerate(pad_from):
        target[length - 1, b] = EOS
        target[length:, b] = -100
    return target


def add_parameters(tensors, prefix, module):
    for name, parameter in module.named_parameters():
        tensors[f"param.{prefix}{name}"] = parameter.detach().clone()
        tensors[f"grad.{prefix}{name}"] = parameter.grad.detach().clone()


def seed_of(name):
    return zlib.crc32(name.encode("utf-8")) & 0x7FFFFFFF


def seq2seq_case(name, cell, hidden, source_vocab, source_embedding, target_vocab, target_embedding,
                 source_len, target_len, batch, target_lengths):
    torch.manual_seed(seed_of(name))
    encoder = Stack(cell, source_vocab, source_embedding, hidden)
    decoder = Stack(cell, target_vocab, target_embedding, hidden, target_vocab)
    shift_biases(encoder)
    shift_biases(decoder)
    source = torch.randint(0, source_vocab, (source_len, batch), dtype=torch.int64)
    target = random_targets(target_len, batch, target_vocab, target_lengths)
    inputs = teacher_forced_inputs(target)

    _, h_n, c_n = encoder(source)
    logits, _, _ = decoder(inputs, h_n, c_n)
    loss = nn.functional.cross_entropy(logits.reshape(-1, target_vocab), target.reshape(-1))
    loss.backward()

    tensors = {"source": source, "target": target, "decoder_inputs": inputs, "loss": loss.detach().reshape(1),
               "logits": logits.detach()}
    add_parameters(tensors, "encoder.", encoder)
    add_parameters(tensors, "decoder.", decoder)
    metadata = {"kind": "seq2seq", "cell": cell, "hidden": ",".join(map(str, hidden)),
                "source_vocab": source_vocab, "source_embedding": source_embedding,
                "target_vocab": target_vocab, "target_embedding": target_embedding,
                "source_len": source_len, "target_len": target_len, "batch": batch, "bos": BOS, "eos": EOS}
    return name, tensors, metadata


def seeder_case(name, cell, hidden, vector, seed_cells, vocab, embedding, steps, batch, target_lengths):
    torch.manual_seed(seed_of(name))
    cells = seed_cells and cell == "lstm"
    seed = nn.Linear(vector, sum(hidden) * (2 if cells else 1))
    decoder = Stack(cell, vocab, embedding, hidden, vocab)
    shift_biases(seed)
    shift_biases(decoder)
    vectors = torch.randn(batch, vector, requires_grad=True)
    target = random_targets(steps, batch, vocab, target_lengths)
    inputs = teacher_forced_inputs(target)

    seeded = torch.tanh(seed(vectors))
    pieces = list(seeded.split(list(hidden) * (2 if cells else 1), dim=1))
    h0 = pieces[: len(hidden)]
    c0 = pieces[len(hidden):] if cells else [torch.zeros(batch, size) for size in hidden]
    logits, _, _ = decoder(inputs, h0, c0)
    loss = nn.functional.cross_entropy(logits.reshape(-1, vocab), target.reshape(-1))
    loss.backward()

    tensors = {"vectors": vectors.detach(), "grad.vectors": vectors.grad.detach(), "target": target,
               "decoder_inputs": inputs, "loss": loss.detach().reshape(1), "logits": logits.detach()}
    add_parameters(tensors, "seed.", seed)
    add_parameters(tensors, "decoder.", decoder)
    metadata = {"kind": "seeder", "cell": cell, "hidden": ",".join(map(str, hidden)), "vector": vector,
                "seed_cells": "true" if seed_cells else "false", "target_vocab": vocab, "target_embedding": embedding,
                "target_len": steps, "batch": batch, "bos": BOS, "eos": EOS}
    return name, tensors, metadata


CASES = [
    lambda: seq2seq_case("seq2seq_lstm_l2", "lstm", [6, 5], 7, 3, 9, 4, 5, 4, 3, [4, 2, 3]),
    lambda: seq2seq_case("seq2seq_gru_l1", "gru", [7], 5, 3, 6, 3, 4, 6, 2, [6, 3]),
    lambda: seeder_case("seeder_lstm_l2", "lstm", [6, 5], 5, True, 8, 3, 4, 3, [4, 3, 2]),
    lambda: seeder_case("seeder_gru_l1", "gru", [7], 3, False, 6, 4, 5, 2, [5, 2]),
]


def main():
    torch.set_num_threads(1)
    torch.use_deterministic_algorithms(True)
    os.makedirs(os.path.join(HERE, "seq2seq"), exist_ok=True)
    for make in CASES:
        name, tensors, metadata = make()
        path = os.path.join(HERE, "seq2seq", name + ".safetensors")
        safetensors_io.write(path, tensors, {k: str(v) for k, v in metadata.items()})
        print(f"{os.path.relpath(path, HERE)}  {os.path.getsize(path)} bytes")


if __name__ == "__main__":
    main()
