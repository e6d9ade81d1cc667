"""The ``arrow`` engine: the text rules as ``pyarrow.compute`` kernels (RE2 regexes, vectorised string and list
kernels) run through ``DataFrame.mapInArrow``.

Everything happens on whole Arrow arrays of a batch, never row by row in Python:

1. sentences: decode a few entities (``replace_substring``, only on the strings that hold a ``&``), mark
   breaks (one ``replace_substring_regex``), strip HTML (one more), ``split_pattern`` on the break,
   ``list_flatten``, ``utf8_trim``, drop empty pieces;
2. words: ``utf8_lower``, ``’`` to ``'`` (only where there is one), one combined ``replace_substring_regex``
   (see :mod:`vocspark.text.rules`), ``split_pattern`` on the space, ``list_flatten``, ``utf8_trim`` of
   apostrophes, drop empty words;
3. tokens: one ``index_in`` against the union of the stopword lists, then a numpy table lookup
   ``is_stop[language of the word, index]`` (stopwords follow each row's own language), ``utf8_length`` for
   the minimum length, optional stemming of the distinct (language, token) pairs;
4. lists are rebuilt from offsets (``numpy.bincount`` + ``cumsum``): tokens per sentence, and per document
   by indexing the sentence offsets with the document's sentence offsets (a document's tokens are the
   concatenation of its sentences' tokens, so each sentence is normalised once and the document inherits).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from vocspark.text import rules
from vocspark.text.options import TextOptions
from vocspark.text.stem import stem_array
from vocspark.text.stopwords import stopwords

SENTENCE_STRUCT = pa.struct([pa.field("sentence", pa.string()), pa.field("tokens", pa.list_(pa.string()))])


# ------------------------------------------------------------------------------------------ column kernels
def _replace_where(texts: pa.Array, needle: str, fn) -> pa.Array:
    """``fn`` applied only to the strings that contain ``needle`` (most contain no entity, no curly quote)."""
    has = pc.fill_null(pc.match_substring(texts, needle), False)
    n_with = pc.sum(has).as_py() or 0
    if n_with == 0:
        return texts
    if n_with == len(texts):
        return fn(texts)
    return pc.replace_with_mask(texts, has, fn(texts.filter(has)))


def decode_entities(texts: pa.Array) -> pa.Array:
    """The few HTML entities review dumps carry (``&#34;``, ``&amp;``...) become their character."""

    def decode(values: pa.Array) -> pa.Array:
        for entity, char in rules.ENTITIES:
            values = pc.replace_substring(values, entity, char)
        return values

    return _replace_where(texts, "&", decode)


def split_sentences(texts: pa.Array) -> pa.Array:
    """list<string>: the sentences of each text (original case, HTML stripped, trimmed, empty ones dropped)."""
    pieces, parents = _sentence_pieces(texts)
    counts = np.bincount(parents, minlength=len(texts))
    return pa.ListArray.from_arrays(_offsets(counts), pieces, mask=texts.is_null())


def normalise(texts: pa.Array) -> pa.Array:
    """The normalised text: lowercase words joined by one space (see :mod:`rules`); null stays null."""
    return pc.binary_join(tokenize(texts), rules.WORD_SEPARATOR)


def tokenize(texts: pa.Array) -> pa.Array:
    """list<string>: the words of the normalised text (no stopword or length filter); null stays null."""
    words, parents = _words(texts)
    counts = np.bincount(parents, minlength=len(texts))
    return pa.ListArray.from_arrays(_offsets(counts), words, mask=texts.is_null())


def _words(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(words flat, index of the text each one comes from)."""
    lowered = pc.utf8_lower(pc.fill_null(texts.cast(pa.string()), ""))
    lowered = _replace_where(
        lowered, rules.CURLY_APOSTROPHE, lambda v: pc.replace_substring(v, rules.CURLY_APOSTROPHE, rules.APOSTROPHE)
    )
    spaced = pc.replace_substring_regex(lowered, rules.NORMALISE_PATTERN, rules.NORMALISE_REPLACEMENT)
    lists = pc.split_pattern(spaced, rules.WORD_SEPARATOR)
    words = pc.utf8_trim(pc.list_flatten(lists), rules.APOSTROPHE)
    parents = np.asarray(pc.list_parent_indices(lists))
    keep = np.asarray(pc.greater(pc.binary_length(words), 0))
    return words.filter(pa.array(keep)), parents[keep]


def _sentence_pieces(texts: pa.Array) -> tuple[pa.Array, np.ndarray]:
    """(sentences flat, index of the text each one comes from)."""
    texts = pc.fill_null(texts.cast(pa.string()), "")
    marked = pc.replace_substring_regex(
        decode_entities(texts), rules.SENTENCE_BREAK_PATTERN, rules.SENTENCE_BREAK_REPLACEMENT_RE2
    )
    stripped = pc.replace_substring_regex(marked, rules.HTML_PATTERN, "")
    lists = pc.split_pattern(stripped, rules.SENTENCE_BREAK)
    flat = pc.utf8_trim(pc.list_flatten(lists), rules.WHITESPACE_CHARS)
    parents = np.asarray(pc.list_parent_indices(lists))
    keep = np.asarray(pc.greater(pc.binary_length(flat), 0))
    return flat.filter(pa.array(keep)), parents[keep]


def _offsets(counts: np.ndarray) -> pa.Array:
    out = np.zeros(len(counts) + 1, dtype=np.int32)
    np.cumsum(counts, out=out[1:])
    return pa.array(out, pa.int32())


# ------------------------------------------------------------------------------------------ stopwords table
@lru_cache(maxsize=None)
def _stopword_table() -> tuple[pa.Array, np.ndarray, pa.Array]:
    """(union of all lists, is_stop[lang_code, union_index] with a False last row/column, language codes)."""
    union = sorted({w for lang in rules.LANGS for w in stopwords(lang)})
    position = {w: i for i, w in enumerate(union)}
    table = np.zeros((len(rules.LANGS) + 1, len(union) + 1), dtype=bool)
    for code, lang in enumerate(rules.LANGS):
        table[code, [position[w] for w in stopwords(lang)]] = True
    return pa.array(union, pa.string()), table, pa.array(list(rules.LANGS), pa.string())


def stopword_mask(words: pa.Array, lang_codes: np.ndarray) -> np.ndarray:
    """Boolean numpy mask: the word is a stopword of its own language (code -1 = no list)."""
    union, table, _ = _stopword_table()
    index = np.asarray(pc.fill_null(pc.index_in(words, value_set=union), -1))
    return table[lang_codes, index]


def language_codes(langs: pa.Array) -> np.ndarray:
    """0, 1, 2 for en, pt, es; -1 for anything else."""
    _, _, codes = _stopword_table()
    return np.asarray(pc.fill_null(pc.index_in(langs, value_set=codes), -1)).astype(np.int64)


# ------------------------------------------------------------------------------------------ the whole analysis
@dataclass
class Analysis:
    """Text features of a batch of documents, as flat arrays plus offsets."""

    text_clean: pa.Array  # per document
    n_sentences: np.ndarray  # per document
    sentence_offsets: np.ndarray  # per document (len n+1), into the sentence arrays
    sentences: pa.Array  # flat
    sentence_doc: np.ndarray  # per sentence: index of its document
    tokens: pa.Array  # flat, all documents
    sentence_token_offsets: np.ndarray  # per sentence (len n_sentences_total+1), into tokens

    @property
    def doc_token_offsets(self) -> np.ndarray:
        return self.sentence_token_offsets[self.sentence_offsets]

    def doc_tokens(self) -> pa.Array:
        return pa.ListArray.from_arrays(pa.array(self.doc_token_offsets, pa.int32()), self.tokens)

    def n_tokens(self) -> np.ndarray:
        return np.diff(self.doc_token_offsets).astype(np.int32)

    def sentence_tokens(self) -> pa.Array:
        return pa.ListArray.from_arrays(pa.array(self.sentence_token_offsets, pa.int32()), self.tokens)

    def sentence_index(self) -> np.ndarray:
        """0-based position of each sentence in its document."""
        return (np.arange(len(self.sentence_doc)) - self.sentence_offsets[self.sentence_doc]).astype(np.int32)


def analyse(texts: pa.Array, langs: pa.Array, options: TextOptions) -> Analysis:
    n = len(texts)
    sentences, sentence_doc = _sentence_pieces(texts)
    n_sentences = np.bincount(sentence_doc, minlength=n).astype(np.int32)
    sentence_offsets = np.asarray(_offsets(n_sentences))

    words, word_sentence = _words(sentences)

    word_counts = np.bincount(word_sentence, minlength=len(sentences))
    doc_word_offsets = np.asarray(_offsets(word_counts))[sentence_offsets]
    text_clean = pc.binary_join(
        pa.ListArray.from_arrays(pa.array(doc_word_offsets, pa.int32()), words), rules.WORD_SEPARATOR
    )

    keep = np.asarray(pc.greater_equal(pc.utf8_length(words), options.min_token_chars))
    word_doc = sentence_doc[word_sentence]
    if options.remove_stopwords:
        keep &= ~stopword_mask(words, language_codes(langs)[word_doc])
    tokens = words.filter(pa.array(keep))
    token_sentence = word_sentence[keep]
    if options.stemming:
        tokens = stem_array(tokens, pc.take(langs, pa.array(word_doc[keep])))
    token_counts = np.bincount(token_sentence, minlength=len(sentences))
    return Analysis(
        text_clean=text_clean,
        n_sentences=n_sentences,
        sentence_offsets=sentence_offsets,
        sentences=sentences,
        sentence_doc=sentence_doc,
        tokens=tokens,
        sentence_token_offsets=np.asarray(_offsets(token_counts)),
    )


# ------------------------------------------------------------------------------------------ record batches
def documents_batch(batch: pa.RecordBatch, options: TextOptions, with_sentences: bool = True) -> pa.RecordBatch:
    """The batch plus text_clean, tokens, n_tokens, n_sentences (and sentences: list<struct<sentence, tokens>>)."""
    result = analyse(batch.column("text"), batch.column("lang"), options)
    arrays = list(batch.columns) + [
        result.text_clean,
        result.doc_tokens(),
        pa.array(result.n_tokens(), pa.int32()),
        pa.array(result.n_sentences, pa.int32()),
    ]
    names = list(batch.schema.names) + ["text_clean", "tokens", "n_tokens", "n_sentences"]
    if with_sentences:
        structs = pa.StructArray.from_arrays(
            [result.sentences, result.sentence_tokens()], fields=list(SENTENCE_STRUCT)
        )
        arrays.append(pa.ListArray.from_arrays(pa.array(result.sentence_offsets, pa.int32()), structs))
        names.append("sentences")
    return pa.RecordBatch.from_arrays(arrays, names=names)


SENTENCE_ROW_COLUMNS = ("source", "doc_id", "user_id", "created_at", "month", "lang")


def sentences_batch(batch: pa.RecordBatch, options: TextOptions) -> pa.RecordBatch:
    """One row per sentence: source, doc_id, sentence_idx, user_id, created_at, month, lang, sentence, tokens."""
    result = analyse(batch.column("text"), batch.column("lang"), options)
    take = pa.array(result.sentence_doc, pa.int64())
    arrays, names = [], []
    for name in SENTENCE_ROW_COLUMNS:
        arrays.append(pc.take(batch.column(name), take))
        names.append(name)
        if name == "doc_id":
            arrays.append(pa.array(result.sentence_index(), pa.int32()))
            names.append("sentence_idx")
    arrays += [result.sentences, result.sentence_tokens()]
    names += ["sentence", "tokens"]
    return pa.RecordBatch.from_arrays(arrays, names=names)


def map_documents(options: TextOptions, with_sentences: bool = True):
    def fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield documents_batch(batch, options, with_sentences)

    return fn


def map_sentences(options: TextOptions):
    def fn(batches: Iterator[pa.RecordBatch]) -> Iterator[pa.RecordBatch]:
        for batch in batches:
            yield sentences_batch(batch, options)

    return fn
