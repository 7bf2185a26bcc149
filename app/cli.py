"""Command line: `python -m app.cli COMMAND`.

migrate                       bring the database to the newest schema
create-centre NAME CODE       register an evaluation centre (统一社会信用代码 checked)
create-user ...               add a staff account
import-bank --centre CODE F   import a YAML question bank (all or nothing)
verify FILE|TOKEN --jwks F    verify a certificate offline [--status LIST]
keys-rotate                   add a new certificate signing key (old ones stay published)
certificates-resume           run queued or interrupted bulk issuances
demo                          migrate, load demo data if empty, serve on 127.0.0.1:8000
audit-verify [--digest F]     walk the audit hash chain; name the first entry altered or removed;
                              check regulators' signed digests of its head against it
"""

import argparse
import getpass
import sys
from pathlib import Path

from app.accounts.models import Role
from app.core.config import get_settings
from app.core.db import session_scope
from app.core.errors import DomainError
from app.core.migrate import upgrade_to_head


def _print_error(exc: DomainError) -> None:
    print(f"错误：{exc.message}", file=sys.stderr)
    for d in exc.details:
        place = d.get("place") or d.get("field") or ""
        print(f"  {place}{'：' if place else ''}{d.get('problem', '')}", file=sys.stderr)


def cmd_migrate(_: argparse.Namespace) -> int:
    from app.reference import service as reference

    upgrade_to_head(get_settings().database_url)
    with session_scope() as db:
        reference.ensure_shipped_occupations(db)
    print("数据库已是最新结构")
    return 0


def cmd_create_centre(args: argparse.Namespace) -> int:
    from app.reference import service as reference

    with session_scope() as db:
        centre = reference.create_centre(
            db, name=args.name, credit_code=args.credit_code, evaluator_type=args.type
        )
        print(f"已登记评价机构 #{centre.id} {centre.name}")
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from app.accounts import service as accounts
    from app.reference import service as reference

    password = args.password or getpass.getpass("密码：")
    with session_scope() as db:
        centre_id = None
        if args.centre:
            centre = reference.centre_by_credit_code(db, args.centre)
            if centre is None:
                print(f"错误：没有统一社会信用代码为 {args.centre} 的评价机构", file=sys.stderr)
                return 2
            centre_id = centre.id
        user = accounts.create_staff_user(
            db,
            username=args.username,
            display_name=args.name or args.username,
            password=password,
            role=Role(args.role),
            centre_id=centre_id,
            region_code=args.region,
        )
        print(f"已创建账号 {user.username}（{args.role}）")
    return 0


def cmd_import_bank(args: argparse.Namespace) -> int:
    from app.banks import service as banks
    from app.reference import service as reference

    with session_scope() as db:
        centre = reference.centre_by_credit_code(db, args.centre)
        if centre is None:
            print(f"错误：没有统一社会信用代码为 {args.centre} 的评价机构", file=sys.stderr)
            return 2
        assert centre.id is not None
        reference.ensure_shipped_occupations(db)
        summaries = []
        foreign = banks.ForeignBank(
            code=args.code,
            name=args.name,
            occupation=args.occupation,
            direction=args.direction,
            levels=tuple(args.level),
            skip_refused=args.skip_refused,
        )
        for path in args.files:
            p = Path(path)
            result = banks.import_bank_file(
                db,
                centre_id=centre.id,
                filename=p.name,
                content=p.read_bytes(),
                actor=None,
                foreign=foreign,
            )
            summaries.append(f"{p.name}：{result.summary}")
            summaries += [f"  跳过 {s.place}：{s.problem}" for s in result.skipped]
    # Printed only once everything is committed: several files import all or nothing.
    print("\n".join(summaries))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    import uvicorn

    from app import demo

    settings = get_settings()
    upgrade_to_head(settings.database_url)
    with session_scope() as db:
        accounts = demo.seed(db)
    demo.print_accounts(accounts, f"http://{args.host}:{args.port}")
    print(f"\n技评已启动：http://{args.host}:{args.port}  （Ctrl+C 停止）\n", flush=True)
    uvicorn.run("app.main:app", host=args.host, port=args.port, log_level="warning")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    """Offline verification: exit 0 valid, 1 not valid (revoked, forged), 2 bad input."""
    from app.certificates import offline

    try:
        v = offline.verify(
            args.source, jwks=Path(args.jwks), status=Path(args.status) if args.status else None
        )
    except offline.OfflineInputInvalid as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 2
    print(v.verdict_name)
    for check in v.checks:
        mark = "✓" if check.passed else ("—" if check.passed is None else "✗")
        print(f"  {mark} {check.name}：{check.detail}")
    for name, value in v.shown_claims():
        print(f"  {name}：{value}")
    return 0 if v.verdict.value in ("valid", "unconfirmed") else 1


