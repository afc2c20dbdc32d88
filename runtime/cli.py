"""``portway workflows ...`` and ``portway runs ...``: deploy and manage workflows, read
and steer runs: on the store (``PORTWAY_DATABASE_URL`` and ``--config`` honoured), or with
``--url URL --token T`` (or ``--token-file``) through a running gateway's API.

- ``workflows deploy PATH [--name N] [--json]`` — a Standard project folder, a Standard
  ``workflow.json`` or a Consumption form; nothing is deployed unless all of it validates
  (each error names its file and JSON pointer); exit 1 when refused.
- ``workflows list``, ``show NAME``, ``enable NAME``, ``disable NAME``, ``rotate-key NAME``
  (a new trigger-signing key: every callback URL given out before stops working).
- ``runs list WORKFLOW [--status S] [--json]``, ``runs show ID [--json]`` (the action
  timeline), ``runs cancel ID``, ``runs resubmit ID``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from gateway import add_store_options
from runtime.control import control_of
from runtime.definitions import check, load_path
from runtime.errors import DefinitionInvalid


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    workflows = commands.add_parser("workflows", help="deploy and manage workflows")
    wf = workflows.add_subparsers(dest="workflows_command", required=True, metavar="COMMAND")
    deploy = wf.add_parser("deploy", help="deploy a project folder or a workflow file")
    deploy.add_argument("path", type=Path)
    deploy.add_argument("--name", help="the workflow's name (a single workflow)")
    deploy.add_argument("--json", action="store_true", help="one JSON object per workflow")
    deploy.set_defaults(handler=_deploy)
    add_store_options(deploy, remote=True)
    listing = wf.add_parser("list", help="the deployed workflows")
    listing.add_argument("--json", action="store_true")
    listing.set_defaults(handler=_list)
    add_store_options(listing, remote=True)
    for verb, handler, text in (("show", _show, "a workflow's definition and state"),
                                ("enable", _enable, "let a workflow's triggers fire"),
                                ("disable", _disable, "stop a workflow's triggers"),
                                ("rotate-key", _rotate, "a new trigger-signing key")):
        sub = wf.add_parser(verb, help=text)
        sub.add_argument("name")
        sub.set_defaults(handler=handler)
        add_store_options(sub, remote=True)

    runs = commands.add_parser("runs", help="read and steer workflow runs")
    rn = runs.add_subparsers(dest="runs_command", required=True, metavar="COMMAND")
    rlist = rn.add_parser("list", help="a workflow's runs, newest first")
    rlist.add_argument("workflow")
    rlist.add_argument("--status", help="Running, Waiting, Succeeded, Failed or Cancelled")
    rlist.add_argument("--top", type=int, default=50)
    rlist.add_argument("--json", action="store_true")
    rlist.set_defaults(handler=_runs_list)
    add_store_options(rlist, remote=True)
    show = rn.add_parser("show", help="a run's action timeline")
    show.add_argument("id")
    show.add_argument("--json", action="store_true")
    show.set_defaults(handler=_runs_show)
    add_store_options(show, remote=True)
    for verb, handler, text in (("cancel", _runs_cancel, "cancel a run"),
                                ("resubmit", _runs_resubmit, "run again from its trigger")):
        sub = rn.add_parser(verb, help=text)
        sub.add_argument("id")
        sub.set_defaults(handler=handler)
        add_store_options(sub, remote=True)


def _deploy(args: argparse.Namespace) -> int:
    try:
        bundle = load_path(args.path, args.name)
        check(bundle.workflows, "the deploy")
    except DefinitionInvalid as exc:
        if args.json:
            print(json.dumps({"source": str(args.path), "status": "failed",
                              "errors": exc.details}))
        else:
            print(f"portway: nothing deployed: {len(exc.details)} error(s)", file=sys.stderr)
            for detail in exc.details:
                print(f"  {detail['file']}#{detail['pointer']}: {detail['message']}",
                      file=sys.stderr)
        return 1
    outcomes = control_of(args).deploy(bundle.workflows, bundle.app_settings)
    for record, outcome in outcomes:
        if args.json:
            print(json.dumps({"source": str(args.path), "workflow": record["name"],
                              "status": "deployed", "outcome": outcome,
                              "version": record["version"], "errors": []}))
        else:
            print(f"{record['name']}: {outcome} (version {record['version']})")
    if bundle.app_settings and not args.json:
        print(f"app settings: {len(bundle.app_settings)} stored")
    return 0


def _list(args: argparse.Namespace) -> int:
    for record in control_of(args).workflows():
        if args.json:
            print(json.dumps({key: record[key] for key in
                              ("name", "enabled", "kind", "version")}))
        else:
            state = "enabled" if record["enabled"] else "disabled"
            print(f"{record['name']}\t{record['kind']}\t{state}\t{record['version']}")
    return 0


def _show(args: argparse.Namespace) -> int:
    print(json.dumps(control_of(args).workflow(args.name), indent=2))
    return 0


def _enable(args: argparse.Namespace) -> int:
    control_of(args).set_enabled(args.name, True)
    print(f"{args.name}: enabled")
    return 0


def _disable(args: argparse.Namespace) -> int:
    control_of(args).set_enabled(args.name, False)
    print(f"{args.name}: disabled")
    return 0


def _rotate(args: argparse.Namespace) -> int:
    control_of(args).rotate_key(args.name)
    print(f"{args.name}: new trigger key; earlier callback URLs no longer work")
    return 0


def _runs_list(args: argparse.Namespace) -> int:
    status = args.status.capitalize() if args.status else None
    for run in control_of(args).runs(args.workflow, status, args.top):
        if args.json:
            print(json.dumps(run))
        else:
            print(f"{run['id']}\t{run['status']}\t{run.get('startTime') or ''}\t"
                  f"{run.get('endTime') or ''}")
    return 0


def _runs_show(args: argparse.Namespace) -> int:
    run = control_of(args).run(args.id)
    print(json.dumps(run, indent=2) if args.json else timeline(run))
    return 0


def timeline(run: dict[str, Any]) -> str:
    """A run as a person reads it: the run, its trigger, then each action in start order."""
    lines = [f"run {run['id']} of {run['workflow']}: {run['status']}",
             f"  started {run.get('startTime') or '-'}  ended {run.get('endTime') or '-'}"]
    if run.get("error"):
        lines.append(f"  error {run['error'].get('code')}: {run['error'].get('message')}")
    trigger = run.get("trigger") or {}
    if trigger:
        lines.append(f"  trigger {trigger.get('name')}: {trigger.get('status')} "
                     f"{trigger.get('code') or ''}".rstrip())
    actions = run.get("actions") or {}
    ordered = sorted(actions.items(), key=lambda kv: (kv[1].get("startTime") or "~", kv[0]))
    width = max((len(name) for name in actions), default=0)
    for name, action in ordered:
        parts = [f"  {name.ljust(width)}", str(action.get("type") or ""),
                 str(action.get("status") or ""), str(action.get("code") or ""),
                 str(action.get("startTime") or "")]
        repetitions = action.get("repetitions")
        if repetitions:
            parts.append(f"{len(repetitions)} repetitions")
        lines.append("  ".join(p for p in parts if p))
        error = action.get("error")
        if error:
            lines.append(f"  {' ' * width}  error {error.get('code')}: {error.get('message')}")
    return "\n".join(lines)


def _runs_cancel(args: argparse.Namespace) -> int:
    print(f"{args.id}: {control_of(args).cancel(args.id)['status']}")
    return 0


def _runs_resubmit(args: argparse.Namespace) -> int:
    print(control_of(args).resubmit(args.id))
    return 0
