# Minimal safetensors reader/writer for the golden-vector scripts.
#
# Debian's python3-torch ships without the `safetensors` package, so the format is written by hand:
#   u64 little-endian header length N, then N bytes of JSON
#   {"__metadata__": {str: str}, name: {"dtype", "shape", "data_offsets": [begin, end]}, ...}
#   padded with spaces so that N is a multiple of 8, then the raw little-endian tensor bytes.
# Tensors are stored sorted by name with no gaps, which is also the order the Rust writer uses when all
# tensors share one dtype alignment. Only F32 and I64 are needed here.

import json
import struct

import numpy as np
import torch

_DTYPES = {
    torch.float32: ("F32", "<f4"),
    torch.int64: ("I64", "<i8"),
}
_NUMPY_BY_NAME = {name: np_dtype for name, np_dtype in _DTYPES.values()}


def write(path, tensors, metadata=None):
    """Writes `tensors` (name -> torch.Tensor) and optional string metadata to `path`."""
    header = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    chunks = []
    offset = 0
    for name in sorted(tensors):
        tensor = tensors[name].detach().cpu().contiguous()
        if tensor.dtype not in _DTYPES:
            raise ValueError(f"tensor '{name}' has dtype {tensor.dtype}; expected float32 or int64")
        dtype_name, np_dtype = _DTYPES[tensor.dtype]
        data = tensor.numpy().astype(np_dtype, copy=False).tobytes()
        header[name] = {
            "dtype": dtype_name,
            "shape": list(tensor.shape),
            "data_offsets": [offset, offset + len(data)],
        }
        chunks.append(data)
        offset += len(data)
    header_bytes = json.dumps(header, separators=(",", ":")).encode("utf-8")
    header_bytes += b" " * (-len(header_bytes) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(header_bytes)))
        f.write(header_bytes)
        for chunk in chunks:
            f.write(chunk)


def read(path):
    """Returns (tensors, metadata) from a safetensors file; tensors map name -> torch.Tensor."""
    with open(path, "rb") as f:
        blob = f.read()
    (header_length,) = struct.unpack_from("<Q", blob, 0)
    header = json.loads(blob[8 : 8 + header_length].decode("utf-8"))
    metadata = header.pop("__metadata__", {}) or {}
    data = memoryview(blob)[8 + header_length :]
    tensors = {}
    for name, info in header.items():
        if info["dtype"] not in _NUMPY_BY_NAME:
            raise ValueError(f"tensor '{name}' has dtype {info['dtype']}; this reader handles F32 and I64")
        begin, end = info["data_offsets"]
        array = np.frombuffer(data[begin:end], dtype=_NUMPY_BY_NAME[info["dtype"]]).reshape(info["shape"])
        tensors[name] = torch.from_numpy(array.copy())
    return tensors, metadata
