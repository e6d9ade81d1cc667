"""Vectorised text assembly: templates with ``{slot}`` placeholders rendered for many rows at once.

A template such as ``"The {feature} is {pos_adj}."`` is split once into literals and slots. Rendering ``m`` rows
draws the template of every row, then for each template the words of every slot with one numpy call, and
concatenates the pieces as numpy object arrays (element-wise ``str`` concatenation in C). No Python loop runs
per row, which is what makes millions of rows per minute possible.

Word lists are numpy object arrays (see :func:`as_vocab`); the choice of template and words comes from a
*picker*: a seeded ``numpy.random.Generator`` for records, or :class:`HashPicker` for attributes of a fixed
entity (a product's title must be the same in every chunk).
"""
from __future__ import annotations

import functools
import re
from typing import Callable, Mapping, Sequence

import numpy as np

from vocspark.demo.rand import hash_pick

_SLOT = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

# A lone surrogate, written as a raw byte by ``str.encode("utf-8", "surrogateescape")``: how the generator puts
# bytes that are not UTF-8 into a file.
INVALID_UTF8 = "\udcff\udcfe"

Vocab = Mapping[str, np.ndarray]


def as_vocab(words: Mapping[str, Sequence[str]]) -> dict[str, np.ndarray]:
    """Word lists as numpy object arrays (what :func:`render` indexes)."""
    out = {}
    for key, values in words.items():
        arr = np.empty(len(values), dtype=object)
        arr[:] = list(values)
        out[key] = arr
    return out


def words(text: str) -> list[str]:
    """``"a|b|c"`` -> ``["a", "b", "c"]`` (compact word lists in the vocabulary modules)."""
    return [w.strip() for w in text.split("|") if w.strip()]


@functools.lru_cache(maxsize=None)
def compile_template(template: str) -> tuple[tuple[bool, str], ...]:
    """``"a {x} b"`` -> ((False, "a "), (True, "x"), (False, " b"))."""
    parts: list[tuple[bool, str]] = []
    pos = 0
    for match in _SLOT.finditer(template):
        if match.start() > pos:
            parts.append((False, template[pos : match.start()]))
        parts.append((True, match.group(1)))
        pos = match.end()
    if pos < len(template):
        parts.append((False, template[pos:]))
    return tuple(parts)


class RngPicker:
    """Choices drawn from a seeded generator (one call per template part, vectorised over rows)."""

    def __init__(self, rng: np.random.Generator):
        self.rng = rng

    def __call__(self, n_options: int, rows: np.ndarray, salt: int) -> np.ndarray:
        return self.rng.integers(0, n_options, size=rows.size)


class HashPicker:
    """Choices that are a pure function of (per-row key, place in the template): the same key always renders the
    same text, whatever other rows are rendered with it."""

    def __init__(self, keys: np.ndarray):
        self.keys = np.asarray(keys, dtype=np.uint64)

    def __call__(self, n_options: int, rows: np.ndarray, salt: int) -> np.ndarray:
        return hash_pick(self.keys[rows], salt, n_options)


# pick(n_options, rows, salt) -> one index in range(n_options) per row; salt names the place of the choice
Picker = Callable[[int, np.ndarray, int], np.ndarray]


def _concat(acc, piece):
    if acc is None:
        return piece
    return acc + piece


def render_rows(templates: Sequence[str], rows: np.ndarray, pick: Picker, vocab: Vocab) -> np.ndarray:
    """Render one template (chosen by ``pick``) per entry of ``rows``; returns an object array aligned to rows."""
    rows = np.asarray(rows)
    m = rows.size
    out = np.empty(m, dtype=object)
    if m == 0:
        return out
    choice = pick(len(templates), rows, 0) if len(templates) > 1 else np.zeros(m, dtype=np.int64)
    for t_idx, template in enumerate(templates):
        sel = np.flatnonzero(choice == t_idx) if len(templates) > 1 else np.arange(m)
        if sel.size == 0:
            continue
        acc = None
        for part_idx, (is_slot, value) in enumerate(compile_template(template)):
            if is_slot:
                options = vocab[value]
                salt = 1 + t_idx * 1000 + part_idx
                piece = options[pick(len(options), rows[sel], salt)] if len(options) > 1 else options[0]
            else:
                piece = value
            acc = _concat(acc, piece)
        if isinstance(acc, str) or acc is None:
            out[sel] = acc or ""
        else:
            out[sel] = acc
    return out


def render(templates: Sequence[str], n: int, pick: Picker, vocab: Vocab) -> np.ndarray:
    return render_rows(templates, np.arange(n), pick, vocab)


def render_grouped(
    groups: np.ndarray, template_sets: Mapping[int, Sequence[str]], pick: Picker, vocabs: Mapping[int, Vocab] | Vocab
) -> np.ndarray:
    """Render row ``i`` from ``template_sets[groups[i]]`` (and ``vocabs[groups[i]]`` when a mapping per group)."""
    groups = np.asarray(groups)
    out = np.empty(groups.size, dtype=object)
    per_group = isinstance(vocabs, Mapping) and all(isinstance(k, (int, np.integer)) for k in vocabs)
    for g in np.unique(groups).tolist():
        rows = np.flatnonzero(groups == g)
        vocab = vocabs[g] if per_group else vocabs
        out[rows] = render_rows(template_sets[g], rows, pick, vocab)
    return out


def join_positions(
    columns: Sequence[np.ndarray], counts: np.ndarray, separators: Sequence[np.ndarray | str]
) -> np.ndarray:
    """Join per-row pieces: row ``i`` = columns[0][i] + sep[1][i] + columns[1][i] + ... for ``counts[i]`` pieces.

    ``separators[p]`` goes before piece ``p`` (``separators[0]`` is ignored).
    """
    out = columns[0].copy()
    for p in range(1, len(columns)):
        sel = np.flatnonzero(counts > p)
        if sel.size == 0:
            break
        sep = separators[p]
        sep_sel = sep if isinstance(sep, str) else sep[sel]
        out[sel] = out[sel] + sep_sel + columns[p][sel]
    return out


def insert_at_word(texts: Sequence[str], rng: np.random.Generator, insert: str) -> list[str]:
    """Put ``insert`` after a random space of each text (at the end when there is none). Per-row Python: only
    for the few malformed records."""
    out = []
    for text in texts:
        spaces = [i for i, ch in enumerate(text) if ch == " "]
        if spaces:
            at = spaces[int(rng.integers(0, len(spaces)))]
            out.append(text[: at + 1] + insert + text[at + 1 :])
        else:
            out.append(text + insert)
    return out


def make_over_long(text: str, min_chars: int, sep: str = " ") -> str:
    """Repeat ``text`` until it is longer than ``min_chars`` (the over_long malformed kind)."""
    if not text:
        text = "x"
    reps = min_chars // (len(text) + len(sep)) + 2
    return sep.join([text] * reps)
