"""Mutation testing of the pure rule modules (mutmut), module by module. Not a test and
not in CI: run it after changing a rule module, and record the score in the README.

    .venv/bin/pip install -e '.[dev,mutation]'            # once: mutmut
    .venv/bin/python scripts/mutation.py                  # every module below
    .venv/bin/python scripts/mutation.py identifiers      # modules whose path contains a word
    .venv/bin/python scripts/mutation.py --list           # what it would mutate, with which tests

Each module is mutated on its own, in var/mutation/<module>/, against only the fast unit
tests listed for it (no database, no server), under `nice -n 10` with one mutant at a time
by default: the machine's cores are shared. A surviving mutant either gets a test that
kills it or, when no test can tell it from the original (an equivalent mutant), an entry in
scripts/mutation_equivalents.txt saying why. The script exits non-zero while any survivor
is unexplained, and prints each one's diff.
"""

import argparse
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "var" / "mutation"
EQUIVALENTS = ROOT / "scripts" / "mutation_equivalents.txt"

# The pure rule modules and the fast unit tests that cover each. A new rule module (result
# rules, certificate numbers, subsidy engine, ...) is one more line.
MODULES: dict[str, list[str]] = {
    "app/scoring/rules.py": ["tests/scoring/test_rules.py"],
    "app/reference/identifiers.py": ["tests/reference/test_identifiers.py"],
    "app/exams/assembly.py": ["tests/exams/test_assembly.py"],
    "app/delivery/timer.py": ["tests/delivery/test_timer.py"],
    "app/banks/format.py": ["tests/banks/test_format.py", "tests/banks/test_format_mutants.py"],
    "app/results/rules.py": ["tests/results/test_rules.py", "tests/results/test_rules_mutants.py"],
    "app/accounts/policy.py": ["tests/accounts/test_policy.py"],
}


@dataclass
class Outcome:
    module: str
    counts: dict[str, int] = field(default_factory=dict)
    equivalent: list[tuple[str, str]] = field(default_factory=list)  # (mutant, why)
    unexplained: list[tuple[str, str]] = field(default_factory=list)  # (mutant, diff)
    seconds: float = 0.0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def killed(self) -> int:
        return self.counts.get("killed", 0) + self.counts.get("timeout", 0)

    @property
    def score(self) -> float:
        """Killed among the mutants a test could kill (equivalent ones left out)."""
        killable = self.total - len(self.equivalent)
        return 100.0 * self.killed / killable if killable else 100.0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="*", help="run only modules whose path contains one")
    parser.add_argument("--list", action="store_true", help="show modules and tests, run none")
    parser.add_argument("--jobs", type=int, default=1, help="mutants run at once (default 1)")
    args = parser.parse_args()

    modules = {m: t for m, t in MODULES.items() if not args.only or any(w in m for w in args.only)}
    if not modules:
        parser.error(f"no module matches {args.only}; modules: {', '.join(MODULES)}")
    for module, tests in modules.items():
        missing = [p for p in (module, *tests) if not (ROOT / p).exists()]
        if missing:
            # Files move (one domain split into several): the list above must follow.
            parser.error(f"{', '.join(missing)} not found: update MODULES in {__file__}")
    if args.list:
        for module, tests in modules.items():
            print(f"{module}  <-  {' '.join(tests)}")
        return 0

    if importlib.util.find_spec("mutmut") is None:
        parser.error("mutmut is not installed: .venv/bin/pip install -e '.[dev,mutation]'")
    os.nice(10)  # everything this starts inherits it
    equivalents = load_equivalents()
    outcomes = [
        run_module(module, tests, args.jobs, equivalents) for module, tests in modules.items()
    ]
    report(outcomes)
    return 1 if any(o.unexplained for o in outcomes) else 0


