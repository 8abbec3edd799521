#!/usr/bin/env python3
"""`./tenshu update PATH`: bring the template's later changes into an app generated from it.

The app's `tenshu.toml` records the template version that made it, its name and every option
answered. This renders the template twice with those answers, in a temporary folder:

- the base: the template at the app's version, as the app was on the day it was generated;
- the target: the template at the version asked for (this checkout's by default), with the same
  answers or new ones (`--set option=value`).

Then it carries base -> target into the app, file by file, as a three-way merge (git merge-file):

- a file the template did not change stays as the app has it, whatever the user did to it;
- a file the template changed and the user did not is replaced;
- a file both changed is merged; overlapping changes are left with conflict markers and listed;
- a file the template added appears (a file of the same path the user made is merged against
  nothing, so the two meet in conflict markers);
- a file the template removed goes when the user never changed it, and is listed otherwise;
- a file the user deleted stays deleted, and is listed when the template changed it;
- a migration the app already has is never edited (its database may have applied it): a template
  change to one is listed, and new migrations arrive with their own timestamps;
- `tenshu.toml` is rewritten with the target's version and answers.

Nothing is written when the app's git tree is dirty, so `git diff` shows the whole update and
`git reset --hard && git clean -fd` undoes it. `--dry-run` prints the plan and writes nothing.
A version's template is found in the git history of hooks/version.rhai: the first commit that
carries the version, so an app generated from any later commit of that version merges cleanly.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION_FILE = "hooks/version.rhai"
RECORD = "tenshu.toml"
# A migration file of the app's migration crate: never edited by an update.
MIGRATION = re.compile(r"^migration/src/m\d{8}_\d{6}_\w+\.rs$")


class Refusal(Exception):
    """Something the user must fix before the update can run: printed, exit status 1."""


def git(*args: str, cwd: Path = ROOT, check: bool = True) -> str:
    result = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False
    )
    if check and result.returncode != 0:
        raise Refusal(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr.strip()}")
    return result.stdout


# --- the template's versions -------------------------------------------------------------------


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def version_in(text: str) -> str:
    match = re.search(r'VERSION\s*=\s*"(\d+\.\d+\.\d+)"', text)
    if not match:
        raise Refusal(f"{VERSION_FILE} holds no version like \"1.2.3\"")
    return match.group(1)


@dataclass
class Release:
    version: str
    first: str  # the commit that set the version
    last: str  # the last commit before the next version (HEAD for the current one)


def releases() -> list[Release]:
    """Every version in the history of hooks/version.rhai, oldest first."""
    if git("rev-parse", "--is-inside-work-tree", check=False).strip() != "true":
        raise Refusal(f"{ROOT} is not a git clone of the template: updates read its history")
    found: list[Release] = []
    for commit in git("log", "--reverse", "--format=%H", "--", VERSION_FILE).split():
        version = version_in(git("show", f"{commit}:{VERSION_FILE}"))
        if found and found[-1].version == version:
            continue
        if found:
            found[-1].last = git("rev-parse", f"{commit}^").strip()
        found.append(Release(version, commit, commit))
    if found:
        found[-1].last = git("rev-parse", "HEAD").strip()
    return found


def release(version: str, known: list[Release]) -> Release:
    for candidate in known:
        if candidate.version == version:
            return candidate
    shallow = git("rev-parse", "--is-shallow-repository").strip() == "true"
    hint = (
        " This clone is shallow: run `git fetch --unshallow` in it, then run the update again."
        if shallow
        else f" Versions in this checkout: {', '.join(r.version for r in known) or 'none'}."
    )
    raise Refusal(f"version {version} of the template is not in the history of {ROOT}.{hint}")


# --- the template's options and the app's record -----------------------------------------------


@dataclass
class Option:
    name: str
    kind: str  # "bool" or "string"
    choices: list[str]
    default: str


def options_at(commit: str) -> dict[str, Option]:
    """The placeholders of cargo-generate.toml at a commit (one per line, as ci/lib.sh expects)."""
    found: dict[str, Option] = {}
    inside = False
    for line in git("show", f"{commit}:cargo-generate.toml").splitlines():
        if line.startswith("["):
            inside = line.strip() == "[placeholders]"
            continue
        match = re.match(r"^([a-z_]+) = \{(.*)\}\s*$", line)
        if not inside or not match:
            continue
        body = match.group(2)
        kind = re.search(r'type = "(\w+)"', body)
        default = re.search(r'default = "?([^",}\s]*)', body)
        choices = re.search(r"choices = \[([^\]]*)\]", body)
        found[match.group(1)] = Option(
            match.group(1),
            kind.group(1) if kind else "string",
            re.findall(r'"([^"]*)"', choices.group(1)) if choices else [],
            default.group(1) if default else "",
        )
    return found


def read_record(path: Path) -> tuple[str, str, dict[str, str]]:
    """version, name and options of a tenshu.toml, which only the template writes."""
    section, values, options = "", {}, {}
    for number, line in enumerate(path.read_text().splitlines(), 1):
        line = line.split("#", 1)[0].strip() if not line.lstrip().startswith("#") else ""
        if not line:
            continue
        if re.fullmatch(r"\[\w+\]", line):
            section = line[1:-1]
            continue
        match = re.fullmatch(r'([a-z_-]+)\s*=\s*(?:"([^"]*)"|(true|false))', line)
        if not match:
            raise Refusal(f"{path}:{number}: cannot read `{line}`")
        value = match.group(2) if match.group(2) is not None else match.group(3)
        (options if section == "options" else values)[match.group(1)] = value
    if "version" not in values or "name" not in values:
        raise Refusal(f"{path} has no version or name under [template]")
    return values["version"], values["name"], options


def parse_settings(pairs: list[str], flag: str) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name or not value:
            raise Refusal(f"{flag} {pair}: write it as option=value, for example {flag} uploads=true")
        settings[name] = value
    return settings


def check_settings(settings: dict[str, str], known: dict[str, Option], version: str) -> None:
    for name, value in settings.items():
        option = known.get(name)
        if option is None:
            raise Refusal(
                f"version {version} of the template has no option `{name}`; "
                f"its options: {', '.join(known)}"
            )
        allowed = ["true", "false"] if option.kind == "bool" else option.choices
        if allowed and value not in allowed:
            raise Refusal(f"{name}={value}: the values of `{name}` are {', '.join(allowed)}")


# --- rendering -----------------------------------------------------------------------------------


def render(commit: str, name: str, options: dict[str, str], into: Path) -> Path:
    """The app the template at a commit generates with these answers, as files under `into`."""
    source = into / "template"
    source.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    out = into / "out"
    out.mkdir()
    defines = [arg for key, value in options.items() for arg in ("-d", f"{key}={value}")]
    result = subprocess.run(
        ["cargo", "generate", "--path", str(source), "--name", name, "--force", "--silent",
         "--vcs", "none", "--destination", str(out), *defines],
        capture_output=True, text=True, check=False,
    )
    if result.returncode != 0:
        raise Refusal(
            f"the template at {commit[:12]} does not generate with "
            f"{' '.join(f'{k}={v}' for k, v in options.items())}:\n"
            f"{(result.stdout + result.stderr).strip()}"
        )
    return out / name


def files_under(folder: Path) -> set[str]:
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() or path.is_symlink()
    }


# --- the merge -----------------------------------------------------------------------------------


@dataclass
class Change:
    path: str
    action: str  # see ACTIONS
    content: bytes | None = None  # what to write (None: delete or leave)
    mode_from: Path | None = None  # a file whose permission bits the written file takes


# What each action means, in the order the summary lists them. Those in WRITES change the app.
ACTIONS = {
    "updated": "the template changed it and you had not: replaced",
    "merged": "both changed it: merged without conflict",
    "added": "new in the template",
    "removed": "the template removed it and you had not changed it",
    "conflict": "both changed the same lines: resolve the <<<<<<< markers",
    "conflict-binary": "both changed this binary file: yours is kept, compare it with the template's",
    "lock-taken": "both changed Cargo.lock: the template's is taken; cargo adds your own "
    "dependencies back on the next build",
    "kept-deleted": "you deleted it and the template changed it: still deleted",
    "kept-changed": "the template removed it but you had changed it: kept",
    "migration": "the template changed a migration your database may have applied: not edited",
}
WRITES = {"updated", "merged", "added", "removed", "conflict", "lock-taken"}
NOTEWORTHY = {"conflict", "conflict-binary", "lock-taken", "kept-deleted", "kept-changed", "migration"}


def read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def merge_file(ours: bytes, base: bytes, theirs: bytes, labels: list[str]) -> tuple[bytes, int]:
    """git merge-file on three texts: the merged text and the number of conflicts."""
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(scratch) / name
            path.write_bytes(text)
            paths.append(str(path))
        result = subprocess.run(
            ["git", "merge-file", "-p", *(arg for label in labels for arg in ("-L", label)), *paths],
            capture_output=True, check=False,
        )
    if result.returncode < 0 or result.returncode > 127:
        raise Refusal(f"git merge-file failed: {result.stderr.decode(errors='replace')}")
    return result.stdout, result.returncode


def plan(app: Path, base: Path, target: Path, labels: list[str]) -> list[Change]:
    changes = []
    for path in sorted(files_under(base) | files_under(target)):
        if path == RECORD:
            if read(app / path) != read(target / path):
                changes.append(Change(path, "updated", read(target / path), target / path))
            continue
        was, now, yours = read(base / path), read(target / path), read(app / path)
        if was == now or yours == now:
            continue
        if now is None:
            if yours is None:
                continue
            changes.append(Change(path, "removed" if yours == was else "kept-changed"))
        elif yours is None:
            changes.append(Change(path, "added", now, target / path) if was is None
                           else Change(path, "kept-deleted"))
        elif yours == was:
            changes.append(Change(path, "updated", now, target / path))
        elif MIGRATION.match(path) and was is not None:
            changes.append(Change(path, "migration"))
        elif any(b"\0" in text for text in (yours, was or b"", now)):
            changes.append(Change(path, "conflict-binary"))
        else:
            merged, conflicts = merge_file(yours, was or b"", now, labels)
            if conflicts == 0:
                changes.append(Change(path, "merged", merged))
            elif path == "Cargo.lock":
                changes.append(Change(path, "lock-taken", now, target / path))
            else:
                changes.append(Change(path, "conflict", merged))
    return changes


def apply(app: Path, changes: list[Change]) -> None:
    for change in changes:
        if change.action not in WRITES:
            continue
        destination = app / change.path
        if change.action == "removed":
            destination.unlink()
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_bytes(change.content or b"")
        if change.mode_from is not None:
            shutil.copymode(change.mode_from, destination)


# --- what to say ---------------------------------------------------------------------------------


def changelog_between(commit: str, after: str, up_to: str) -> str:
    """The CHANGELOG.md entries of versions after `after`, up to and including `up_to`."""
    text = git("show", f"{commit}:CHANGELOG.md", check=False)
    entries, keep = [], False
    for line in text.splitlines():
        heading = re.match(r"^## (\d+\.\d+\.\d+)", line)
        if heading:
            version = version_key(heading.group(1))
            keep = version_key(after) < version <= version_key(up_to)
        if keep:
            entries.append(line)
    return "\n".join(entries).strip()


def next_steps(changes: list[Change]) -> list[str]:
    written = {change.path for change in changes if change.action in WRITES}
    steps = ["git diff                     # read the update before you commit it"]
    if any(change.action in {"conflict", "conflict-binary"} for change in changes):
        steps.append("resolve the conflicts above, then look for leftover markers: git diff --check")
    if any(MIGRATION.match(path) for path in written):
        steps.append("just migrate up               # the template's new migrations")
    if written & {"package.json", "package-lock.json"}:
        steps.append("npm ci                       # the JavaScript and CSS packages changed")
    steps.append("just audit                   # formatting, lints and every test")
    steps.append('git add -A && git commit -m "Update from the Tenshu template"')
    steps.append("(to undo the whole update instead: git reset --hard && git clean -fd)")
    return steps


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="./tenshu update",
        description="Bring the template's changes since an app was generated into the app, "
        "keeping the app's own changes (a three-way merge per file).",
    )
    parser.add_argument("path", type=Path, help="the generated app (a git repository)")
    parser.add_argument("--to", metavar="VERSION", help="the template version to update to "
                        "(default: this checkout's)")
    parser.add_argument("--set", action="append", default=[], metavar="OPTION=VALUE",
                        help="change an option of the app, e.g. --set uploads=true")
    parser.add_argument("--from", dest="adopt", metavar="VERSION",
                        help="for an app without tenshu.toml: the version it was generated from")
    parser.add_argument("-d", "--define", action="append", default=[], metavar="OPTION=VALUE",
                        help="with --from: an option the app was generated with")
    parser.add_argument("--name", help="with --from: the project name it was generated with "
                        "(default: the package name in its Cargo.toml)")
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    args = parser.parse_args()

    app = args.path.resolve()
    if not (app / "Cargo.toml").is_file():
        raise Refusal(f"{app} holds no Cargo.toml: give the folder of a generated app")
    top = git("rev-parse", "--show-toplevel", cwd=app, check=False).strip()
    if not top or Path(top).resolve() != app:
        raise Refusal(f"{app} is not the top of a git repository: `git init && git add -A && "
                      "git commit` it first, so the update can be read and undone")
    dirty = git("status", "--porcelain", cwd=app)
    if dirty and not args.dry_run:
        raise Refusal(f"{app} has uncommitted changes; commit or stash them first, so the "
                      f"update's changes stand alone:\n{dirty.rstrip()}")

    known = releases()
    if not known:
        raise Refusal(f"no version in the history of {VERSION_FILE}")
    record = app / RECORD
    if args.adopt:
        if record.exists():
            raise Refusal(f"{record} already says how the app was made; drop --from and -d")
        version, options = args.adopt, parse_settings(args.define, "-d")
        name = args.name or package_name(app)
    else:
        if args.define or args.name:
            raise Refusal("-d and --name describe an app without tenshu.toml; use them with --from")
        if not record.exists():
            raise Refusal(f"{app} has no {RECORD}: it was generated before the template recorded "
                          "its version. Adopt it once with --from VERSION -d option=value… "
                          "(the version and options it was generated with; see CHANGELOG.md)")
        version, name, options = read_record(record)
    old = release(version, known)
    target = release(args.to, known) if args.to else known[-1]
    if version_key(target.version) < version_key(old.version):
        raise Refusal(f"the app is at {old.version}, newer than {target.version}")
    # The base is where the version began: an app made from any later commit of it has those
    # later changes on both sides of the merge, which then agree. The target is the version's
    # last state (this checkout's HEAD for its own version).
    base_commit, target_commit = old.first, target.last

    base_options = options_at(old.first)
    check_settings(options, base_options, old.version)
    if args.adopt:
        for option in base_options.values():
            if option.name not in options:
                print(f"assuming the default {option.name}={option.default} (pass -d to say otherwise)")
                options[option.name] = option.default
    target_options = options_at(target_commit)
    changed = parse_settings(args.set, "--set")
    check_settings(changed, target_options, target.version)
    new_options = {key: value for key, value in options.items() if key in target_options}
    new_options.update(changed)
    for option in target_options.values():
        if option.name not in new_options:
            print(f"new option {option.name}: {option.default}, its default "
                  f"(--set {option.name}=… to choose)")

    if git("status", "--porcelain", "--", ".", check=False).strip():
        print(f"note: {ROOT} has uncommitted changes; the update uses its commits only")
    settings = ", ".join(f"{key}: {options.get(key, '(new)')} -> {value}"
                         for key, value in changed.items() if options.get(key) != value)
    print(f"Updating {app} from Tenshu {old.version} to {target.version}"
          f" ({'options: ' + settings if settings else 'options unchanged'})")

    with tempfile.TemporaryDirectory(prefix="tenshu-update-") as scratch:
        base = render(base_commit, name, options, Path(scratch) / "base")
        after = render(target_commit, name, new_options, Path(scratch) / "target")
        labels = ["your app", f"tenshu {old.version}", f"tenshu {target.version}"]
        changes = plan(app, base, after, labels)
        if not args.dry_run:
            apply(app, changes)

    if not changes:
        print(f"Nothing to do: the app already has everything of Tenshu {target.version}.")
        return 0
    if args.dry_run:
        print("The plan (a dry run: nothing is written):")
    for action, meaning in ACTIONS.items():
        paths = [change.path for change in changes if change.action == action]
        if paths:
            title = action.upper() if action in NOTEWORTHY else action
            print(f"\n{title} ({len(paths)}): {meaning}")
            for path in paths:
                print(f"  {path}")
    counts = {action: sum(c.action == action for c in changes) for action in ACTIONS}
    print("\n" + ", ".join(f"{count} {action}" for action, count in counts.items() if count))
    if args.dry_run:
        return 0
    notes = changelog_between(target_commit, old.version, target.version)
    if notes:
        print(f"\nWhat changed (CHANGELOG.md):\n\n{notes}")
    print("\nNext, in " + str(app) + ":")
    for step in next_steps(changes):
        print(f"  {step}")
    return 2 if counts["conflict"] or counts["conflict-binary"] else 0


def package_name(app: Path) -> str:
    match = re.search(r'^\[package\][^\[]*?^name\s*=\s*"([^"]+)"',
                      (app / "Cargo.toml").read_text(), re.MULTILINE | re.DOTALL)
    if not match:
        raise Refusal(f"cannot read the package name of {app}/Cargo.toml: pass --name")
    return match.group(1)


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Refusal as refusal:
        print(f"error: {refusal}", file=sys.stderr)
        sys.exit(1)
