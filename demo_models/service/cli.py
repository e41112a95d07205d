"""Command line: register an iteration from files, list the registry.

    involve register MODEL.skops EVAL.parquet --use-case churn --version v3 --target churned \\
        --author "Dana" [--positive-label 1 --positive-class churn --threshold 0.35 \\
        --protected age --parent v2 --notes "..." --replace]
    involve register --from-mlflow models:/credit-risk@candidate [EVAL.parquet | --eval-artifact eval.parquet] \\
        --target default [--tracking-uri http://127.0.0.1:5000 --use-case --version --author ...]
    involve list [--use-case churn]
    involve report credit v3 --out report.html [--pdf dossier.pdf] [--registry DIR] [--db URL]
    involve notices credit v3 --out notices.zip [--registry DIR]
    involve health [--registry DIR] [--db URL] [--record] (exit status 0 when healthy)
    involve monitor connect fraud --parquet LOG/ --map timestamp=ts --map inputs=a,b --map score=p
    involve monitor check fraud
    involve monitor shadow fraud --against v2 [--month 2025-07 --sample 5000 --seed 17 --served v1]
    involve notify --deliver [--once] [--db URL]
    involve nginx --listen 0.0.0.0:8080 --upstream 127.0.0.1:8501 --upstream 127.0.0.1:8502 --prefix DIR
"""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
from pathlib import Path

from demo_models import settings
from demo_models.iterations.registry import (
    RegistryError,
    list_iterations,
    load_model_file,
    read_eval_file,
    register_iteration,
)
from demo_models.service.monitor_cli import add_monitor_parser, run_monitor
from demo_models.service.notices_cli import add_notices_parser, run_notices
from demo_models.service.notify_cli import add_notify_parser, run_notify

log = logging.getLogger("involve.cli")