def run_module(
    module: str, tests: list[str], jobs: int, equivalents: dict[tuple[str, str], str]
) -> Outcome:
    """One mutmut run in a scratch directory holding the app, the tests and a config that
    mutates only `module` and selects only `tests`."""
    work = WORK / Path(module).with_suffix("").as_posix().replace("/", ".")
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    for name in ("app", "tests"):
        (work / name).symlink_to(ROOT / name)
    # The project's own pytest settings, plus mutmut's: mutate only `module`, run only `tests`.
    (work / "pyproject.toml").write_text(
        (ROOT / "pyproject.toml").read_text()
        + "\n[tool.mutmut]\n"
        + 'source_paths = ["app"]\n'
        + f"only_mutate = [{toml_string(module)}]\n"
        + f"pytest_add_cli_args_test_selection = [{', '.join(map(toml_string, tests))}]\n"
        # The rule modules are pure: their tests need no plugin but pytest's own.
        + 'pytest_add_cli_args = ["-p", "no:xdist", "-p", "no:cacheprovider"]\n'
        + "use_git_change_detection = false\n"
    )
    print(f"==> {module}  ({' '.join(tests)})", flush=True)
    started = time.monotonic()
    mutmut = [sys.executable, "-m", "mutmut"]
    with (work / "mutmut.log").open("w") as log:  # its progress bar, kept out of the report
        run = subprocess.run(
            [*mutmut, "run", "--max-children", str(jobs)], cwd=work, stdout=log, stderr=log
        )
    outcome = Outcome(module, seconds=time.monotonic() - started)
    if run.returncode != 0:
        log_path = work / "mutmut.log"
        outcome.unexplained.append(("(mutmut run)", f"exited {run.returncode}, see {log_path}"))
        return outcome
    # Statuses and diffs from mutmut's own functions, in one process in the work directory
    # (a `mutmut show` per mutant costs a second each).
    found = json.loads(
        subprocess.run(
            [sys.executable, "-c", _READ_RESULTS],
            cwd=work,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )
    for name, status, diff in found:
        outcome.counts[status] = outcome.counts.get(status, 0) + 1
        if status in ("killed", "timeout"):
            continue
        why = explained(module, diff, equivalents)
        if why is not None and status == "survived":
            outcome.equivalent.append((name, why))
        else:
            outcome.unexplained.append((name, f"[{status}]\n{diff}"))
    return outcome


_READ_RESULTS = """
import json
from mutmut.__main__ import SourceFileMutationData, walk_mutatable_files
from mutmut.mutation.diff_apply import get_diff_for_mutant
from mutmut.stats import status_by_exit_code

found = []
for path in walk_mutatable_files():
    data = SourceFileMutationData(path=path)
    data.load()
    for name, exit_code in data.exit_code_by_key.items():
        status = status_by_exit_code[exit_code]
        diff = "" if status == "killed" else get_diff_for_mutant(name, path=path)
        found.append((name, status, diff))
print(json.dumps(found))
"""


def load_equivalents() -> dict[tuple[str, str], str]:
    """scripts/mutation_equivalents.txt: blocks of `module`, `- <line the original has>`,
    `+ <line the mutant has>` (stripped) and `why: ...`, separated by blank lines."""
    found: dict[tuple[str, str], str] = {}
    if not EQUIVALENTS.exists():
        return found
    for block in re.split(r"\n\s*\n", EQUIVALENTS.read_text()):
        lines = [x.strip() for x in block.splitlines() if x.strip() and not x.startswith("#")]
        if not lines:
            continue
        module = lines[0]
        removed = [x[1:].strip() for x in lines if x.startswith("-")]
        added = [x[1:].strip() for x in lines if x.startswith("+")]
        why = " ".join(x.removeprefix("why:").strip() for x in lines if x.startswith("why:"))
        if not (removed or added) or not why:
            raise SystemExit(f"{EQUIVALENTS}: each entry needs -/+ lines and a why:\n{block}")
        found[(module, "\n".join(["-" + x for x in removed] + ["+" + x for x in added]))] = why
    return found


def explained(module: str, diff: str, equivalents: dict[tuple[str, str], str]) -> str | None:
    changed = [
        x[0] + x[1:].strip()
        for x in diff.splitlines()
        if x[:1] in "-+" and not x.startswith(("---", "+++"))
    ]
    changed = [x for x in changed if x[1:]]
    key = "\n".join([x for x in changed if x[0] == "-"] + [x for x in changed if x[0] == "+"])
    return equivalents.get((module, key))


def toml_string(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def report(outcomes: list[Outcome]) -> None:
    print()
    print("| module | mutants | killed | equivalent | unexplained | score | time |")
    print("|---|---|---|---|---|---|---|")
    for o in outcomes:
        print(
            f"| `{o.module}` | {o.total} | {o.killed} | {len(o.equivalent)} | "
            f"{len(o.unexplained)} | {o.score:.1f}% | {o.seconds / 60:.1f} min |"
        )
    for o in outcomes:
        for name, why in o.equivalent:
            print(f"equivalent  {name}: {why}")
    for o in outcomes:
        for name, diff in o.unexplained:
            print(f"\nUNEXPLAINED  {name}\n{diff}")


if __name__ == "__main__":
    sys.exit(main())
