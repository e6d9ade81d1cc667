"""The text rules of VoC Spark, written once as regular expressions that mean the same thing in Java's regex
engine (Spark SQL ``regexp_replace``/``split``) and in RE2 (``pyarrow.compute``), so every engine gives the
same output.

Only constructs both engines support are used: character classes with ``\\p{L}`` (letters), ``\\p{M}``
(combining marks), ``\\p{N}`` (digits and other numbers), ``\\x{...}`` escapes, ``\\A``/``\\z`` anchors,
non-capturing groups and one capture group referenced from the replacement. No look-around (RE2 has none),
no ``\\s``/``\\b``/``\\w`` (their definitions differ between the engines: whitespace is spelled out).

Normalisation (:data:`NORMALISE_PATTERN`, applied to lowercased text whose curly apostrophes became ``'``):

- removed (each run of them becomes a space, then the words are joined by one space): URLs (``http://``, ``https://``,
  ``www.`` up to the next whitespace, ``<``, ``>`` or ``"``), ``@mentions``, HTML tags (``<br />``, ``<a ...>``),
  HTML entities (``&amp;``, ``&#34;``), punctuation, symbols, emoji (with their variation selectors, skin tones,
  ZWJ joiners and keycaps), whitespace of any kind and **digits** (numbers are removed: prices, dates, order
  numbers and star counts are noise for topics and classifiers and would blow up the vocabulary; a word with
  digits inside is split there, ``mp3`` gives ``mp``);
- kept: letters of any script with their accents (``ã ç é ñ ü``, precomposed or as combining marks), the word
  of a ``#hashtag`` (the ``#`` goes) and apostrophes *inside* a word (``don't``, ``i'm``, so English
  contractions meet Spark's stopword list, which spells them that way; ``’`` counts as ``'``); apostrophes
  at the start or end of a word are removed (``dogs'`` gives ``dogs``, ``'quoted'`` gives ``quoted``).
  A combining mark right after a removed character goes with it; one after a space stays with the next word.

Sentences (:data:`SENTENCE_BREAK_PATTERN`, applied to the original text after decoding a few entities):
a sentence ends after a run of ``.``, ``!``, ``?`` or ``…`` that is followed by whitespace or the end of the
text, at every line break and at every ``<br>``/``<br />`` tag. Consequences, by design and tested:
``"3.5"`` and ``"www.loja.com"`` are not split (no whitespace after the dot); abbreviations *are* split
(``"Sr. Silva"`` gives ``"Sr."`` and ``"Silva"``, ``"e.g. this"`` gives two sentences); a closing quote or
bracket after the full stop (``great." Then``) prevents the split. The break marker is a line feed, then
the text is split on line feeds, every piece is trimmed and empty pieces are dropped.
"""
from __future__ import annotations

# Whitespace as both engines should see it (Java's \s has \x0B, RE2's does not; neither has NBSP).
WHITESPACE_CHARS = " \t\n\r\f\x0b\xa0"
_WS = r"[ \t\n\r\f\x{0B}\x{A0}]"
_WS_NO_NL = r"[ \t\r\f\x{0B}\x{A0}]"

# ------------------------------------------------------------------------------------------ normalisation
_TAG = r"</?[a-z][^<>]*>"
_ENTITY = r"&#?[a-z0-9]+;"
_URL = r"(?:https?://|www\.)[^ \t\n\r\f\x{0B}\x{A0}<>\"]+"
_MENTION = r"@[\p{L}\p{M}\p{N}_]+"
# A run of junk becomes one space. A run starts at something that is not a letter, a mark, an apostrophe or a
# plain space (a run of plain spaces is left alone: words are split on spaces anyway, and not matching them
# divides the regex engines' work by about four); inside a run spaces are junk too. A junk character takes
# the combining marks that follow it (the variation selector of an emoji, a keycap).
_FIRST = f"(?:{_TAG}|{_ENTITY}|{_URL}|{_MENTION}|[^\\p{{L}}\\p{{M}}' ]\\p{{M}}*)"
_NEXT = f"(?:{_TAG}|{_ENTITY}|{_URL}|{_MENTION}|[^\\p{{L}}\\p{{M}}']\\p{{M}}*)"
NORMALISE_PATTERN = f"{_FIRST}{_NEXT}*"
NORMALISE_REPLACEMENT = " "
# After the replacement: split on spaces, strip apostrophes from both ends of each word, drop empty words.
WORD_SEPARATOR = " "
APOSTROPHE = "'"
CURLY_APOSTROPHE = "\u2019"  # ’ becomes ' before anything else (‘ is punctuation)

# ------------------------------------------------------------------------------------------ sentences
# Decoded in the sentence text (the entities Amazon review dumps and tweets actually carry); every other
# entity is removed with the tags. `&amp;` comes last so `&amp;lt;` stays `&lt;`.
ENTITIES: tuple[tuple[str, str], ...] = (
    ("&#34;", '"'),
    ("&quot;", '"'),
    ("&#39;", "'"),
    ("&apos;", "'"),
    ("&lt;", "<"),
    ("&gt;", ">"),
    ("&nbsp;", " "),
    ("&amp;", "&"),
)
SENTENCE_BREAK_PATTERN = (
    f"(?i){_WS_NO_NL}*(?:<br{_WS}*/?>|\\n){_WS}*"  # <br>, <br/>, <br />, line breaks (and the space around)
    f"|([.!?\u2026]+)(?:{_WS}+|\\z)"  # end punctuation kept, the whitespace after it becomes the break
)
SENTENCE_BREAK = "\n"
# Java replacement syntax ($1) and RE2 rewrite syntax (\1); an unmatched group gives "" in both.
SENTENCE_BREAK_REPLACEMENT_JAVA = "$1\n"
SENTENCE_BREAK_REPLACEMENT_RE2 = "\\1\n"
HTML_PATTERN = r"(?i)</?[a-z][^<>]*>|&#?[a-z0-9]+;"

# ------------------------------------------------------------------------------------------ languages
LANGS = ("en", "pt", "es")
SPARK_STOPWORD_LANGUAGE = {"en": "english", "pt": "portuguese", "es": "spanish"}
