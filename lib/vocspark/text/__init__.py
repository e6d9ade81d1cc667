"""vocspark.text: cleaning, tokenising and sentence splitting of customer texts (en, pt, es).

Modules:

- :mod:`~vocspark.text.rules`: the rules as regexes valid in both Java (Spark SQL) and RE2 (pyarrow), with
  the documented decisions (digits removed, inner apostrophes kept, what splits a sentence).
- :mod:`~vocspark.text.columns`: ``Column -> Column`` functions with Spark built-ins: ``normalize_text``,
  ``tokenize``, ``split_sentences``, ``strip_html``, ``decode_entities``, ``remove_stopwords``,
  ``filter_short_tokens``, ``month_of``.
- :mod:`~vocspark.text.arrow`: the same rules as ``pyarrow.compute`` kernels for ``mapInArrow``
  (``normalise``, ``tokenize``, ``split_sentences``, ``analyse``).
- :mod:`~vocspark.text.engines`: ``DataFrame -> DataFrame`` transformations over the three engines (arrow, sql,
  sparknlp): ``with_text_features``, ``with_document_features``, ``sentence_rows``, ``explode_sentences``,
  ``stem_tokens``.
- :mod:`~vocspark.text.stopwords`: Spark's default stopword lists, shipped as package data.
- :mod:`~vocspark.text.stem`: Snowball stemmers (``snowballstemmer``: english, portuguese, spanish), built once
  per worker process and applied to the distinct tokens of each Arrow batch.
- :mod:`~vocspark.text.options`: :class:`TextOptions` from the ``preprocess`` config section.
"""
from vocspark.text.options import ENGINES, TextOptions

__all__ = ["ENGINES", "TextOptions"]
