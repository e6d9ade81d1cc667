"""Stemmers: Porter (1980) for English with the examples of the paper, light suffix strippers for Portuguese
and Spanish, and the Arrow array version (per token language)."""
from __future__ import annotations

import pyarrow as pa
import pytest

from vocspark.text.stem import porter_stem, portuguese_stem, spanish_stem, stem, stem_array, stem_list_array

# From M. F. Porter, "An algorithm for suffix stripping" (1980), steps 1 to 5.
PORTER = {
    "caresses": "caress", "ponies": "poni", "ties": "ti", "caress": "caress", "cats": "cat", "feed": "feed",
    "agreed": "agre", "plastered": "plaster", "bled": "bled", "motoring": "motor", "sing": "sing",
    "conflated": "conflat", "troubled": "troubl", "sized": "size", "hopping": "hop", "tanned": "tan",
    "falling": "fall", "hissing": "hiss", "fizzed": "fizz", "failing": "fail", "filing": "file", "happy": "happi",
    "sky": "sky", "relational": "relat", "conditional": "condit", "rational": "ration", "valenci": "valenc",
    "digitizer": "digit", "conformabli": "conform", "radicalli": "radic", "differentli": "differ",
    "vietnamization": "vietnam", "predication": "predic", "operator": "oper", "feudalism": "feudal",
    "decisiveness": "decis", "hopefulness": "hope", "callousness": "callous", "formaliti": "formal",
    "sensitiviti": "sensit", "sensibiliti": "sensibl", "triplicate": "triplic", "formative": "form",
    "formalize": "formal", "electriciti": "electr", "electrical": "electr", "hopeful": "hope", "goodness": "good",
    "revival": "reviv", "allowance": "allow", "inference": "infer", "airliner": "airlin", "adjustable": "adjust",
    "defensible": "defens", "irritant": "irrit", "replacement": "replac", "adjustment": "adjust",
    "dependent": "depend", "adoption": "adopt", "communism": "commun", "activate": "activ",
    "homologous": "homolog", "effective": "effect", "bowdlerize": "bowdler", "probate": "probat", "rate": "rate",
    "cease": "ceas", "controll": "control", "roll": "roll", "generalization": "gener", "oscillators": "oscil",
    # review words
    "refunded": "refund", "delivery": "deliveri", "broken": "broken", "working": "work", "stopped": "stop",
    "is": "is", "ok": "ok",
}
PORTUGUESE = {
    "devoluções": "devolu", "devolução": "devolu", "entrega": "entreg", "entregaram": "entreg",
    "produtos": "produt", "produto": "produt", "lojas": "loj", "loja": "loj", "rapidamente": "rapid",
    "atendimento": "atend", "péssimo": "péssim", "péssima": "péssim", "problemas": "problem",
    "animais": "animal", "papéis": "papel", "lençóis": "lençol", "cartões": "cartão", "pão": "pão",
    "bonitinho": "bonit", "felicidade": "felic", "gostei": "gost", "chegou": "cheg", "não": "não",
}
SPANISH = {
    "envíos": "envi", "envío": "envi", "pedidos": "ped", "pedido": "ped", "productos": "product",
    "tiendas": "tiend", "tienda": "tiend", "rápidamente": "rapid", "devoluciones": "devolu",
    "devolución": "devolu", "luces": "luz", "llegó": "lleg", "compré": "compr", "felicidad": "felic",
    "entregado": "entreg", "esperando": "esper", "sí": "si",
}


@pytest.mark.parametrize("word,expected", sorted(PORTER.items()))
def test_porter(word, expected):
    assert porter_stem(word) == expected


@pytest.mark.parametrize("word,expected", sorted(PORTUGUESE.items()))
def test_portuguese(word, expected):
    assert portuguese_stem(word) == expected


@pytest.mark.parametrize("word,expected", sorted(SPANISH.items()))
def test_spanish(word, expected):
    assert spanish_stem(word) == expected


def test_unknown_language_is_left_alone():
    assert stem("running", "fr") == "running"


def test_stem_array_uses_each_tokens_language():
    tokens = pa.array(["running", "devoluções", "envíos", "running", "running", ""])
    langs = pa.array(["en", "pt", "es", "pt", "fr", "en"])
    assert stem_array(tokens, langs).to_pylist() == ["run", "devolu", "envi", "running", "running", ""]
    assert stem_array(pa.array([], pa.string()), pa.array([], pa.string())).to_pylist() == []


def test_stem_list_array_keeps_lists_and_nulls():
    lists = pa.array([["cats", "running"], [], None, ["lojas"]], pa.list_(pa.string()))
    got = stem_list_array(lists.slice(0), pa.array(["en", "en", "en", "pt"])).to_pylist()
    assert got == [["cat", "run"], [], None, ["loj"]]
    sliced = stem_list_array(lists.slice(2), pa.array(["en", "pt"])).to_pylist()
    assert sliced == [None, ["loj"]]
