"""The command line's usage errors in Chinese.

The parser (Typer, on its own copy of Click) words its errors in English — "Missing option",
"Invalid value for '--limit': Input should be a valid integer" — while every message of ours is
Chinese. `run` starts the app without the parser's own error display and words each usage error
again. Errors are recognised by class name and attributes, not by import, because Typer releases
differ in where these classes live (click.exceptions or typer._click.exceptions).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import typer

# pydantic's error types (Typer converts option values with pydantic) → what the value must be
_REASONS = {
    "int_parsing": "应为整数", "int_from_float": "应为整数", "int_type": "应为整数",
    "float_parsing": "应为数字", "float_type": "应为数字",
    "bool_parsing": "应为 true 或 false", "bool_type": "应为 true 或 false",
    "date_parsing": "应为日期，如 2026-11-27", "date_from_datetime_parsing": "应为日期，如 2026-11-27",
    "datetime_parsing": "应为时间，如 2026-11-27T09:30", "datetime_from_date_parsing": "应为时间，如 2026-11-27T09:30",
}
# Click's own wording (older Typer releases convert values with Click's types)
_CLICK_REASONS = (
    (re.compile(r"is not a valid integer"), "应为整数"),
    (re.compile(r"is not a valid float"), "应为数字"),
    (re.compile(r"is not a valid boolean"), "应为 true 或 false"),
    (re.compile(r"does not match the formats?"), "应为日期，如 2026-11-27"),
)


def run(app: Callable[..., Any], args: Sequence[str] | None = None) -> None:
    """The console script: run the app; a usage error is printed in Chinese with exit code 2."""
    if isinstance(app, typer.Typer) and (twice := repeated_option(app, sys.argv[1:] if args is None else args)):
        print(twice, file=sys.stderr)
        sys.exit(2)
    try:
        result = app(args=list(args) if args is not None else None, standalone_mode=False)
    except typer.Abort:
        print("\n已中止", file=sys.stderr)
        sys.exit(1)
    except Exception as exc:  # noqa: BLE001 — only the parser's and the database's are handled; the rest re-raised
        message = usage_message(exc)
        if message is None:
            message = database_message(exc) or file_message(exc)
            if message is None:
                raise
            print(message, file=sys.stderr)
            sys.exit(2)
        if message:  # empty: the help was printed instead (a group called without a command)
            print(message, file=sys.stderr)
        sys.exit(getattr(exc, "exit_code", 2))
    sys.exit(result if isinstance(result, int) else 0)


def repeated_option(app: typer.Typer, args: Sequence[str]) -> str | None:
    """An option that takes one value given twice (`--input a.csv --input b.csv`), in Chinese, or None.
    The parser would keep the last and drop the first without a word: a file silently not imported."""
    command: Any = typer.main.get_command(app)
    words = list(args)
    while hasattr(command, "commands"):  # a group: descend to the subcommand named
        name = next((w for w in words if not w.startswith("-")), None)
        if name is None or name not in command.commands:
            return None  # the parser says what is missing or unknown
        words = words[words.index(name) + 1:]
        command = command.commands[name]
    if "--" in words:
        words = words[:words.index("--")]
    for param in command.params:
        if getattr(param, "param_type_name", "") != "option" or param.multiple or param.count or param.is_flag:
            continue
        given = [w for w in words for opt in param.opts
                 if w == opt or (opt.startswith("--") and w.startswith(opt + "="))]
        if len(given) > 1:
            files = "；多个文件请分次运行" if "input" in (param.name or "") else ""
            return f"错误：选项 {'/'.join(param.opts)} 只能给一次（给了 {len(given)} 次），否则只有最后一次生效{files}"
    return None


def database_message(exc: BaseException) -> str | None:
    """A database that cannot be reached, named or read, in Chinese (every command reads
    HOTLINE_DATABASE_URL; a mistyped one gave a page of traceback), or None if `exc` is not that."""
    from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, ProgrammingError

    text = str(getattr(exc, "orig", None) or exc)
    if isinstance(exc, (ArgumentError, NoSuchModuleError)):
        return ("数据库地址（HOTLINE_DATABASE_URL）无法识别：应形如 sqlite:///hotline.db 或 "
                "postgresql+psycopg://用户@主机:5432/库名")
    if isinstance(exc, (OperationalError, ProgrammingError)):
        if "no such table" in text or ("does not exist" in text and "relation" in text):
            return "数据库尚未初始化：请先运行 hotline db upgrade"
        if isinstance(exc, OperationalError):
            first = text.strip().splitlines()[0] if text.strip() else ""
            return (f"无法连接或打开数据库（HOTLINE_DATABASE_URL）：{first}。"
                    "请检查地址、数据库服务是否在运行、目录是否存在")
    return None


_FILE_REASONS = ((IsADirectoryError, "这是一个目录，请给出文件名"), (NotADirectoryError, "路径中有一段不是目录"),
                 (FileNotFoundError, "文件或其所在目录不存在"), (PermissionError, "没有读写权限"))


def file_message(exc: BaseException) -> str | None:
    """A file a command was told to read or write that cannot be (an output path that is a
    directory, a missing folder, a file in an encoding we cannot read), or None."""
    if isinstance(exc, UnicodeDecodeError):
        return "文件编码无法识别：请另存为 UTF-8 或 GBK（GB18030）后重试"
    for kind, reason in _FILE_REASONS:
        if isinstance(exc, kind) and getattr(exc, "filename", None):
            return f"无法读写文件 {exc.filename}：{reason}"
    return None


def usage_message(exc: BaseException) -> str | None:
    """The Chinese text for a parser error (usage, then the error), or None if `exc` is not one."""
    names = {cls.__name__ for cls in type(exc).__mro__}
    if "NoArgsIsHelpError" in names:
        return ""
    if "UsageError" not in names or not hasattr(exc, "format_message"):
        return None
    ctx = getattr(exc, "ctx", None)
    lines = []
    if ctx is not None:
        lines.append(ctx.get_usage().replace("Usage: ", "用法：", 1))
        lines.append(f"查看帮助：{ctx.command_path} --help")
    lines.append(f"错误：{_error(exc, names)}")
    return "\n".join(lines)


def _error(exc: Any, names: set[str]) -> str:
    param = getattr(exc, "param", None)
    if "MissingParameter" in names:
        kind = "选项" if getattr(param, "param_type_name", "") == "option" else "参数"
        return f"缺少{kind} {_hint(exc, param)}"
    if "NoSuchOption" in names:
        text = f"没有选项 {exc.option_name}"
        if getattr(exc, "possibilities", None):
            text += f"，您是不是想用 {'、'.join(sorted(exc.possibilities))}"
        return text
    if "BadParameter" in names:
        return f"{_hint(exc, param)} 的值无效：{_reason(exc)}"
    message = exc.format_message()
    if m := re.match(r"No such command '(.+?)'\.(?: Did you mean (?:one of these: )?(.+?)\?)?$", message):
        close = "、".join(re.findall(r"'([^']+)'", m[2] or ""))  # one or several: 'report', 'import'
        return f"没有命令 {m[1]}" + (f"，您是不是想用 {close}" if close else "")
    if m := re.match(r"Got unexpected extra arguments?(?:\(s\))? \((.+)\)$", message):
        return f"多余的参数：{m[1]}"
    return message


def _hint(exc: Any, param: Any) -> str:
    if getattr(exc, "param_hint", None):
        hint = exc.param_hint
        return " / ".join(hint) if isinstance(hint, (list, tuple)) else str(hint)
    if param is None:
        return "参数"
    if getattr(param, "param_type_name", "") == "option" and param.opts:
        return " / ".join(param.opts)
    return str(getattr(param, "human_readable_name", None) or param.name).upper()


def _reason(exc: Any) -> str:
    cause = exc.__cause__
    errors = getattr(cause, "errors", None)
    if callable(errors):
        try:
            first = errors()[0]
        except (TypeError, IndexError):
            first = {}
        kind = first.get("type", "")
        if kind in _REASONS:
            return f"{_REASONS[kind]}（收到 {first.get('input')!r}）"
        if kind in ("literal_error", "enum"):
            return f"可选值：{first.get('ctx', {}).get('expected', '')}"
        if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            bound = next(iter(first.get("ctx", {}).values()), "")
            word = {"greater_than_equal": "不能小于", "less_than_equal": "不能大于",
                    "greater_than": "应大于", "less_than": "应小于"}[kind]
            return f"{word} {bound}"
    message = exc.message if isinstance(getattr(exc, "message", None), str) else str(exc)
    for pattern, reason in _CLICK_REASONS:
        if pattern.search(message):
            return reason
    return message
