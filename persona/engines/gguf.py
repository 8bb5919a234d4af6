"""Facts about a GGUF model file, read from its header without loading the model.

A GGUF file starts with key-value metadata (architecture, context length, layer and head
counts, quantization) and a table of tensors (whose shapes give the parameter count).
Reading them takes milliseconds and no memory, so the Models page can list many files.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from persona.core.errors import InputError

MAGIC = b"GGUF"
_MAX_STRING = 16 * 1024 * 1024
_MAX_COUNT = 1 << 40

_SCALARS: dict[int, str] = {
    0: "<B",  # uint8
    1: "<b",  # int8
    2: "<H",  # uint16
    3: "<h",  # int16
    4: "<I",  # uint32
    5: "<i",  # int32
    6: "<f",  # float32
    7: "<?",  # bool
    10: "<Q",  # uint64
    11: "<q",  # int64
    12: "<d",  # float64
}
_STRING, _ARRAY = 8, 9

FILE_TYPES: dict[int, str] = {
    0: "F32",
    1: "F16",
    2: "Q4_0",
    3: "Q4_1",
    7: "Q8_0",
    8: "Q5_0",
    9: "Q5_1",
    10: "Q2_K",
    11: "Q3_K_S",
    12: "Q3_K_M",
    13: "Q3_K_L",
    14: "Q4_K_S",
    15: "Q4_K_M",
    16: "Q5_K_S",
    17: "Q5_K_M",
    18: "Q6_K",
    19: "IQ2_XXS",
    20: "IQ2_XS",
    21: "Q2_K_S",
    22: "IQ3_XS",
    23: "IQ3_XXS",
    24: "IQ1_S",
    25: "IQ4_NL",
    26: "IQ3_S",
    27: "IQ3_M",
    28: "IQ2_S",
    29: "IQ2_M",
    30: "IQ4_XS",
    31: "IQ1_M",
    32: "BF16",
}
"""llama.cpp's ``general.file_type`` values (``LLAMA_FTYPE_MOSTLY_*``)."""


@dataclass(frozen=True)
class GgufInfo:
    """What the header of one GGUF file says."""

    path: Path
    size_bytes: int
    name: str
    architecture: str
    context_length: int | None
    parameters: int
    quantization: str
    block_count: int | None = None
    head_count: int | None = None
    head_count_kv: int | None = None
    embedding_length: int | None = None


def read_gguf(path: str | Path) -> GgufInfo:
    """The header facts of the GGUF file at ``path``; :class:`InputError` if it is not one."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            metadata, parameters = _read(handle, path)
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"Cannot read the model file {path}: {exc.strerror or exc}.") from exc
    except (struct.error, UnicodeDecodeError, EOFError) as exc:
        raise InputError(
            f"{path.name} is not a complete GGUF model file (its header is cut or damaged). "
            "Download it again."
        ) from exc
    arch = str(metadata.get("general.architecture", ""))

    def arch_int(key: str) -> int | None:
        value = metadata.get(f"{arch}.{key}")
        return int(value) if isinstance(value, int | float) and value > 0 else None

    file_type = metadata.get("general.file_type")
    quantization = FILE_TYPES.get(file_type, "") if isinstance(file_type, int) else ""
    return GgufInfo(
        path=path,
        size_bytes=size,
        name=str(metadata.get("general.name") or path.stem),
        architecture=arch,
        context_length=arch_int("context_length"),
        parameters=parameters,
        quantization=quantization or _quantization_from_name(path.name),
        block_count=arch_int("block_count"),
        head_count=arch_int("attention.head_count"),
        head_count_kv=arch_int("attention.head_count_kv"),
        embedding_length=arch_int("embedding_length"),
    )


def _quantization_from_name(name: str) -> str:
    upper = name.upper().replace("-", "_").replace(".", "_")
    return next((q for q in FILE_TYPES.values() if f"_{q}_" in f"_{upper}_"), "")


def _read(handle: IO[bytes], path: Path) -> tuple[dict[str, Any], int]:
    if handle.read(4) != MAGIC:
        raise InputError(f"{path.name} is not a GGUF model file: Persona runs GGUF files only.")
    (version,) = _unpack(handle, "<I")
    if version < 2:
        raise InputError(
            f"{path.name} uses GGUF version {version}, too old to read: convert it again with "
            "a recent llama.cpp."
        )
    tensor_count, kv_count = _unpack(handle, "<QQ")
    if tensor_count > _MAX_COUNT or kv_count > _MAX_COUNT:
        raise EOFError("implausible header counts")
    metadata: dict[str, Any] = {}
    for _ in range(kv_count):
        key = _string(handle)
        (kind,) = _unpack(handle, "<I")
        metadata[key] = _value(handle, kind)
    parameters = 0
    for _ in range(tensor_count):
        _string(handle)
        (dims,) = _unpack(handle, "<I")
        shape = _unpack(handle, "<" + "Q" * dims) if dims else ()
        handle.seek(12, 1)  # tensor type (uint32) and data offset (uint64)
        count = 1
        for size in shape:
            count *= size
        parameters += count
    return metadata, parameters


def _unpack(handle: IO[bytes], fmt: str) -> tuple[Any, ...]:
    size = struct.calcsize(fmt)
    data = handle.read(size)
    if len(data) != size:
        raise EOFError("the file ends inside its header")
    return struct.unpack(fmt, data)


def _string(handle: IO[bytes]) -> str:
    (length,) = _unpack(handle, "<Q")
    if length > _MAX_STRING:
        raise EOFError("implausible string length")
    data = handle.read(length)
    if len(data) != length:
        raise EOFError("the file ends inside its header")
    return data.decode("utf-8")


def _value(handle: IO[bytes], kind: int) -> Any:
    """A metadata value; arrays (tokenizer vocabularies...) are skipped and read as None."""
    if kind in _SCALARS:
        return _unpack(handle, _SCALARS[kind])[0]
    if kind == _STRING:
        return _string(handle)
    if kind == _ARRAY:
        item_kind, count = _unpack(handle, "<IQ")
        if count > _MAX_COUNT:
            raise EOFError("implausible array length")
        if item_kind in _SCALARS:
            handle.seek(struct.calcsize(_SCALARS[item_kind]) * count, 1)
        else:
            for _ in range(count):
                _value(handle, item_kind)
        return None
    raise EOFError(f"unknown metadata type {kind}")
