"""The `xsflow` command (contract.md, "Command line")."""
from __future__ import annotations

import os
import sys
from datetime import date, datetime, timedelta
from pathlib import Path

import click

from xsflow.clock import FixedClock, SystemClock
from xsflow.errors import XsflowError

EXIT_PROVISIONAL = 3


def _system(ctx: click.Context, clock=None):
    from adapters.compose import open_system

    return open_system(ctx.obj["database_url"], clock=clock)


def _fail(message: str, code: int = 1) -> None:
    click.echo(message, err=True)
    sys.exit(code)


def _one_line(text: str) -> str:
    return " ".join(part.strip() for part in str(text).splitlines() if part.strip())


class Cli(click.Group):
    """Every refusal is one line on stderr and exit status 2: no usage dump, no traceback."""

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode=True, **extra):
        try:
            status = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click.Abort:
            _fail("已取消。", 2)
        except click.ClickException as err:  # a bad option or argument (click says which)
            _fail(f"参数有误：{_one_line(err.format_message())}", 2)
        except XsflowError as err:
            details = "；".join(m for ms in (getattr(err, "fields", None) or {}).values() for m in ms)
            _fail(_one_line(f"{err.message}{details}"), 2)
        except (ValueError, OverflowError) as err:  # a value the command could not use, e.g. a date out of range
            _fail(f"参数有误：{_one_line(str(err))}", 2)
        sys.exit(status if isinstance(status, int) else 0)


class Day(click.ParamType):
    """A calendar date, YYYY-MM-DD in ASCII digits, within the calendar's years (as the API takes it)."""

    name = "YYYY-MM-DD"

    def convert(self, value, param, ctx) -> date:
        from marshmallow import ValidationError

        from xsflow.payloads import parse_day

        try:
            return parse_day(value)
        except ValidationError as err:
            self.fail("；".join(err.messages), param, ctx)


MAX_ID = 2**63 - 1  # ids are 64-bit in both databases


@click.group(cls=Cli)
@click.option("--database-url", envvar="XSFLOW_DATABASE_URL", default=None,
              help="SQLAlchemy URL; default a SQLite file xsflow.db in the working folder.")
@click.pass_context
def main(ctx: click.Context, database_url: str | None) -> None:
    """xsflow：秀山自治县行政执法监督工作流引擎。"""
    ctx.obj = {"database_url": database_url}


@main.command()
@click.option("--reference", "reference_files", multiple=True, type=click.Path(exists=True, path_type=Path),
              help="Extra agency files (TOML, [[agency]] entries), e.g. an edited township list.")
@click.pass_context
def init(ctx: click.Context, reference_files: tuple[Path, ...]) -> None:
    """Create or migrate the schema and load reference data; safe to run twice."""
    try:
        report = _system(ctx).init(reference_files)
    except ValueError as err:
        _fail(_one_line(str(err)), 2)
    click.echo(report.describe())


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64), help="HTTP worker processes.")
@click.option("--no-scheduler", is_flag=True, help="Do not run the timer sweep with this server.")
@click.option("--interval", default=60, show_default=True, type=click.IntRange(1, 86400),
              help="Seconds between timer sweeps.")
@click.option("--supervised", is_flag=True, hidden=True, help="Started by `serve` itself: print no banner.")
@click.pass_context
def serve(ctx: click.Context, host: str, port: int, workers: int, no_scheduler: bool, interval: int,
          supervised: bool) -> None:
    """Serve the HTTP API and web pages on gunicorn, with the timer sweep unless --no-scheduler.

    The sweep runs in a process of its own that `serve` starts, restarts and stops."""
    from .server import run_server

    banner = None
    if not supervised:
        text = _banner(ctx, host, port, None if no_scheduler else interval)
        banner = lambda: click.echo(text)  # noqa: E731 — printed once the server listens
    run_server(ctx.obj["database_url"], host=host, port=port, workers=workers,
               scheduler_interval=None if no_scheduler else interval, banner=banner)


