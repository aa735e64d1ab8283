"""The category tree's names as training knowledge (category_names, TextClassifier.fit(names=…))."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from hotline.cli import app
from hotline.dispatch import category_names, store
from hotline.dispatch.dataset import DatasetError
from hotline.dispatch.model import ClassifierConfig, TextClassifier
from tests.dispatch.synthetic import tickets, write_csv

SMALL = ClassifierConfig(n_features=2**18, folds=3, n_jobs=1)


def test_only_names_that_say_something_are_kept() -> None:
    pairs = [("公共汽车", "城乡建设"), ("其他", "城乡建设"), ("住房公积金", "城乡建设"),
             ("住房公积金", "劳动和社会保障"), ("  ", "交通运输"), ("交通运输", "交通运输"),
             ("出租车管理", "交通运输"), ("出租车管理", "交通运输")]
    assert category_names.unambiguous(pairs) == [("公共汽车", "城乡建设"), ("出租车管理", "交通运输")]


def test_a_tree_file_reads_every_column_beneath_the_first(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "tree.csv", ["一级分类", "二级分类", "三级分类"],
                     [("城乡建设", "城市建设和市政管理", "公共汽车"), ("城乡建设", "城市建设和市政管理", "其他"),
                      ("交通运输", "出租车管理", "网约车问题")], encoding="gb18030")
    assert category_names.from_csv(path) == [("公共汽车", "城乡建设"), ("出租车管理", "交通运输"),
                                             ("城市建设和市政管理", "城乡建设"), ("网约车问题", "交通运输")]
    one = write_csv(tmp_path / "one.csv", ["一级分类"], [("城乡建设",)])
    with pytest.raises(DatasetError, match="至少需要两列"):
        category_names.from_csv(one)
    vague = write_csv(tmp_path / "vague.csv", ["一级分类", "二级分类"], [("城乡建设", "其他")])
    with pytest.raises(DatasetError, match="没有可用的下级分类名称"):
        category_names.from_csv(vague)


def test_names_teach_the_model_without_being_scored() -> None:
    """A word only the tree knows (桑拿房, filed under 环境保护) moves a ticket naming it towards that
    label; the names are no ticket: the cross-validated rows and figures are the tickets' alone."""
    rows = tickets(30, seed=3)
    t, c, y = [r[0] for r in rows], [r[1] for r in rows], [r[2] for r in rows]
    plain = TextClassifier(SMALL).fit(t, c, y)
    names = [("桑拿房", "环境保护"), ("汗蒸馆", "环境保护"), ("无关标签的名称", "不在训练标签中")]
    taught = TextClassifier(SMALL).fit(t, c, y, names=names)
    assert taught.cv["rows"] == plain.cv["rows"] and taught.cv["views"] == plain.cv["views"]
    assert taught.cv["category_names"] == 2  # the name of an unknown label is left out
    env = taught.classes_.index("环境保护")
    p_plain = plain.predict_proba(["桑拿房汗蒸馆"], [""])[0][0][env]
    p_taught = taught.predict_proba(["桑拿房汗蒸馆"], [""])[0][0][env]
    assert p_taught > p_plain and taught.predict("桑拿房汗蒸馆", "").label == "环境保护"
    assert np.isfinite(p_taught)


def test_train_takes_a_category_tree(tmp_path: Path) -> None:
    train = write_csv(tmp_path / "train.csv", ["标题", "内容", "分类"], tickets(30, seed=5))
    tree = write_csv(tmp_path / "tree.csv", ["一级分类", "二级分类", "三级分类"],
                     [("环境保护", "环境污染", "桑拿房"), ("城乡建设", "住房保障", "公房"),
                      ("卫生计生", "医政", "血液管理")])
    path = tmp_path / "m.joblib"
    r = CliRunner().invoke(app, ["dispatch", "train", "--input", str(train), "--title-col", "标题", "--content-col",
                                 "内容", "--label-col", "分类", "--model", str(path), "--folds", "3", "--jobs", "1",
                                 "--category-tree", str(tree)])
    assert r.exit_code == 0, r.output
    assert "分类树 tree.csv 的 4 个下级分类名称用作训练知识（另有 2 个所属类别不在训练标签中，未用）" in r.output
    _model, meta = store.load(path)
    assert meta["training_data"]["category_tree"] == {"file": "tree.csv", "names": 4}
    r = CliRunner().invoke(app, ["dispatch", "train", "--input", str(train), "--title-col", "标题", "--content-col",
                                 "内容", "--label-col", "分类", "--model", str(path), "--category-tree",
                                 str(tmp_path / "none.csv")])
    assert r.exit_code == 2
