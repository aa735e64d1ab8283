"""Normalisation and tokenisation."""

from __future__ import annotations

import pickle

from hotline.dispatch.text import Analyzer, char_ngrams, normalise, word_ngrams, words


def test_normalise_folds_width_case_space_and_digits() -> None:
    assert normalise("  ＡＢＣ１２３  小区\n\t物业 ") == "abc0 小区 物业"
    assert normalise("电话13800138000", fold_digits=False) == "电话13800138000"
    assert normalise(None) == ""
    assert normalise("   ") == ""


def test_char_and_word_ngrams() -> None:
    assert char_ngrams("小区 物业", 1, 2) == ["小", "区", "物", "业", "小区", "区物", "物业"]
    assert word_ngrams(["a", "b", "c"], 1, 2) == ["a", "b", "c", "a b", "b c"]


def test_jieba_words_leave_out_punctuation() -> None:
    ws = words("小区物业不作为！请尽快处理。")
    assert "小区" in ws and "物业" in ws
    assert not any(w in {"！", "。"} for w in ws)


def test_analyzer_prefixes_kinds_and_pickles() -> None:
    an = Analyzer(char_range=(1, 2), word_range=(1, 1))
    toks = an("小区物业")
    assert "c:小" in toks and "c:小区" in toks and "w:小区" in toks
    assert an("") == [] and an("  ") == []
    again = pickle.loads(pickle.dumps(an))
    assert again("小区物业") == toks
    assert again.config()["char_range"] == [1, 2]