def _banner(ctx: click.Context, host: str, port: int, interval: int | None) -> str:
    """Where to go and how to get in; read before the server forks anything."""
    from sqlalchemy import func, select
    from sqlalchemy.exc import DBAPIError

    from xsflow.store import Database, database_url
    from xsflow.store.schema import users as users_table

    db = Database(database_url(ctx.obj["database_url"]))
    try:
        with db.read() as conn:
            users: int | None = conn.execute(select(func.count()).select_from(users_table)).scalar_one()
    except DBAPIError:  # no tables yet
        users = None
    finally:
        db.dispose()
    shown = "127.0.0.1" if host in ("0.0.0.0", "") else host
    lines = [f"xsflow 已启动：网页 http://{shown}:{port}/ ，接口 http://{shown}:{port}/api/v1/openapi.json",
             f"期限扫描：每 {interval} 秒一次（独立进程）" if interval else
             "期限扫描：未在此启动（--no-scheduler）；请另行运行 xsflow worker。"]
    if users is None:
        lines.append("数据库尚未建立：请先运行 xsflow init（./scripts/serve 会自动运行）。")
    elif users == 0:
        lines += ["尚无网页账户。创建第一个管理员账户（密码从标准输入读入，至少8位，含字母和数字）：",
                  "  printf '%s\\n' '<密码>' | xsflow user create --username admin --name 管理员 --role admin",
                  "然后用该账户登录上面的网页。"]
    lines.append("按 Ctrl+C 停止。")
    return "\n".join(lines)


@main.command()
@click.option("--interval", default=60, show_default=True, type=int, help="Seconds between timer sweeps.")
@click.pass_context
def worker(ctx: click.Context, interval: int) -> None:
    """Run the timer scheduler alone; several may share one PostgreSQL database."""
    from .scheduler import run_worker

    run_worker(ctx.obj["database_url"], interval=interval)


def _parse_instant(value: str) -> datetime:
    try:
        instant = datetime.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"{value!r} 不是 ISO 8601 时间，例如 2025-03-11T00:00:30+08:00") from None
    if instant.tzinfo is None:
        raise click.BadParameter("时间须写明时区，例如 2025-03-11T00:00:30+08:00")
    from xsflow.calendar.notices import FIRST_YEAR, LAST_YEAR

    if not FIRST_YEAR <= instant.year <= LAST_YEAR:
        raise click.BadParameter(f"时间应在 {FIRST_YEAR} 年至 {LAST_YEAR} 年之间（日历支持的范围）")
    return instant


@main.command()
@click.option("--now", "now_text", default=None, help="Sweep as of this instant (ISO 8601 with zone).")
@click.pass_context
def tick(ctx: click.Context, now_text: str | None) -> None:
    """Fire every timer due at or before now, then exit; prints how many fired."""
    real = SystemClock().now()
    now = _parse_instant(now_text) if now_text else real
    if now > real + timedelta(seconds=1) and os.environ.get("XSFLOW_ALLOW_TIME_TRAVEL") != "1":
        _fail("--now 晚于当前时间：只有设置 XSFLOW_ALLOW_TIME_TRAVEL=1（测试环境）时才允许。", 2)
    # Travelling forward (tests) records at the travelled time; sweeping "as of" a past instant
    # still records when it really ran, so history never claims a processing time that was not.
    system = _system(ctx, FixedClock(now) if now > real else SystemClock())
    report = system.tick(now)
    from .scheduled import run_scheduled

    click.echo(f"fired {report.fired}")
    for message in run_scheduled(system, now):
        click.echo(message)
    if report.overdue:
        click.echo(f"超过办理时限 {report.overdue} 件")
    if report.recounted:
        click.echo(f"按新载入的节假日安排重新计算期限 {report.recounted} 个")
    if report.notified:
        click.echo(f"已通知联络员 {report.notified} 条")
    if report.left_due:
        click.echo(f"已到期但本次未处理的期限 {report.left_due} 个（案件正被办理或处理失败），下次扫描时处理")
    for message in report.incidents:
        click.echo(f"待处理事件：{message}", err=True)
    warning = system.calendar_warning(now)
    if warning:
        click.echo(f"警告：{warning}", err=True)


@main.group()
def token() -> None:
    """Bearer tokens for people and systems."""


@token.command("create")
@click.option("--name", required=True, help="Who or what uses the token.")
@click.option("--role", required=True, type=click.Choice(["clerk", "reviewer", "supervisor", "system", "admin", "township", "procuratorate"]))
@click.option("--agency", default=None, help="Agency code; required for clerks.")
@click.option("--expires-in-days", type=click.IntRange(1, 3650), default=None,
              help="Expire after this many days (1 to 3650).")
