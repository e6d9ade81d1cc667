"""Seeding and stateless hashing for the demo generator.

Every chunk of records gets its own generator seeded from ``(seed, source, *chunk key)`` through numpy's
``SeedSequence``, so a chunk's content does not depend on which process makes it or in what order. Attributes
that must agree across chunks (a product's title, a user's name) come from :func:`mix64`, a bijective 64-bit
mixer, applied to the entity's index: no shared state is needed between worker processes.
"""
from __future__ import annotations

import uuid
import zlib

import numpy as np

MASK64 = (1 << 64) - 1
_ALNUM_UPPER = np.frombuffer(b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", dtype=np.uint8)
_ALNUM_LOWER = np.frombuffer(b"0123456789abcdefghijklmnopqrstuvwxyz", dtype=np.uint8)
_BASE64URL = np.frombuffer(b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", dtype=np.uint8)
_HEX = np.frombuffer(b"0123456789abcdef", dtype=np.uint8)


def name_code(name: str) -> int:
    """A stable integer for a string key (CRC-32; Python's ``hash`` is salted per process)."""
    return zlib.crc32(name.encode("utf-8"))


def _entropy(seed: int, parts: tuple) -> list[int]:
    out = [int(seed) & MASK64]
    for part in parts:
        out.append(name_code(part) if isinstance(part, str) else int(part) & MASK64)
    return out


def chunk_rng(seed: int, source: str, *key: int | str) -> np.random.Generator:
    """The random generator of one chunk: a function of (seed, source, chunk key) only."""
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(_entropy(seed, (source, *key)))))


def seed_key(seed: int, *parts: int | str) -> np.uint64:
    """A 64-bit key derived from the seed and a purpose, to be mixed with entity indices."""
    state = np.random.SeedSequence(_entropy(seed, parts)).generate_state(2, dtype=np.uint64)
    return np.uint64(state[0])


def mix64(x: np.ndarray | int) -> np.ndarray:
    """splitmix64's finaliser: a bijection on uint64 (distinct inputs give distinct outputs)."""
    z = np.array(x, dtype=np.uint64, copy=True, ndmin=1)
    z ^= z >> np.uint64(30)
    z *= np.uint64(0xBF58476D1CE4E5B9)
    z ^= z >> np.uint64(27)
    z *= np.uint64(0x94D049BB133111EB)
    z ^= z >> np.uint64(31)
    return z


def hash_pick(keys: np.ndarray, salt: int, n_options: int) -> np.ndarray:
    """Deterministic choice in ``range(n_options)`` per key (for attributes of a fixed entity)."""
    with np.errstate(over="ignore"):
        salted = keys.astype(np.uint64) + np.uint64((salt * 0x9E3779B97F4A7C15) & MASK64)
    return (mix64(salted) % np.uint64(n_options)).astype(np.int64)


def _encode(x: np.ndarray, width: int, alphabet: np.ndarray) -> list[str]:
    """Fixed-width positional encoding of uint64 values (most significant digit first)."""
    x = np.array(x, dtype=np.uint64, copy=True, ndmin=1)
    base = np.uint64(len(alphabet))
    out = np.empty((x.size, width), dtype=np.uint8)
    for i in range(width - 1, -1, -1):
        out[:, i] = alphabet[(x % base).astype(np.intp)]
        x //= base
    return out.view(f"S{width}").ravel().astype(f"U{width}").tolist()


def base36_upper(x: np.ndarray, width: int) -> list[str]:
    return _encode(x, width, _ALNUM_UPPER)


def base36_lower(x: np.ndarray, width: int) -> list[str]:
    return _encode(x, width, _ALNUM_LOWER)


def base64url(x: np.ndarray, width: int) -> list[str]:
    return _encode(x, width, _BASE64URL)


def hex_digits(x: np.ndarray, width: int) -> list[str]:
    return _encode(x, width, _HEX)


def uuid_from(rng: np.random.Generator) -> str:
    """A version-4-shaped UUID (8-4-4-4-12 hex) drawn from ``rng``: deterministic."""
    return str(uuid.UUID(bytes=rng.bytes(16), version=4))


def heavy_tailed_index(rng: np.random.Generator, pool: int, n: int, power: float = 3.0) -> np.ndarray:
    """Indices in ``range(pool)`` with a heavy head: index = floor(pool * u**power)."""
    u = rng.random(n)
    return np.minimum((pool * u**power).astype(np.int64), pool - 1)
