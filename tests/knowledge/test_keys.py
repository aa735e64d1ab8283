"""An article's key goes into page and API addresses: spaces and / ? # % \\ are refused everywhere
a key comes from (the form and the API, a file's key column), and a key made from a file's name
leaves them out."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hotline.knowledge.importer import ImportSpec, key_for, parse_rows
from hotline.knowledge.schemas import ArticleCreate
from tests.knowledge.conftest import article_data


@pytest.mark.parametrize("key", ["a/b", "带 空格", "问?", "#1", "50%", "a\\b"])
def test_a_key_that_would_break_an_address_is_refused(key: str) -> None:
    with pytest.raises(ValidationError, match="编号不能含空格或"):
        ArticleCreate(**article_data(key=key))
    rows = parse_rows(["编号", "问题", "答案"], [[key, "问题一", "答复一"]], ImportSpec(
        question_col="问题", answer_col="答案", key_col="编号"), stem="kb")
    assert rows[0].problem_code == "kb_import_key_bad" and "第 2 行的编号" in (rows[0].problem or "")


def test_fine_keys_pass_and_file_names_are_made_safe() -> None:
    assert ArticleCreate(**article_data(key="14-63_KB.v2")).key == "14-63_KB.v2"
    assert key_for("my kb/2026#1", 3) == "my_kb_2026_1-2"