@click.pass_context
def token_create(ctx: click.Context, name: str, role: str, agency: str | None, expires_in_days: int | None) -> None:
    """Print a new bearer token, and nothing else, on stdout."""
    from xsflow.tokens import create_token

    x = _system(ctx)
    now = x.clock.now()
    expires = now + timedelta(days=expires_in_days) if expires_in_days else None
    try:
        with x.db.write() as conn:
            secret = create_token(conn, name=name, role=role, agency=agency, now=now, expires_at=expires)
    except XsflowError as err:
        details = "；".join(m for ms in getattr(err, "fields", {}).values() for m in ms)
        _fail(_one_line(f"{err.message}{details}"), 2)
    click.echo(secret)


@token.command("revoke")
@click.argument("name", required=False)
@click.option("--id", "token_id", type=click.IntRange(1, MAX_ID), default=None,
              help="Revoke the one token with this id instead of those with a name.")
@click.pass_context
def token_revoke(ctx: click.Context, name: str | None, token_id: int | None) -> None:
    """Revoke the live tokens named NAME, or (--id N) the token numbered N."""
    from xsflow.tokens import revoke_token

    if (name is None) == (token_id is None):
        _fail("请给出令牌名称 NAME，或以 --id N 给出令牌编号，二者之一。", 2)
    x = _system(ctx)
    try:
        with x.db.write() as conn:
            count = revoke_token(conn, x.clock.now(), name=name, token_id=token_id)
    except XsflowError as err:
        hint = f"（如要按编号吊销，请用 --id {name}）" if name is not None and name.isdecimal() else ""
        _fail(_one_line(err.message) + hint, 2)
    click.echo(f"已吊销 {count} 个令牌。")


@main.group()
def calendar() -> None:
    """The official holiday calendar and legal periods."""


def _calendar_for(ctx: click.Context):
    """The database's calendar when there is a database, else the bundled notices."""
    from xsflow.calendar import OfficialCalendar, bundled_notices
    from xsflow.store.db import database_url

    url = database_url(ctx.obj["database_url"])
    if url.startswith("sqlite:///") and not Path(url.removeprefix("sqlite:///")).exists():
        return OfficialCalendar(bundled_notices())
    x = _system(ctx)
    try:
        with x.db.read() as conn:
            return x.calendars.current(conn)
    except Exception:  # no schema yet: the bundled notices are the answer
        return OfficialCalendar(bundled_notices())


@calendar.command("deadline")
@click.argument("start", type=Day())
@click.option("--working-days", type=click.IntRange(1, 3650), default=None)
@click.option("--days", type=click.IntRange(1, 3650), default=None)
@click.option("--explain", is_flag=True, help="Add the counted and skipped days.")
@click.pass_context
def calendar_deadline(ctx: click.Context, start: date, working_days: int | None, days: int | None,
                      explain: bool) -> None:
    """Print the last day of a period as YYYY-MM-DD; exit 3 when it is provisional."""
    if (working_days is None) == (days is None):
        _fail("请给出 --working-days N（工作日）或 --days N（日）二者之一。", 2)
    cal = _calendar_for(ctx)
    try:
        period = cal.add_working_days(start, working_days) if working_days else cal.add_days(start, days)
    except ValueError as err:  # the period ends past the last year the calendar covers
        _fail(_one_line(str(err)), 2)
    click.echo(period.last_day.isoformat())
    if explain:
        click.echo(str(cal.explain(period)))
    if period.provisional:
        click.echo("注意：该结果为推定结果。" + "；".join(period.assumptions), err=True)
        sys.exit(EXIT_PROVISIONAL)


@calendar.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def calendar_load(ctx: click.Context, file: Path) -> None:
    """Load a year's holiday notice or a county rest-day decision (TOML; see docs/calendar.md)."""
    from xsflow.calendar import CalendarConflictError, NoticeFormatError, parse_notice

    try:
        notice = parse_notice(file.read_text(encoding="utf-8"), source=str(file))
        outcome, recounted = _system(ctx).load_notice(notice)
    except (NoticeFormatError, CalendarConflictError, UnicodeDecodeError) as err:
        _fail(_one_line(f"{file} 未载入：{err}"), 2)
    if outcome == "unchanged":
        click.echo(f"{notice.number}（{notice.title}）已载入过，内容相同，未作改动。")
        return
    verb = "已更正" if outcome == "replaced" else "已载入"
    click.echo(f"{verb} {notice.number}（{notice.title}）；重新计算了 {recounted} 个推定期限。")


@main.group()
def procedures() -> None:
    """The procedure definitions."""


