"""The `salesnb` command: demo data, validation, and report runs."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path

import yaml

from salesnb.core import yamltext
from salesnb.core.errors import InputError, SalesnbError
from salesnb.core.scope import ALL
from salesnb.core.text import redacted
from salesnb.run.params import PARAMS_DIR, Plan, load_plan

INTERRUPTED = 130  # 128 + SIGINT, as shells report a command stopped by Ctrl-C


def _out_folder(out: str, source: str | None = None) -> Path:
    """The folder --out names; InputError when it is a file, or the very folder the data are read from."""
    path = Path(out)
    if path.exists() and not path.is_dir():
        raise InputError(f"--out {out}: is a file, not a folder; name a folder to write into.")
    if source is not None and path.resolve() == Path(source).resolve():
        raise InputError(f"--out {out}: is the export folder itself, whose files the import would overwrite; name "
                         "another folder (by default data/imported).")
    return path


def _demo(args: argparse.Namespace) -> int:
    from salesnb.data.demo import generate
    from salesnb.data.workspace import load_folder

    out = _out_folder(args.out)
    manifest = generate(out, seed=args.seed, scale=args.scale, order_format=args.format)
    print(f"Demo CRM written to {out} ({manifest['rows']['order_lines']:,} order lines, "
          f"{manifest['first_month']} to {manifest['end_month']}); ground truth in manifest.json.")
    if not args.no_workspace:
        counts = load_folder(out, out / "workspace.duckdb")
        print(f"Workspace {out / 'workspace.duckdb'}: {len(counts)} tables loaded and validated.")
    return 0


def _validate(args: argparse.Namespace) -> int:
    from salesnb.data.engine import is_url
    from salesnb.data.workspace import load_folder

    folder = Path(args.data_dir)
    warehouse = args.workspace if args.workspace and is_url(args.workspace) else None
    workspace = folder / "workspace.duckdb" if warehouse or not args.workspace else Path(args.workspace)
    counts = load_folder(folder, workspace)
    for table, n in counts.items():
        print(f"  {table:<22} {n:>12,} rows")
    print(f"All {len(counts)} tables are valid; workspace {workspace} updated.")
    if warehouse:
        from salesnb.data.warehouse import copy_to_postgres

        copy_to_postgres(workspace, warehouse)
        print(f"Copied into {warehouse}; reports run there with --workspace {warehouse}.")
    return 0


def _extra(pairs: list[str]) -> dict:
    out = {}
    for pair in pairs:
        if "=" not in pair:
            raise SalesnbError(f"-p expects NAME=VALUE, got '{pair}'.")
        name, value = pair.split("=", 1)
        try:
            out[name.strip()] = yamltext.load(value)
        except yaml.YAMLError as exc:
            why = getattr(exc, "problem", None) or exc
            raise SalesnbError(f"-p {name.strip()}: the value is not valid YAML ({why}).") from None
    return out


def _run(args: argparse.Namespace) -> int:
    from salesnb.run.execute import publish_index, run_jobs
    from salesnb.run.plan import plan_jobs

    if args.plan:
        plan = load_plan(Path(args.plan))
    elif args.notebook:
        plan = Plan(notebooks=[args.notebook], teams=[args.team], months=[args.month])
    else:
        raise SalesnbError("Say what to run: --plan FILE, or --notebook NAME [--team] [--month].")
    overrides = {"data_dir": args.data, "workspace": args.workspace, "outputs": args.outputs,
                 "workers": args.workers}
    settings, jobs = plan_jobs(plan, Path(args.params), overrides, _extra(args.param))
    print(f"Running {len(jobs)} report(s) on {settings.workspace_path}")
    previous = signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops a batch as cleanly as Ctrl-C
    try:
        results = run_jobs(jobs, settings.workers, progress=not args.quiet)
    finally:
        signal.signal(signal.SIGTERM, previous)
    for index in publish_index(results):
        print(f"Index: {index}")
    stopped = [r for r in results if r["status"] == "interrupted"]
    if stopped:
        print(f"Interrupted: {sum(r['status'] == 'ok' for r in results)} report(s) written, {len(stopped)} not "
              "finished (marked 'interrupted' in the index); earlier reports were kept.", file=sys.stderr)
        return INTERRUPTED
    failed = [r for r in results if r["status"] == "failed"]
    for r in results:
        if r["status"] == "skipped":
            print(f"SKIPPED {r['month']} {r['team']} {r['notebook']}: {r['message']}")
    for r in failed:
        print(f"FAILED {r['month']} {r['team']} {r['notebook']}: {r['message']} "
              f"(error notebook: {Path(r['report']).with_suffix('.error.ipynb')})", file=sys.stderr)
    written = sum(r["status"] == "ok" for r in results)
    print(f"{written} report(s) written, {len(failed)} failed, {len(results) - written - len(failed)} skipped.")
    return 1 if failed else 0


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _import(args: argparse.Namespace) -> int:
    from salesnb.data.mapping import load_mapping, prepare, refusal, summary, write_import

    out = _out_folder(args.out, args.source_dir)
    mapping = load_mapping(Path(args.mapping))
    items = prepare(mapping, Path(args.source_dir))
    refused = not args.keep_going and any(item.problems for item in items.values())
    for line in summary(items, dry_run=args.dry_run, refused=refused):
        print(line)
    if refused:
        raise InputError(refusal(items, dry_run=args.dry_run))
    if args.dry_run:
        print("Dry run: nothing written.")
        return 0
    write_import(items, mapping, out)
    if any(len(item.rejects) for item in items.values()):
        print(f"Rejected rows, with their reasons, in {out / 'rejects'}/.")
    print(f"Imported into {out} (workspace {out / 'workspace.duckdb'}). "
          f"Run reports with: salesnb run --data {out} --plan params/plans/demo.yaml")
    return 0


def _export_shape(args: argparse.Namespace) -> int:
    from salesnb.data.shapes import SHAPES, write_shape

    out = write_shape(args.shape, _out_folder(args.out), seed=args.seed, rows=args.rows, excel=args.excel)
    mapping = SHAPES[args.shape].mapping
    try:
        mapping = mapping.relative_to(Path.cwd())
    except ValueError:
        pass
    print(f"{SHAPES[args.shape].doc}: written to {out} (ground truth in {out / 'truth.json'}). Import it with:")
    print(f"  salesnb import --mapping {mapping} --out data/{args.shape} --keep-going {out}")
    return 0


def _contract(args: argparse.Namespace) -> int:
    from salesnb.data.schema import contract_markdown

    print(contract_markdown(), end="")
    return 0


def _approve(args: argparse.Namespace) -> int:
    from salesnb.data.approval import file_quotas
    from salesnb.run.params import load_settings

    if not args.data and not (Path(args.params) / "defaults.yaml").exists():
        raise SalesnbError(f"No {Path(args.params) / 'defaults.yaml'} here to say where the data are: give the data "
                           "folder with --data DIR, or run from the project folder.")
    folder = Path(args.data) if args.data else load_settings(Path(args.params)).data_dir
    month, table = file_quotas(Path(args.workbook), folder)
    changed, before = int(table["approved"].sum()), table["replaced"].sum(min_count=1)
    was = f", replacing {before:,.2f} on file for them" if before == before else ""
    print(f"Filed {len(table)} reps' quotas for {month:%B %Y} into {folder / 'quotas.csv'}: "
          f"{table['quota'].sum():,.2f} in all ({changed} set by the manager, the others as proposed){was}; other "
          f"reps keep theirs. Comments logged in {folder / 'approvals' / 'quotas.csv'}. The next run loads them.")
    return 0


def _params(args: argparse.Namespace) -> int:
    from salesnb.report.registry import parameters_markdown

    print(parameters_markdown(), end="")
    return 0


def parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(prog="salesnb", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", help="generate the demo CRM and its workspace")
    d.add_argument("--out", default="data/demo", help="folder to write (default data/demo)")
    d.add_argument("--seed", type=int, default=42)
    d.add_argument("--scale", type=float, default=1.0,
                   help="multiply the number of order lines (110 gives ~10.5 million)")
    d.add_argument("--format", choices=("csv", "parquet"), default="csv",
                   help="file format of order_lines")
    d.add_argument("--no-workspace", action="store_true", help="write the files only")
    d.set_defaults(func=_demo)

    v = sub.add_parser("validate", help="validate a data folder and load it into its workspace")
    v.add_argument("data_dir")
    v.add_argument("--workspace", help="DuckDB file (default DATA_DIR/workspace.duckdb), or a PostgreSQL URL to "
                   "copy the validated tables into")
    v.set_defaults(func=_validate)

    r = sub.add_parser("run", help="run one report or a batch plan")
    r.add_argument("--plan", help="YAML plan: notebooks x teams x months")
    r.add_argument("--notebook", help="one notebook, e.g. 02_reporting")
    r.add_argument("--team", default=ALL, help="team name, or 'all' (default)")
    r.add_argument("--month", default="latest", help="YYYY-MM or 'latest' (default)")
    r.add_argument("--params", default=str(PARAMS_DIR), help="parameter folder (default params)")
    r.add_argument("--data", help="data folder (overrides data_dir)")
    r.add_argument("--workspace", help="workspace file (overrides workspace)")
    r.add_argument("--outputs", help="report folder (overrides outputs)")
    r.add_argument("--workers", type=int, help="notebooks run at once (default: one per core)")
    r.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="a notebook parameter, e.g. -p top_n=5")
    r.add_argument("--quiet", action="store_true", help="no progress bar")
    r.set_defaults(func=_run)

    i = sub.add_parser("import", help="turn a CRM export into a data folder and workspace with a mapping")
    i.add_argument("source_dir", help="folder of the CRM's export files")
    i.add_argument("--mapping", required=True, help="YAML mapping (see params/mappings/)")
    i.add_argument("--out", default="data/imported", help="data folder to write (default data/imported)")
    i.add_argument("--dry-run", action="store_true", help="report what would be imported, write nothing")
    i.add_argument("--keep-going", action="store_true",
                   help="import the valid rows; write the rejected ones, with reasons, to OUT/rejects/")
    i.set_defaults(func=_import)

    x = sub.add_parser("export-shape", help="write a raw CRM/ERP export of a well-known shape, to try imports")
    x.add_argument("shape", choices=("orders_only", "pipeline_only", "ecommerce"))
    x.add_argument("--out", required=True, help="folder to write the export files into")
    x.add_argument("--seed", type=int, default=42)
    x.add_argument("--rows", type=int, help="lines (orders_only, ecommerce) or deals (pipeline_only)")
    x.add_argument("--excel", action="store_true", help="ecommerce: write .xlsx instead of .parquet")
    x.set_defaults(func=_export_shape)

    c = sub.add_parser("contract", help="print the input data contract as Markdown")
    c.set_defaults(func=_contract)

    pa = sub.add_parser("params", help="print every report's parameters (type, default, meaning) as Markdown")
    pa.set_defaults(func=_params)

    q = sub.add_parser("quotas", help="file the quotas a manager approved")
    actions = q.add_subparsers(dest="action", required=True)
    qa = actions.add_parser("approve", help="file a quota workbook from the quotas report (its 'approved quota' "
                            "column, else the proposal) as the quotas of its month")
    qa.add_argument("workbook", help="the quota_proposal_<month>_<team>.xlsx a manager filled in")
    qa.add_argument("--data", help="data folder whose quotas.csv receives them (default: data_dir)")
    qa.add_argument("--params", default=str(PARAMS_DIR), help="parameter folder (default params)")
    qa.set_defaults(func=_approve)
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point: run a sub-command, turning user-facing errors into one clear message."""
    args = parser().parse_args(argv)
    try:
        return args.func(args)
    except SalesnbError as exc:
        print(f"salesnb: error: {redacted(str(exc))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("salesnb: interrupted.", file=sys.stderr)
        return INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