def _parse_label(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _user() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name in the environment (some containers)
        return "unknown user"


def _report(args: argparse.Namespace) -> int:
    from demo_models.presentation.notice_documents import issue_dossier
    from demo_models.presentation.report_inputs import compose_report
    from feedback.store.database import FeedbackStore, StoreError

    if args.out is None and args.pdf is None:
        print("No report: give --out REPORT.html, --pdf DOSSIER.pdf or both.", file=sys.stderr)
        return 2
    registry = Path(args.registry or settings.registry_dir())
    try:
        store = FeedbackStore(args.db or settings.db_url())
        documents = []
        if args.out is not None:
            documents.append((args.out, compose_report(registry, store, args.use_case, args.version).encode("utf-8")))
        if args.pdf is not None:
            by = f"{_user()} (involve report)"
            dossier = issue_dossier(registry, store, args.use_case, args.version, None, by, args.pdf.name)
            documents.append((args.pdf, dossier))  # recorded in the audit log of generated documents
    except (RegistryError, StoreError) as err:
        print(f"No report: {err}", file=sys.stderr)
        return 1
    for path, document in documents:
        try:
            path.write_bytes(document)
        except OSError as err:
            print(f"Could not write {path}: {err.strerror or err}", file=sys.stderr)
            return 1
        print(f"Wrote {path} ({len(document) / 1e6:.1f} MB).")
    return 0


def _nginx(args: argparse.Namespace) -> int:
    from demo_models.service.replicas import ReplicaConfigError, ReplicaSetup, write_nginx_config

    try:
        path = write_nginx_config(ReplicaSetup(args.listen, tuple(args.upstream), args.prefix, user=args.user))
    except (ReplicaConfigError, OSError) as err:
        print(f"No configuration written: {err}", file=sys.stderr)
        return 1
    print(f"Wrote {path}. Start it with: nginx -p {path.parent} -c {path}")
    return 0


def _register(args: argparse.Namespace):
    options = {
        "target": args.target,
        "positive_label": _parse_label(args.positive_label),
        "positive_class": args.positive_class,
        "favourable": args.favourable,
        "threshold": args.threshold,
        "protected_attributes": args.protected,
        "replace": args.replace,
        "registry_dir": args.registry,
        "progress": not args.quiet,
    }
    if args.from_mlflow:
        from demo_models.iterations.mlflow_import import register_iteration_from_mlflow

        if len(args.files) > 1:
            raise RegistryError("With --from-mlflow give at most one file, the evaluation data (or --eval-artifact).")
        return register_iteration_from_mlflow(
            args.from_mlflow,
            eval_data=args.files[0] if args.files else None,
            eval_artifact=args.eval_artifact,
            case_id_column=args.case_id_column,
            tracking_uri=args.tracking_uri,
            use_case=args.use_case,
            version=args.version,
            author=args.author,
            parent=args.parent,
            notes=args.notes,
            **options,
        )
    missing = [f"--{n.replace('_', '-')}" for n in ("use_case", "version", "author") if getattr(args, n) is None]
    if len(args.files) != 2 or missing or args.eval_artifact:
        raise RegistryError(
            "Give the model file and the evaluation data file"
            + (f", and {', '.join(missing)}" if missing else "")
            + " (or --from-mlflow URI; --eval-artifact only goes with it)."
        )
    return register_iteration(
        load_model_file(args.files[0]),
        read_eval_file(args.files[1], args.case_id_column),
        use_case=args.use_case,
        version=args.version,
        author=args.author,
        parent=args.parent,
        notes=args.notes or "",
        **options,
    )


def main(argv: list[str] | None = None) -> int:
    """Run the command line; returns the exit status (0 ok, 1 refused)."""
    parser = argparse.ArgumentParser(prog="involve", description="Involve's iteration registry.")
    commands = parser.add_subparsers(dest="command", required=True)
    register = commands.add_parser("register", help="register a fitted model as a new iteration")
    register.add_argument(
        "files",
        type=Path,
        nargs="*",
        metavar="MODEL EVAL",
        help="the model, saved with skops.io.dump (.skops), an XGBoost Booster (.ubj, .json) or a CatBoost model "
        "(.cbm), and the evaluation cases with the target (.csv or .parquet); with --from-mlflow, only the evaluation "
        "file",
    )
    register.add_argument(
        "--from-mlflow",
        metavar="URI",
        default=None,
        help="take the model from an MLflow registry: models:/NAME@ALIAS or models:/NAME/VERSION",
    )
    register.add_argument("--tracking-uri", default=None, help="MLflow tracking server (default: MLFLOW_TRACKING_URI)")
    register.add_argument(
        "--eval-artifact", default=None, help="evaluation data as an artifact of the model's MLflow run"
    )
    register.add_argument("--use-case", default=None, help="required, but taken from MLflow with --from-mlflow")
    register.add_argument("--version", default=None, help="required, but taken from MLflow with --from-mlflow")
    register.add_argument("--target", required=True)
    register.add_argument("--author", default=None, help="required, but taken from MLflow with --from-mlflow")
    register.add_argument("--quiet", action="store_true", help="no progress bar")
    register.add_argument("--case-id-column", default=None, help="column holding the case ids")
    register.add_argument("--positive-label", default="1", help="target value of the positive class (JSON)")
    register.add_argument("--positive-class", default="positive", help="what the positive class means")
    register.add_argument("--threshold", type=float, default=0.5)
    register.add_argument(
        "--favourable",
        choices=("negative", "positive"),
        default="negative",
        help="which decision is good for the case: negative (below the threshold, e.g. approve a loan) "
        "or positive (at or above it, e.g. hire)",
    )
    register.add_argument("--protected", action="append", default=[], help="a protected attribute (repeat)")
    register.add_argument("--parent", default=None)
    register.add_argument("--notes", default=None)
    register.add_argument("--replace", action="store_true", help="replace an existing version")
    register.add_argument("--registry", type=Path, default=None)
    report = commands.add_parser("report", help="write the HTML report and/or the PDF dossier of an iteration")
    report.add_argument("use_case")
    report.add_argument("version")
    report.add_argument("--out", type=Path, default=None, help="the HTML file to write")
    report.add_argument("--pdf", type=Path, default=None, help="the dossier PDF to write (for the compliance archive)")
    report.add_argument("--registry", type=Path, default=None)
    report.add_argument("--db", default=None, help="store URL (default: INVOLVE_DB_URL or the SQLite file)")
    health = commands.add_parser("health", help="check the store and the live iterations (exit 1 if unhealthy)")
    health.add_argument("--registry", type=Path, default=None)
    health.add_argument("--db", default=None, help="store URL (default: INVOLVE_DB_URL or the SQLite file)")
    health.add_argument("--json", action="store_true", help="print the checks as JSON")
    health.add_argument(
        "--record",
        action="store_true",
        help="post an outage notice on the notice board when checks start failing, and its end when they pass",
    )
    balancer = commands.add_parser(
        "nginx", help="write the nginx configuration that spreads people over several app processes"
    )
    balancer.add_argument("--listen", default="127.0.0.1:8080", help="host:port nginx listens on")
    balancer.add_argument(
        "--upstream", action="append", default=[], required=True, help="host:port of one app process (repeat)"
    )
    balancer.add_argument("--prefix", type=Path, required=True, help="nginx's folder: its config, pid, logs")
    balancer.add_argument("--user", default=None, help="USER[:GROUP] of nginx's workers when it runs as root")
    add_monitor_parser(commands)
    add_notices_parser(commands)
    add_notify_parser(commands)
    listing = commands.add_parser("list", help="list registered iterations")
    listing.add_argument("--use-case", default=None)
    listing.add_argument("--registry", type=Path, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(message)s")

    if args.command == "report":
        return _report(args)
    if args.command == "health":
        from demo_models.service.health import record_checks, run_checks

        logging.getLogger().setLevel(logging.CRITICAL)  # the checks say what failed; no log noise
        db_url = args.db or settings.db_url()
        checks = run_checks(Path(args.registry or settings.registry_dir()), db_url)
        if args.record:
            record_checks(db_url, checks)
        if args.json:
            print(json.dumps([[c.name, c.ok, c.detail] for c in checks]))
        for check in [] if args.json else checks:
            print(f"{'ok  ' if check.ok else 'FAIL'}  {check.name}: {check.detail}")
        return 0 if all(c.ok for c in checks) else 1
    if args.command == "nginx":
        return _nginx(args)
    if args.command == "monitor":
        return run_monitor(args)
    if args.command == "notices":
        return run_notices(args)
    if args.command == "notify":
        return run_notify(args)
    if args.command == "list":
        for card in list_iterations(args.use_case, args.registry):
            print(f"{card.use_case}/{card.version}\t{card.model_type}\t{card.created}\t{card.notes[:60]}")
        return 0
    try:
        card = _register(args)
    except RegistryError as err:
        print(f"Not registered: {err}", file=sys.stderr)
        return 1
    print(f"Registered {card.use_case}/{card.version} ({card.explainer}, {card.n_eval} evaluation cases).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