@procedures.command("doc")
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of stdout (docs/procedures.md).")
def procedures_doc(output: Path | None) -> None:
    """Print every procedure's state diagram and articles as Markdown."""
    from xsflow.mermaid import markdown
    from adapters.compose import county_registry

    text = markdown(county_registry().all())
    if output:
        output.write_text(text + "\n", encoding="utf-8")
    else:
        click.echo(text)


@main.group()
def document() -> None:
    """Issued documents."""


@document.command("render")
@click.argument("document_id", type=click.IntRange(1, MAX_ID))
@click.option("--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the .docx; default its number and title in the working folder.")
@click.pass_context
def document_render(ctx: click.Context, document_id: int, output: Path | None) -> None:
    """Write an issued document's .docx file."""
    from xsflow.access import Actor
    from xsflow.documents import docx_file
    from xsflow.queries import document_record

    x = _system(ctx)
    try:
        with x.db.read() as conn:
            record = document_record(conn, Actor("operator", "admin"), document_id)
    except XsflowError as err:
        _fail(err.message, 2)
    name, content = docx_file(record)
    target = output or Path(name)
    target.write_bytes(content)
    click.echo(str(target))


@main.command("backup")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.pass_context
def backup_command(ctx: click.Context, file: Path) -> None:
    """Write a consistent logical backup of the whole database (gzip JSON lines) to FILE."""
    from xsflow.backup import backup, row_counts

    x = _system(ctx)
    with _progress(sum(row_counts(x.db).values()), "备份") as bar:
        counts = backup(x.db, file, now=x.clock.now(), progress=bar.update)
    click.echo(f"已备份到 {file}：案件 {counts.get('cases', 0)} 件、历史记录 {counts.get('history', 0)} 条、"
               f"文书 {counts.get('documents', 0)} 份。")


@main.command("restore")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.pass_context
def restore_command(ctx: click.Context, file: Path) -> None:
    """Restore a backup into a new, empty database (the one --database-url names)."""
    from xsflow.backup import RestoreRefused, restore

    try:
        counts = restore(_system(ctx).db, file)
    except RestoreRefused as err:
        _fail(_one_line(f"未恢复：{err}"), 2)
    click.echo(f"已从 {file} 恢复：案件 {counts.get('cases', 0)} 件、历史记录 {counts.get('history', 0)} 条。"
               "请运行 xsflow audit verify 核对。")


def _progress(total: int, label: str):
    """A progress bar on stderr (stdout keeps the one-line result); on a terminal only: a log or a
    pipe gets the label once."""
    return click.progressbar(length=total, label=label, file=sys.stderr, show_pos=True, show_percent=True)


@main.group()
def audit() -> None:
    """The hash-chained case history."""


@audit.command("verify")
@click.pass_context
def audit_verify(ctx: click.Context) -> None:
    """Exit 0 when every case history verifies and the kept counts and the parties' copies agree with the
    rows, else name the first broken entry (or the counts and copies that differ)."""
    from sqlalchemy import func, select

    from xsflow import kept_counts, party_places
    from xsflow.store.schema import cases

    x = _system(ctx)
    with x.db.read() as conn:
        total = conn.execute(select(func.count()).select_from(cases)).scalar_one()
    with _progress(total, "核对审计链（案件）") as bar:
        problem = x.audit(progress=bar.update)
    if problem:
        _fail(f"审计校验未通过：{problem}")
    click.echo("审计校验通过：全部案件历史记录完整、未被改动。")
    with x.db.read() as conn:
        differing = kept_counts.check(conn) + party_places.check(conn)
    if differing:
        _fail("\n".join([*differing, "以上计数或当事单位名下的案件状态与案件、期限记录不符（案件历史不受影响）："
                                     "请运行 xsflow audit recount 重新计数。"]))


@audit.command("recount")
@click.pass_context
def audit_recount(ctx: click.Context) -> None:
    """Count the totals PostgreSQL keeps (待办, the overdue summary, the audit log, the case list) afresh
    from the cases and deadlines, and copy each case's state to its parties' rows afresh."""
    from xsflow import kept_counts, party_places

    x = _system(ctx)
    with x.db.write() as conn:
        keys = kept_counts.rebuild(conn)
        copied = party_places.rewrite(conn)
    click.echo(f"已重新计数：待办、逾期汇总、操作记录和案件列表的计数共 {keys} 组；当事单位名下的案件状态更正 {copied} 条。")


from .cli_assessment import assessment  # noqa: E402
from .cli_users import user  # noqa: E402  (its own module: accounts are the web pages' concern)

main.add_command(user)
main.add_command(assessment)

if __name__ == "__main__":
    main()


