"""`hotline dispatch train | evaluate | predict` through Typer's CliRunner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from hotline.cli import app
from tests.dispatch.synthetic import tickets, write_csv

runner = CliRunner()
KEYS = ["n", "accuracy", "macro_f1", "top3_accuracy", "coverage_at_threshold", "precision_at_threshold"]
FAST = ["--folds", "3", "--jobs", "1"]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("dispatch")
    train, test = tickets(40, seed=11), tickets(10, seed=12)
    return {
        "train": write_csv(d / "train.csv", ["标题", "内容", "分类"], train),
        "test": write_csv(d / "test.csv", ["标题", "内容", "分类"], test),
        "test_gbk": write_csv(d / "test_gbk.csv", ["标题", "内容", "分类"], test, encoding="gb18030"),
        "titles": write_csv(d / "titles.csv", ["标题", "分类"], [(t, y) for t, _c, y in test]),
        "contents": write_csv(d / "contents.csv", ["内容", "分类"], [(c, y) for _t, c, y in test]),
        "dir": d,
    }


@pytest.fixture(scope="module")
def model(files: dict[str, Path]) -> Path:
    path = files["dir"] / "category.joblib"
    r = runner.invoke(app, ["dispatch", "train", "--input", str(files["train"]), "--title-col", "标题",
                            "--content-col", "内容", "--label-col", "分类", "--model", str(path), *FAST])
    assert r.exit_code == 0, r.output
    assert "模型已保存" in r.stdout
    return path


def _evaluate(model: Path, csv: Path, *cols: str) -> dict:
    r = runner.invoke(app, ["dispatch", "evaluate", "--model", str(model), "--input", str(csv), *cols,
                            "--label-col", "分类", "--json"])
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_evaluate_json_is_exactly_the_figures(model: Path, files: dict[str, Path]) -> None:
    figures = _evaluate(model, files["test"], "--title-col", "标题", "--content-col", "内容")
    assert list(figures) == KEYS
    assert figures["n"] == 40 and figures["accuracy"] >= 0.9 and figures["top3_accuracy"] >= 0.95


def test_evaluate_gb18030_csv(model: Path, files: dict[str, Path]) -> None:
    assert _evaluate(model, files["test_gbk"], "--title-col", "标题", "--content-col", "内容")["n"] == 40


def test_title_only_and_content_only_inputs(model: Path, files: dict[str, Path]) -> None:
    assert _evaluate(model, files["titles"], "--title-col", "标题")["accuracy"] >= 0.9
    assert _evaluate(model, files["contents"], "--content-col", "内容")["accuracy"] >= 0.9


def test_a_named_text_column_absent_from_the_file_is_skipped_with_a_note(model: Path, files: dict[str, Path]) -> None:
    r = runner.invoke(app, ["dispatch", "evaluate", "--model", str(model), "--input", str(files["titles"]),
                            "--title-col", "标题", "--content-col", "内容", "--label-col", "分类", "--json"])
    assert r.exit_code == 0, r.output
    assert list(json.loads(r.stdout)) == KEYS
    assert "没有列“内容”" in r.stderr


def test_missing_label_column_is_exit_2(model: Path, files: dict[str, Path]) -> None:
    r = runner.invoke(app, ["dispatch", "evaluate", "--model", str(model), "--input", str(files["test"]),
                            "--title-col", "标题", "--label-col", "类别", "--json"])
    assert r.exit_code == 2
    assert "没有标签列“类别”" in r.stderr and "现有列" in r.stderr


def test_missing_text_columns_is_exit_2(files: dict[str, Path]) -> None:
    r = runner.invoke(app, ["dispatch", "train", "--input", str(files["train"]), "--title-col", "主题",
                            "--content-col", "详情", "--label-col", "分类", "--model",
                            str(files["dir"] / "x.joblib")])
    assert r.exit_code == 2
    assert "没有文本列" in r.stderr
    r = runner.invoke(app, ["dispatch", "train", "--input", str(files["train"]), "--label-col", "分类",
                            "--model", str(files["dir"] / "x.joblib")])
    assert r.exit_code == 2 and "--title-col" in r.stderr


def test_the_same_data_given_twice_is_exit_2(files: dict[str, Path]) -> None:
    """QA: --input ok.csv --input ok.csv counted every row twice and switched automatic dispatch on."""
    copy = files["dir"] / "train-copy.csv"
    copy.write_bytes(files["train"].read_bytes())
    r = runner.invoke(app, ["dispatch", "train", "--input", str(files["train"]), "--input", str(copy),
                            "--title-col", "标题", "--label-col", "分类", "--model", str(files["dir"] / "y.joblib")])
    assert r.exit_code == 2 and "内容相同：同一份数据请只指定一次" in r.stderr, r.output


def test_unreadable_or_missing_csv_is_exit_2(model: Path, files: dict[str, Path]) -> None:
    garbage = files["dir"] / "garbage.csv"
    garbage.write_bytes(b"\xff\xfe\x00\x81\x82" * 50)
    for csv in (garbage, files["dir"] / "nope.csv"):
        r = runner.invoke(app, ["dispatch", "evaluate", "--model", str(model), "--input", str(csv),
                                "--title-col", "标题", "--label-col", "分类"])
        assert r.exit_code == 2, r.output
        assert "CSV 文件" in r.stderr


def test_single_class_training_is_exit_2(files: dict[str, Path]) -> None:
    one = write_csv(files["dir"] / "one.csv", ["标题", "分类"], [("小区物业", "城乡建设"), ("电梯故障", "城乡建设")])
    r = runner.invoke(app, ["dispatch", "train", "--input", str(one), "--title-col", "标题", "--label-col", "分类",
                            "--model", str(files["dir"] / "one.joblib")])
    assert r.exit_code == 2 and "两个类别" in r.stderr


def test_tiny_classes_train_without_english_warnings_or_are_refused_in_chinese(files: dict[str, Path]) -> None:
    rows = [("小区物业不作为", "城乡建设"), ("电梯故障无人修", "城乡建设"), ("楼道堆放杂物", "城乡建设"),
            ("公交线路调整", "交通运输"), ("公交车不按站停", "交通运输")]
    tiny = write_csv(files["dir"] / "tiny.csv", ["标题", "分类"], rows)
    r = runner.invoke(app, ["dispatch", "train", "--input", str(tiny), "--title-col", "标题", "--label-col", "分类",
                            "--model", str(files["dir"] / "tiny.joblib")])
    assert r.exit_code == 0 and "Warning" not in r.stderr, r.output  # two rows of a class: fewer than 5 folds
    one = write_csv(files["dir"] / "one_row.csv", ["标题", "分类"], rows[:4])
    r = runner.invoke(app, ["dispatch", "train", "--input", str(one), "--title-col", "标题", "--label-col", "分类",
                            "--model", str(files["dir"] / "one_row.joblib")])
    assert r.exit_code == 2 and "“交通运输”只有 1 条" in r.stderr  # was a ValueError traceback


def test_bad_model_file_is_exit_2(files: dict[str, Path]) -> None:
    r = runner.invoke(app, ["dispatch", "evaluate", "--model", str(files["train"]), "--input", str(files["test"]),
                            "--title-col", "标题", "--label-col", "分类"])
    assert r.exit_code == 2 and "模型文件" in r.stderr and "已损坏或不是 hotline dispatch 模型" in r.stderr


def test_bad_settings_and_an_empty_file_are_exit_2(model: Path, files: dict[str, Path]) -> None:
    base = ["dispatch", "train", "--input", str(files["train"]), "--title-col", "标题", "--label-col", "分类",
            "--model", str(files["dir"] / "x.joblib")]
    for extra, message in ((["--jobs", "0"], "--jobs 至少为 1"), (["--folds", "1"], "--folds 至少为 2"),
                           (["--target-precision", "1.5"], "--target-precision")):
        r = runner.invoke(app, [*base, *extra])
        assert r.exit_code == 2 and message in r.stderr, r.output
    r = runner.invoke(app, ["dispatch", "retrain", "--model", str(files["dir"] / "r.joblib"),
                            "--target-precision", "1.5"])
    assert r.exit_code == 2 and "--target-precision" in r.stderr
    empty = write_csv(files["dir"] / "empty.csv", ["标题", "分类"], [])
    r = runner.invoke(app, ["dispatch", "evaluate", "--model", str(model), "--input", str(empty),
                            "--title-col", "标题", "--label-col", "分类", "--json"])
    assert r.exit_code == 2 and "没有带标签且有文本的行" in r.stderr


def test_retrain_on_an_empty_database_says_there_is_no_history(files: dict[str, Path], monkeypatch) -> None:
    monkeypatch.setenv("HOTLINE_DATABASE_URL", f"sqlite:///{files['dir'] / 'empty.db'}")
    r = runner.invoke(app, ["dispatch", "retrain", "--model", str(files["dir"] / "r.joblib")])
    assert r.exit_code == 2 and "已办结工单不足" in r.stderr


def test_predict_json_and_text(model: Path) -> None:
    r = runner.invoke(app, ["dispatch", "predict", "--model", str(model), "--title", "西湖镇餐饮油烟扰民",
                            "--content", "楼下饭店餐饮油烟直排，噪声扰民，请环保部门处理", "--json"])
    assert r.exit_code == 0, r.output
    p = json.loads(r.stdout)
    assert p["label"] == "环境保护" and len(p["alternatives"]) == 3 and p["view"] == "both"
    r = runner.invoke(app, ["dispatch", "predict", "--model", str(model), "--title", "公交线路调整"])
    assert r.exit_code == 0 and r.stdout.startswith("交通运输")
    r = runner.invoke(app, ["dispatch", "predict", "--model", str(model)])
    assert r.exit_code == 2 and "--title" in r.stderr
    r = runner.invoke(app, ["dispatch", "predict", "--model", str(model), "--title", "公交线路调整", "--explain", "-3"])
    assert r.exit_code == 2 and "不能为负数" in r.stderr


def test_two_unlinked_files_train_together(files: dict[str, Path]) -> None:
    path = files["dir"] / "two.joblib"
    r = runner.invoke(app, ["dispatch", "train", "--input", str(files["titles"]), "--input", str(files["contents"]),
                            "--title-col", "标题", "--content-col", "内容", "--label-col", "分类",
                            "--model", str(path), *FAST])
    assert r.exit_code == 0, r.output
    assert "配对了 40 组" in r.stderr
    from hotline.dispatch.store import load

    _m, meta = load(path)
    assert [f["name"] for f in meta["training_data"]["files"]] == ["titles.csv", "contents.csv"]
    assert meta["training_data"]["paired_title_content"] == 40


def test_precision_confidence_is_recorded_and_checked(files: dict[str, Path]) -> None:
    from hotline.dispatch.store import load

    base = ["dispatch", "train", "--input", str(files["train"]), "--title-col", "标题", "--content-col", "内容",
            "--label-col", "分类", *FAST]
    path = files["dir"] / "point.joblib"
    r = runner.invoke(app, [*base, "--model", str(path), "--precision-confidence", "0"])
    assert r.exit_code == 0, r.output
    _m, meta = load(path)
    assert meta["config"]["precision_confidence"] == 0.0
    for bad in ("1", "-0.1"):
        r = runner.invoke(app, [*base, "--model", str(files["dir"] / "bad.joblib"), "--precision-confidence", bad])
        assert r.exit_code == 2 and "--precision-confidence" in r.stderr
    r = runner.invoke(app, [*base, "--model", str(files["dir"] / "bad.joblib"), "--target-precision", "1.5"])
    assert r.exit_code == 2 and "--target-precision" in r.stderr
    assert not (files["dir"] / "bad.joblib").exists()
