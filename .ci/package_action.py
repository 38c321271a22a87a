#!/usr/bin/env python3
"""Runs the composite action.yml locally as a GitHub runner would, for
.ci/package.sh: each `run:` step under bash -eo pipefail with its `env:`
(expressions evaluated), $GITHUB_OUTPUT / $GITHUB_PATH / $RUNNER_TEMP /
$GITHUB_ACTION_PATH, the `if:` conditions and the "skip after a failure"
rule. `uses:` steps are not run: the script says whether they would be.
Prints the action's outputs as one JSON line; exits 1 when a step failed.

Usage: package_action.py ACTION_DIR EVENT BASE_REF RUNNER_TEMP [INPUT=VALUE...]
(run in the policy repository; PyYAML comes with pre-commit's venv).
"""
import json
import os
import re
import subprocess
import sys

import yaml

action_dir, event, base_ref, runner_temp = sys.argv[1:5]
action = yaml.safe_load(open(os.path.join(action_dir, "action.yml")))
inputs = {k: str(v.get("default", "")) for k, v in action["inputs"].items()}
for arg in sys.argv[5:]:
    key, _, value = arg.partition("=")
    if key not in inputs:
        sys.exit(f"package_action.py: no input {key}")
    inputs[key] = value
steps = {}
context = {
    "github.event_name": event,
    "github.base_ref": base_ref if event == "pull_request" else "",
    "github.repository": "org/policies",
    "github.event.pull_request.head.repo.full_name": "org/policies",
}


def lookup(path):
    if path in context:
        return context[path]
    parts = path.split(".")
    if parts[0] == "inputs":
        return inputs[parts[1]]
    if parts[0] == "steps":
        step = steps.get(parts[1], {})
        if parts[2] == "outcome":
            return step.get("outcome", "")
        return step.get("outputs", {}).get(parts[3], "")
    raise SystemExit(f"package_action.py: unknown context {path}")


def evaluate(expr, failed):
    """The few expression forms action.yml uses, as Python."""
    expr = expr.strip()
    if expr.startswith("${{") and expr.endswith("}}"):
        expr = expr[3:-2]
    expr = expr.replace("!cancelled()", "True")
    strings = []

    def keep(match):
        strings.append(match.group(0))
        return f"__s{len(strings) - 1}__"

    expr = re.sub(r"'[^']*'", keep, expr)
    expr = re.sub(
        r"\b[a-z_][\w-]*(\.[a-z_][\w-]*)+",
        lambda m: repr(lookup(m.group(0))),
        expr,
    )
    expr = expr.replace("&&", " and ").replace("||", " or ")
    expr = re.sub(r"!(?!=)", " not ", expr)
    expr = re.sub(r"__s(\d+)__", lambda m: strings[int(m.group(1))], expr)
    return eval("(" + expr + ")", {"True": True})  # noqa: S307 - our own action.yml


def substitute(text):
    return re.sub(r"\$\{\{(.*?)\}\}", lambda m: str(evaluate(m.group(1), False)), str(text))


paths = []
failed = False
for step in action["runs"]["steps"]:
    name = step.get("name", step.get("uses"))
    condition = step.get("if")
    if condition is None:
        run_it = not failed
    else:
        text = str(condition)
        run_it = (not failed or "cancelled()" in text or "always()" in text) and evaluate(text, failed)
    if not run_it:
        print(f"[action] skipped: {name}", file=sys.stderr)
        continue
    if "uses" in step:
        print(f"[action] would run {step['uses']}: {name}", file=sys.stderr)
        continue
    output = os.path.join(runner_temp, f"output-{len(steps)}")
    open(output, "w").close()
    env = dict(os.environ)
    env.update({k: substitute(v) for k, v in step.get("env", {}).items()})
    env.update(
        GITHUB_OUTPUT=output,
        GITHUB_PATH=os.path.join(runner_temp, "path"),
        RUNNER_TEMP=runner_temp,
        GITHUB_ACTION_PATH=action_dir,
        PATH=os.pathsep.join(paths + [env["PATH"]]),
    )
    print(f"[action] run: {name}", file=sys.stderr)
    code = subprocess.call(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], env=env, stdout=sys.stderr
    )
    outputs = {}
    for line in open(output):
        key, _, value = line.rstrip("\n").partition("=")
        outputs[key] = value
    if os.path.exists(env["GITHUB_PATH"]):
        paths = [p for p in open(env["GITHUB_PATH"]).read().split("\n") if p]
    steps[step.get("id", f"_{len(steps)}")] = {"outcome": "success" if code == 0 else "failure", "outputs": outputs}
    if code != 0:
        print(f"[action] failed (exit {code}): {name}", file=sys.stderr)
        failed = True

result = {k: substitute(v["value"]) for k, v in action["outputs"].items()}
print(json.dumps(result, sort_keys=True))
sys.exit(1 if failed else 0)
