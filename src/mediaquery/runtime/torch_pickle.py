"""Read legacy (pre-zip) PyTorch ``.pth`` state dicts into numpy arrays, without torch.

Layout of a legacy file: five pickles back to back (magic number, protocol version,
system info, the object itself, the list of storage keys), then for each storage key
an 8-byte little-endian element count followed by the raw element bytes. Tensors in
the main pickle point at storages through ``persistent_id`` tuples.

Only a fixed allow-list of globals can be resolved, so loading a file never runs
arbitrary code; torch classes are replaced by inert placeholders.
"""

from __future__ import annotations

import collections
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

__all__ = ["load_state_dict"]

_MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
_PROTOCOL_VERSION = 1001

_STORAGE_DTYPES: dict[str, str] = {
    "FloatStorage": "f4",
    "DoubleStorage": "f8",
    "HalfStorage": "f2",
    "LongStorage": "i8",
    "IntStorage": "i4",
    "ShortStorage": "i2",
    "CharStorage": "i1",
    "ByteStorage": "u1",
    "BoolStorage": "b1",
}


@dataclass(frozen=True)
class _StorageType:
    """Stands in for a ``torch.*Storage`` class; only its element type matters."""

    dtype: str


@dataclass(frozen=True)
class _StorageRef:
    key: str
    dtype: str
    size: int
    # Legacy storage views: (offset, size) into the root storage, in elements.
    view: tuple[int, int] | None


@dataclass(frozen=True)
class _TensorRef:
    storage: _StorageRef
    offset: int
    shape: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(
    storage: _StorageRef,
    storage_offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    *_rest: Any,
) -> _TensorRef:
    """Placeholder for ``torch._utils._rebuild_tensor_v2`` (ignores grad flags and hooks)."""
    return _TensorRef(storage, int(storage_offset), tuple(size), tuple(stride))


def _rebuild_parameter(data: _TensorRef, *_rest: Any) -> _TensorRef:
    """Placeholder for ``torch._utils._rebuild_parameter``: a parameter is just its tensor."""
    return data


def _allowed_global(module: str, name: str) -> Any:
    if (module, name) == ("collections", "OrderedDict"):
        return collections.OrderedDict
    if (module, name) == ("torch._utils", "_rebuild_tensor_v2"):
        return _rebuild_tensor_v2
    if (module, name) == ("torch._utils", "_rebuild_parameter"):
        return _rebuild_parameter
    if module == "torch" and name in _STORAGE_DTYPES:
        return _StorageType(_STORAGE_DTYPES[name])
    raise pickle.UnpicklingError(f"global {module}.{name} is not allowed in a state dict")