def cmd_keys_rotate(_: argparse.Namespace) -> int:
    from app.core import keys

    print(f"新签名密钥：{keys.rotate()}（旧密钥仍在 JWKS 中，已发证书照常可验）")
    return 0


def cmd_certificates_resume(args: argparse.Namespace) -> int:
    """Run the queued or interrupted bulk issuances now (the app's runner does this too)."""
    from app.certificates import batches

    done = batches.run_pending(workers=args.workers)
    print(f"已运行 {len(done)} 个发证批次")
    return 0


def cmd_audit_verify(args: argparse.Namespace) -> int:
    from app.audit import service as audit

    with session_scope() as db:
        walked = audit.verify(db)
        digests = [audit.check_digest(db, Path(p).read_text()) for p in args.digest]
    if walked.broken is None:
        print(f"审计日志完整：{walked.count} 条，链头 {walked.head_hash}")
    else:
        print(f"审计日志不完整：{walked.broken.message}", file=sys.stderr)
        print(f"  此前 {walked.count} 条完好（至第 {walked.head_seq} 条）", file=sys.stderr)
    for path, (holds, message) in zip(args.digest, digests, strict=True):
        print(f"{path}：{message}", file=sys.stdout if holds else sys.stderr)
    return 0 if walked.broken is None and all(holds for holds, _ in digests) else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m app.cli", description="技评 Jiping")
    sub = parser.add_subparsers(dest="command", required=True)

    sub.add_parser("migrate").set_defaults(func=cmd_migrate)

    p = sub.add_parser("create-centre")
    p.add_argument("name")
    p.add_argument("credit_code")
    p.add_argument("--type", default="S", choices=["Y", "S"])
    p.set_defaults(func=cmd_create_centre)

    p = sub.add_parser("create-user")
    p.add_argument("username")
    p.add_argument("--role", required=True, choices=[r.value for r in Role])
    p.add_argument("--name")
    p.add_argument("--centre", help="统一社会信用代码 of the staff member's centre")
    p.add_argument("--region", help="行政区划 code (regulators)")
    p.add_argument("--password", help="omit to be asked")
    p.set_defaults(func=cmd_create_user)

    p = sub.add_parser("import-bank")
    p.add_argument("--centre", required=True, help="统一社会信用代码 of the centre")
    p.add_argument("files", nargs="+", help=".yaml, .xlsx, QTI .xml/.zip or Moodle .xml")
    # QTI and Moodle XML files name no bank: these do (Jiping's own exports need none).
    p.add_argument("--code", default="", help="QTI/Moodle: bank code")
    p.add_argument("--name", default="", help="QTI/Moodle: bank name")
    p.add_argument("--occupation", default="", help="QTI/Moodle: occupation code, e.g. 6-31-01-03")
    p.add_argument("--direction", default="", help="QTI/Moodle: 工种/方向")
    p.add_argument("--level", action="append", default=[], help="QTI/Moodle: level code (repeat)")
    p.add_argument(
        "--skip-refused",
        action="store_true",
        help="QTI/Moodle: import the deliverable items, list the others",
    )
    p.set_defaults(func=cmd_import_bank)

    p = sub.add_parser("verify", help="verify a certificate offline (PDF or token)")
    p.add_argument("source", help="certificate PDF, a file with a token or URL, or the token")
    p.add_argument("--jwks", required=True, help="JWKS file (from /.well-known/jwks.json)")
    p.add_argument("--status", help="cached revocation list (from /certificates/status/1)")
    p.set_defaults(func=cmd_verify)

    p = sub.add_parser("keys-rotate", help="add a new certificate signing key")
    p.set_defaults(func=cmd_keys_rotate)

    p = sub.add_parser("certificates-resume", help="run queued or interrupted bulk issuances")
    p.add_argument("--workers", type=int, default=None)
    p.set_defaults(func=cmd_certificates_resume)

    p = sub.add_parser("demo")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("audit-verify")
    p.add_argument(
        "--digest", action="append", default=[], help="a signed digest (.jws) to check too"
    )
    p.set_defaults(func=cmd_audit_verify)

    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except DomainError as exc:
        _print_error(exc)
        return 2


if __name__ == "__main__":
    sys.exit(main())
