#!/usr/bin/python3
# Makes the PyTorch reference vectors for the optimiser, gradient-clipping and learning-rate-schedule tests.
#
# Run from the repository root with Debian's PyTorch 1.13 (apt-get install -y python3-torch):
#     /usr/bin/python3 tests/RnnGen.Tests/Golden/optim/make_optim_golden.py
# It rewrites the *.safetensors files next to this script; commit them. The C# tests only read those files and
# never need torch. Output is deterministic (fixed seeds, single thread).
#
# Every file is plain safetensors (8-byte little-endian header length, JSON header, raw little-endian data), written
# here by hand so the script needs nothing beyond torch. Hyper-parameters travel in "__metadata__" as Python reprs of
# doubles. Except in the "defaults" cases they are float32-representable, so the C# float hyper-parameters equal
# PyTorch's doubles exactly.
import json
import math
import os
import struct

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
SIZE = 37  # crosses the 8- and 16-float vector widths and leaves a 5-element tail
STEPS = 25


def f32(x):
    """The nearest float32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def save(name, tensors, metadata):
    header = {"__metadata__": {k: str(v) for k, v in metadata.items()}}
    blobs = []
    offset = 0
    for key, tensor in tensors.items():
        tensor = tensor.detach().contiguous()
        dtype = {torch.float32: "F32", torch.float64: "F64"}[tensor.dtype]
        data = tensor.numpy().astype("<f4" if dtype == "F32" else "<f8").tobytes()
        header[key] = {"dtype": dtype, "shape": list(tensor.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(os.path.join(HERE, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def trajectory(name, make_optimizer, metadata, seed):
    """Minimises a noisy diagonal quadratic; records the gradient fed at every step and the parameters after it."""
    g = torch.Generator().manual_seed(seed)
    initial = torch.randn(SIZE, generator=g)
    target = torch.randn(SIZE, generator=g)
    curvature = torch.rand(SIZE, generator=g) * 2.0
    # Two coordinates never receive a gradient, so the zero-gradient path of every optimiser is exercised.
    live = torch.ones(SIZE)
    live[3] = 0.0
    live[SIZE - 2] = 0.0
    param = torch.nn.Parameter(initial.clone())
    optimizer = make_optimizer([param])
    grads, params = [], []
    for _ in range(STEPS):
        noise = torch.randn(SIZE, generator=g) * 0.1
        grad = (curvature * (param.detach() - target) + noise) * live
        param.grad = grad.clone()
        optimizer.step()
        grads.append(grad)
        params.append(param.detach().clone())
    save(name, {"initial": initial, "gradients": torch.stack(grads), "params": torch.stack(params)}, metadata)


def optimizers():
    lr = f32(0.05)
    trajectory("sgd_plain", lambda p: torch.optim.SGD(p, lr=lr, foreach=False),
               {"optimizer": "SGD", "lr": lr}, 1)
    momentum, dampening = f32(0.9), f32(0.25)
    trajectory("sgd_momentum_dampening",
               lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum, dampening=dampening, foreach=False),
               {"optimizer": "SGD", "lr": lr, "momentum": momentum, "dampening": dampening}, 2)
    momentum, weight_decay = f32(0.8), f32(0.01)
    trajectory("sgd_nesterov_weight_decay",
               lambda p: torch.optim.SGD(p, lr=lr, momentum=momentum, nesterov=True, weight_decay=weight_decay,
                                         foreach=False),
               {"optimizer": "SGD", "lr": lr, "momentum": momentum, "nesterov": True, "weight_decay": weight_decay}, 3)

    # PyTorch's own defaults (lr=1e-3, betas=(0.9, 0.999), eps=1e-8): these doubles are not float32 values.
    trajectory("adam_defaults", lambda p: torch.optim.Adam(p, foreach=False), {"optimizer": "Adam"}, 4)
    lr, b1, b2, eps, wd = f32(0.02), f32(0.8), f32(0.99), f32(1e-6), f32(0.05)
    trajectory("adam_amsgrad_weight_decay",
               lambda p: torch.optim.Adam(p, lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd, amsgrad=True,
                                          foreach=False),
               {"optimizer": "Adam", "lr": lr, "beta1": b1, "beta2": b2, "eps": eps, "weight_decay": wd,
                "amsgrad": True}, 5)
    lr = f32(0.01)
    trajectory("adam", lambda p: torch.optim.Adam(p, lr=lr, betas=(f32(0.9), f32(0.999)), eps=f32(1e-8),
                                                  foreach=False),
               {"optimizer": "Adam", "lr": lr, "beta1": f32(0.9), "beta2": f32(0.999), "eps": f32(1e-8)}, 6)

    trajectory("adamw_defaults", lambda p: torch.optim.AdamW(p, foreach=False), {"optimizer": "AdamW"}, 7)
    lr, wd = f32(0.02), f32(0.1)
    trajectory("adamw_amsgrad",
               lambda p: torch.optim.AdamW(p, lr=lr, betas=(f32(0.9), f32(0.999)), eps=f32(1e-8), weight_decay=wd,
                                           amsgrad=True, foreach=False),
               {"optimizer": "AdamW", "lr": lr, "beta1": f32(0.9), "beta2": f32(0.999), "eps": f32(1e-8),
                "weight_decay": wd, "amsgrad": True}, 8)

    trajectory("rmsprop_defaults", lambda p: torch.optim.RMSprop(p, foreach=False), {"optimizer": "RMSprop"}, 9)
    lr, alpha, eps, wd, momentum = f32(0.01), f32(0.9), f32(1e-6), f32(0.01), f32(0.5)
    trajectory("rmsprop_centered_momentum",
               lambda p: torch.optim.RMSprop(p, lr=lr, alpha=alpha, eps=eps, weight_decay=wd, momentum=momentum,
                                             centered=True, foreach=False),
               {"optimizer": "RMSprop", "lr": lr, "alpha": alpha, "eps": eps, "weight_decay": wd,
                "momentum": momentum, "centered": True}, 10)

    trajectory("adagrad_defaults", lambda p: torch.optim.Adagrad(p, foreach=False), {"optimizer": "Adagrad"}, 11)
    lr, lr_decay, wd, init, eps = f32(0.1), f32(0.01), f32(0.02), f32(0.1), f32(1e-10)
    trajectory("adagrad_lr_decay_weight_decay",
               lambda p: torch.optim.Adagrad(p, lr=lr, lr_decay=lr_decay, weight_decay=wd,
                                             initial_accumulator_value=init, eps=eps, foreach=False),
               {"optimizer": "Adagrad", "lr": lr, "lr_decay": lr_decay, "weight_decay": wd,
                "initial_accumulator_value": init, "eps": eps}, 12)


def clipping():
    """clip_grad_norm_ on one gradient vector: below, near and above the threshold, and all zeros."""
    g = torch.Generator().manual_seed(20)
    tensors, metadata = {}, {}
    cases = [("below", 64, 0.5, f32(100.0)), ("above", 64, 3.0, f32(1.0)), ("far_above", 37, 50.0, f32(0.25)),
             ("tail", 17, 1.0, f32(0.5)), ("zeros", 33, 0.0, f32(1.0)), ("single", 1, 4.0, f32(2.0))]
    for name, length, scale, max_norm in cases:
        grad = torch.randn(length, generator=g) * scale
        param = torch.nn.Parameter(torch.zeros(length))
        param.grad = grad.clone()
        total = torch.nn.utils.clip_grad_norm_([param], max_norm)
        tensors[name + ".before"] = grad
        tensors[name + ".after"] = param.grad.clone()
        tensors[name + ".total"] = total.reshape(1)
        metadata[name + ".max_norm"] = max_norm
    save("clip_grad_norm", tensors, metadata)


def schedules():
    """lr_scheduler.StepLR and ExponentialLR: the recursive values torch reports and its closed forms, as doubles."""
    tensors, metadata = {}, {}
    steps = 40
    cases = [("step_lr", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=7, gamma=f32(0.5)),
              {"step_size": 7, "gamma": f32(0.5)}),
             ("step_lr_slow", lambda o: torch.optim.lr_scheduler.StepLR(o, step_size=3, gamma=f32(0.9)),
              {"step_size": 3, "gamma": f32(0.9)}),
             ("exponential_lr", lambda o: torch.optim.lr_scheduler.ExponentialLR(o, gamma=f32(0.95)),
              {"gamma": f32(0.95)})]
    base_lr = f32(0.1)
    for name, make, meta in cases:
        optimizer = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=base_lr)
        scheduler = make(optimizer)
        recursive, closed = [], []
        for _ in range(steps):
            recursive.append(scheduler.get_last_lr()[0])
            closed.append(scheduler._get_closed_form_lr()[0])
            optimizer.step()
            scheduler.step()
        tensors[name + ".lr"] = torch.tensor(recursive, dtype=torch.float64)
        tensors[name + ".closed_form"] = torch.tensor(closed, dtype=torch.float64)
        metadata[name + ".base_lr"] = base_lr
        for key, value in meta.items():
            metadata[name + "." + key] = value
    save("lr_schedules", tensors, metadata)


if __name__ == "__main__":
    torch.set_num_threads(1)
    optimizers()
    clipping()
    schedules()
    print("wrote", sorted(f for f in os.listdir(HERE) if f.endswith(".safetensors")))