class _NoGlobalsUnpickler(pickle.Unpickler):
    """For the small header pickles, which hold only plain Python values."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"global {module}.{name} is not allowed here")


class _StateDictUnpickler(pickle.Unpickler):
    def __init__(self, file: IO[bytes]) -> None:
        super().__init__(file)
        self.storages: dict[str, _StorageRef] = {}

    def find_class(self, module: str, name: str) -> Any:
        return _allowed_global(module, name)

    def persistent_load(self, pid: Any) -> _StorageRef:
        if not (isinstance(pid, tuple) and len(pid) >= 5 and pid[0] == "storage"):
            raise pickle.UnpicklingError(f"unsupported persistent id {pid!r}")
        storage_type, key, _location, size = pid[1:5]
        if not isinstance(storage_type, _StorageType):
            raise pickle.UnpicklingError(f"unsupported storage type {storage_type!r}")
        view_metadata = pid[5] if len(pid) > 5 else None
        view = None
        if view_metadata is not None:
            _view_key, view_offset, view_size = view_metadata
            view = (int(view_offset), int(view_size))
        ref = _StorageRef(str(key), storage_type.dtype, int(size), view)
        self.storages.setdefault(ref.key, ref)
        return ref


def _read_header(f: IO[bytes]) -> str:
    """Check magic number and protocol; return the numpy byte-order character."""
    start = f.read(4)
    if start.startswith(b"PK\x03\x04"):
        raise ValueError(
            "zip-format torch file (torch >= 1.6 default) is not supported; "
            "re-save it with torch.save(..., _use_new_zipfile_serialization=False)"
        )
    f.seek(0)
    try:
        magic = _NoGlobalsUnpickler(f).load()
        protocol = _NoGlobalsUnpickler(f).load()
        sys_info = _NoGlobalsUnpickler(f).load()
    except Exception as exc:
        raise ValueError(f"not a legacy torch pickle: {exc}") from exc
    if magic != _MAGIC_NUMBER:
        raise ValueError("not a legacy torch pickle: wrong magic number")
    if protocol != _PROTOCOL_VERSION:
        raise ValueError(f"unsupported legacy torch protocol version {protocol!r}")
    little = sys_info.get("little_endian", True) if isinstance(sys_info, dict) else True
    return "<" if little else ">"


def _read_storages(
    f: IO[bytes], refs: dict[str, _StorageRef], byteorder: str
) -> dict[str, np.ndarray]:
    keys = _NoGlobalsUnpickler(f).load()
    if not isinstance(keys, list):
        raise ValueError("corrupt torch file: storage key list missing")
    storages: dict[str, np.ndarray] = {}
    for key in keys:
        ref = refs.get(key)
        if ref is None:
            raise ValueError(f"corrupt torch file: storage {key!r} is not referenced")
        dtype = np.dtype(byteorder + ref.dtype)
        count = int.from_bytes(f.read(8), "little")
        data = f.read(count * dtype.itemsize)
        if len(data) != count * dtype.itemsize:
            raise ValueError(f"truncated torch file: storage {key!r} is incomplete")
        storages[key] = np.frombuffer(data, dtype=dtype)
    return storages


def _materialise(tensor: _TensorRef, storages: dict[str, np.ndarray]) -> np.ndarray:
    """Copy a (possibly non-contiguous) tensor out of its storage as a C-contiguous array."""
    flat = storages.get(tensor.storage.key)
    if flat is None:
        raise ValueError(f"corrupt torch file: storage {tensor.storage.key!r} missing")
    if tensor.storage.view is not None:
        view_offset, view_size = tensor.storage.view
        flat = flat[view_offset : view_offset + view_size]
    if len(tensor.shape) != len(tensor.stride):
        raise ValueError("corrupt torch file: shape and stride disagree")
    if any(dim == 0 for dim in tensor.shape):
        return np.zeros(tensor.shape, dtype=flat.dtype.newbyteorder("="))
    # Bounds check before as_strided, which would otherwise read arbitrary memory.
    last = tensor.offset + sum(
        (d - 1) * s for d, s in zip(tensor.shape, tensor.stride, strict=True)
    )
    if tensor.offset < 0 or min(tensor.stride, default=0) < 0 or last >= flat.size:
        raise ValueError("corrupt torch file: tensor lies outside its storage")
    view = np.lib.stride_tricks.as_strided(
        flat[tensor.offset :],
        shape=tensor.shape,
        strides=tuple(s * flat.itemsize for s in tensor.stride),
        writeable=False,
    )
    return np.ascontiguousarray(view, dtype=flat.dtype.newbyteorder("="))


def load_state_dict(path: str | Path) -> dict[str, np.ndarray]:
    """Load a legacy torch state dict as name -> contiguous numpy array (torch not needed)."""
    with open(path, "rb") as f:
        byteorder = _read_header(f)
        unpickler = _StateDictUnpickler(f)
        try:
            obj = unpickler.load()
            storages = _read_storages(f, unpickler.storages, byteorder)
        except Exception as exc:  # garbage pickles fail in many different ways
            raise ValueError(f"cannot read torch state dict {path}: {exc}") from exc
    if not isinstance(obj, dict):
        raise ValueError(f"{path} holds a {type(obj).__name__}, not a state dict")
    result: dict[str, np.ndarray] = {}
    for name, value in obj.items():
        if not isinstance(value, _TensorRef):
            raise ValueError(f"state dict entry {name!r} is not a tensor")
        result[str(name)] = _materialise(value, storages)
    return result
