#!/usr/bin/env python3
"""`./tenshu update PATH`: bring the template's later changes into an app generated from it.

The app's `tenshu.toml` records the template that made it (its version and, when known, the exact
commit), its name and every option answered. This renders the template twice with those answers,
in a temporary folder:

- the base: the template as it was when the app was generated (or last updated);
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
- a migration the app already has is never edited nor removed (its database may have applied it):
  a template change to one is listed, and new migrations arrive with their own timestamps;
- the executable bit follows the same rule as the content;
- `tenshu.toml` is rewritten with the target's version, commit and answers.

Every path is planned before anything is written, and nothing is written when the app's git tree
is dirty, so `git diff` shows the whole update and `git reset --hard && git clean -fd` undoes it.
`--dry-run` prints the plan and writes nothing. Exit status: 0 done, 1 refused (nothing written),
2 done with conflicts to resolve, 3 failed while writing (a disk error, say; undo with git).
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSION_FILE = "hooks/version.rhai"
RECORD = "tenshu.toml"
# What makes the generated app: a commit that touches none of these renders as its parent did.
TEMPLATE_SOURCES = ["template", "hooks", "cargo-generate.toml"]
# A migration file of the app's migration crate: never edited nor removed by an update.
MIGRATION = re.compile(r"^migration/src/m\d{8}_\d{6}_\w+\.rs$")


class Refusal(Exception):
    """Something the user must fix before the update can run: printed, exit status 1."""


class Failure(Exception):
    """The update failed while writing (a disk error, say): printed, exit status 3."""


def git(*args: str, cwd: Path = ROOT, check: bool = True) -> str:
    result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if check and result.returncode != 0:
        raise Refusal(f"git {' '.join(args)} failed in {cwd}:\n{result.stderr.strip()}")
    return result.stdout


# --- the template's versions -------------------------------------------------------------------


def version_key(version: str) -> tuple[int, ...]:
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise Refusal(f'"{version}" is not a version like 0.2.0')
    return tuple(int(part) for part in version.split("."))


def version_in(text: str) -> str:
    match = re.search(r'VERSION\s*=\s*"(\d+\.\d+\.\d+)"', text)
    if not match:
        raise Refusal(f'{VERSION_FILE} holds no version like "1.2.3"')
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
    if git("rev-parse", "--is-shallow-repository").strip() == "true":
        raise Refusal(
            f"{ROOT} is a shallow clone: an update renders the template as it was, which needs "
            "its history. Run `git fetch --unshallow` in it, then the update again."
        )
    found: list[Release] = []
    for commit in git("log", "--reverse", "--format=%H", "--", VERSION_FILE).split():
        version = version_in(git("show", f"{commit}:{VERSION_FILE}"))
        if found and found[-1].version == version:
            continue
        if found:
            found[-1].last = git("rev-parse", f"{commit}^").strip()
        found.append(Release(version, commit, commit))
    if not found:
        raise Refusal(f"no version in the history of {VERSION_FILE}")
    found[-1].last = git("rev-parse", "HEAD").strip()
    return found


def release(version: str, known: list[Release]) -> Release:
    version_key(version)
    for candidate in known:
        if candidate.version == version:
            return candidate
    raise Refusal(
        f"version {version} of the template is not in this checkout ({ROOT}); it has "
        f"{', '.join(r.version for r in known)}. An app newer than the checkout needs a `git pull`."
    )


def is_ancestor(older: str, newer: str) -> bool:
    return (
        subprocess.run(
            ["git", "merge-base", "--is-ancestor", older, newer],
            cwd=ROOT,
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )


def recorded_commit(commit: str, version: Release, record_path: Path) -> str:
    """The full hash of the commit a record names, checked to be one of its version's."""
    if not re.fullmatch(r"[0-9a-f]{7,40}", commit):
        raise Refusal(f'{record_path}: commit = "{commit}" is not a git commit hash')
    full = git("rev-parse", "--verify", "-q", f"{commit}^{{commit}}", check=False).strip()
    if not full or not is_ancestor(full, "HEAD"):
        raise Refusal(
            f"{record_path} records commit {commit[:12]}, which this checkout of the template "
            f"({ROOT}) does not have: the app is newer than the checkout. `git pull` it, then "
            "run the update again."
        )
    if not (is_ancestor(version.first, full) and is_ancestor(full, version.last)):
        raise Refusal(
            f"{record_path} records version {version.version} but commit {commit[:12]}, which "
            f"is not a commit of {version.version}: correct one of them (the commits of "
            f"{version.version} run from {version.first[:12]} to {version.last[:12]})"
        )
    return full


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


@dataclass
class Record:
    version: str
    commit: str  # empty when the app was generated without knowing it (plain cargo generate)
    name: str
    options: dict[str, str]


RECORD_LINE = re.compile(r'([a-z_]+)\s*=\s*(?:"([^"\\]*)"|(true|false))\s*(?:#.*)?')


def read_record(path: Path) -> Record:
    """A tenshu.toml, as the template writes it: [template] and [options], one key = value a line."""
    sections: dict[str, dict[str, str]] = {"template": {}, "options": {}}
    section = None
    text = path.read_text(encoding="utf-8-sig")
    for number, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line in ("[template]", "[options]"):
            section = sections[line[1:-1]]
            continue
        match = RECORD_LINE.fullmatch(line)
        if section is None or not match:
            raise Refusal(
                f"{path}:{number}: cannot read `{line}`; the file holds a [template] section "
                '(version = "0.1.0", name = "my-app") and an [options] section (one option = '
                "value a line), as the template wrote it"
            )
        key = match.group(1)
        if key in section:
            raise Refusal(f"{path}:{number}: `{key}` is given twice")
        section[key] = match.group(2) if match.group(2) is not None else match.group(3)
    template = sections["template"]
    for key in ("version", "name"):
        if not template.get(key):
            raise Refusal(f"{path} has no {key} under [template]")
    check_name(template["name"], str(path))
    return Record(
        template["version"], template.get("commit", ""), template["name"], sections["options"]
    )


def check_name(name: str, source: str) -> None:
    """The rule of the pre hook: what cargo-generate would accept as this app's name."""
    if not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise Refusal(
            f'{source}: the name "{name}" is not a project name (lowercase letters, digits, "-" '
            'and "_", starting with a letter)'
        )


def parse_settings(pairs: list[str], flag: str) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, equals, value = pair.partition("=")
        if not equals or not name or not value:
            raise Refusal(
                f"{flag} {pair}: write it as option=value, for example {flag} uploads=true"
            )
        settings[name] = value
    return settings


def check_settings(
    settings: dict[str, str], known: dict[str, Option], version: str, source: str
) -> None:
    for name, value in settings.items():
        option = known.get(name)
        if option is None:
            raise Refusal(
                f"{source}: the template at {version} has no option `{name}`; "
                f"its options: {', '.join(known)}"
            )
        allowed = ["true", "false"] if option.kind == "bool" else option.choices
        if allowed and value not in allowed:
            raise Refusal(
                f"{source}: {name}={value}; the values of `{name}` are {', '.join(allowed)}"
            )


# --- rendering -----------------------------------------------------------------------------------


def render(commit: str, label: str, name: str, options: dict[str, str], into: Path) -> Path:
    """The app the template at a commit generates with these answers, as files under `into`."""
    source = into / "template"
    source.mkdir(parents=True)
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit], cwd=ROOT, capture_output=True, check=True
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(source)], input=archive, check=True)
    out = into / "out"
    out.mkdir()
    command = ["cargo", "generate", "--path", str(source), "--destination", str(out)]
    command += ["--name", name, "--force", "--silent", "--vcs", "none"]
    for key, value in {"tenshu_commit": commit, **options}.items():
        command += ["-d", f"{key}={value}"]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "RUST_BACKTRACE": "0"},
    )
    if result.returncode != 0:
        output = result.stdout + result.stderr
        # The pre hook's refusal, without cargo-generate's listing of every variable.
        reason = [line for line in output.splitlines() if "Error" in line or "abort" in line]
        raise Refusal(
            f"the template at {label} refuses "
            f"{' '.join(f'{k}={v}' for k, v in options.items())}:\n"
            + "\n".join(reason or output.splitlines()[-5:]).replace("`-d ", "`--set ")
        )
    return out / name


def files_under(folder: Path) -> set[str]:
    return {
        path.relative_to(folder).as_posix()
        for path in folder.rglob("*")
        if path.is_file() or path.is_symlink()
    }


def commits_between(first: str, last: str) -> list[str]:
    """The commits from `first` to `last` that change what the template generates, newest first."""
    between = git("rev-list", f"{first}..{last}", "--", *TEMPLATE_SOURCES).split()
    return [*between, first]


def likeliest_base(
    app: Path, candidates: list[str], name: str, options: dict[str, str], scratch: Path
) -> str:
    """For an app that does not record its commit: the candidate whose render it matches best."""
    if len(candidates) == 1:
        return candidates[0]
    print(
        f"the app does not record the commit it came from: comparing it with the "
        f"{len(candidates)} commits of its version that changed the template",
        end="",
        flush=True,
    )
    best, best_score = candidates[0], None
    for index, commit in enumerate(candidates):
        print(".", end="", flush=True)
        rendered = render(commit, commit[:12], name, options, scratch / f"candidate-{index}")
        # The most files as the app has them, then the fewest lines apart in the others.
        same, lines_apart = 0, 0
        for path in files_under(rendered):
            theirs, yours = read(rendered / path), read(app / path)
            if theirs == yours:
                same += 1
            else:
                lines_apart += lines_between(theirs or b"", yours or b"")
        score = (same, -lines_apart)
        if best_score is None or score > best_score:  # newest first: a tie keeps the newer
            best, best_score = commit, score
    print(f" {best[:12]}")
    return best


def lines_between(one: bytes, other: bytes) -> int:
    """How many lines of the two texts are not common to both."""
    a, b = one.splitlines(), other.splitlines()
    common = sum(
        block.size for block in difflib.SequenceMatcher(None, a, b, False).get_matching_blocks()
    )
    return len(a) + len(b) - 2 * common


# --- the merge -----------------------------------------------------------------------------------


@dataclass
class Change:
    path: str
    action: str  # a key of ACTIONS
    content: bytes | None = None  # what to write (None: delete, or leave as it is)
    executable: bool | None = None  # the executable bit to set (None: leave it)
    beside: bytes | None = None  # the template's copy, written beside a binary conflict…
    beside_path: str = ""  # …at this path


# What each action means, in the order the summary lists them.
ACTIONS = {
    "updated": "the template changed it and you had not: replaced",
    "merged": "both changed it: merged without conflict",
    "added": "new in the template",
    "removed": "the template removed it and you had not changed it",
    "conflict": "both changed the same lines: resolve the <<<<<<< markers",
    "conflict-binary": "both changed this binary file: yours is kept, the template's is beside "
    "it as PATH.tenshu-VERSION",
    "lock-taken": "both changed Cargo.lock: the template's is taken; cargo adds your own "
    "dependencies back on the next build",
    "kept-deleted": "you deleted it and the template changed it: still deleted",
    "kept-changed": "the template removed it but you had changed it: kept",
    "migration": "the template changed or removed a migration your database may have applied: "
    "not touched (a change to the schema needs a new migration)",
    "blocked": "a folder, a symlink or a file of yours is where the template has this path: "
    "not written",
}
NOTEWORTHY = {
    "conflict",
    "conflict-binary",
    "lock-taken",
    "kept-deleted",
    "kept-changed",
    "migration",
    "blocked",
}


def read(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() and not path.is_symlink() else None


def executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def merge_file(ours: bytes, base: bytes, theirs: bytes, labels: list[str]) -> tuple[bytes, int]:
    """git merge-file on three texts: the merged text and the number of conflicts."""
    with tempfile.TemporaryDirectory() as scratch:
        paths = []
        for name, text in (("ours", ours), ("base", base), ("theirs", theirs)):
            path = Path(scratch) / name
            path.write_bytes(text)
            paths.append(str(path))
        result = subprocess.run(
            [
                "git",
                "merge-file",
                "-p",
                *(arg for label in labels for arg in ("-L", label)),
                *paths,
            ],
            capture_output=True,
            check=False,
        )
    if result.returncode < 0 or result.returncode > 127:
        raise Refusal(f"git merge-file failed: {result.stderr.decode(errors='replace')}")
    return result.stdout, result.returncode


def in_the_way(app: Path, path: str) -> bool:
    """A symlink, a folder or a file of the app where the template has `path` or its folders."""
    target = app / path
    if target.is_symlink() or (target.exists() and not target.is_file()):
        return True
    parent = target.parent
    while parent != app:
        if parent.is_symlink() or (parent.exists() and not parent.is_dir()):
            return True
        parent = parent.parent
    return False


def plan(app: Path, base: Path, target: Path, versions: tuple[str, str]) -> list[Change]:
    """Every change of the update from one version to the next, decided before any is written."""
    old, version = versions
    labels = ["your app", f"tenshu {old}", f"tenshu {version}"]
    changes = []
    for path in sorted(files_under(base) | files_under(target)):
        change = decide(app, base, target, path, labels)
        if change is None:
            continue
        if change.beside is not None:
            change.beside_path = f"{path}.tenshu-{version}"
            if in_the_way(app, change.beside_path) or os.path.lexists(app / change.beside_path):
                change = Change(path, "blocked")
        if in_the_way(app, path):
            change = Change(path, "blocked")
        changes.append(change)
    return changes


def decide(app: Path, base: Path, target: Path, path: str, labels: list[str]) -> Change | None:
    """What the update does to one path of the renders, or None when it leaves it alone."""
    was, now, yours = read(base / path), read(target / path), read(app / path)
    x_was, x_now, x_yours = (executable(folder / path) for folder in (base, target, app))
    # The executable bit: the template's when you kept the old one, otherwise yours.
    x_new = x_now if x_yours == x_was else x_yours
    if path == RECORD:
        return Change(path, "updated" if yours else "added", now, x_now) if yours != now else None
    if MIGRATION.match(path) and yours is not None and was is not None:
        return Change(path, "migration") if now != was else None
    if was == now and x_was == x_now:
        return None
    if now is None:
        if yours is None:
            return None
        return Change(path, "removed" if yours == was else "kept-changed")
    if yours is None:
        return Change(path, "added", now, x_now) if was is None else Change(path, "kept-deleted")
    if yours == now or yours == was or was == now:
        content = yours if was == now else now
        if content == yours and x_new == x_yours:
            return None
        return Change(path, "updated", content, x_new)
    if any(b"\0" in text for text in (yours, was or b"", now)):
        return Change(path, "conflict-binary", beside=now)
    merged, conflicts = merge_file(yours, was or b"", now, labels)
    if conflicts == 0:
        if merged == yours and x_new == x_yours:
            return None
        return Change(path, "merged", merged, x_new)
    if path == "Cargo.lock":
        return Change(path, "lock-taken", now, x_now)
    return Change(path, "conflict", merged, x_new)


def apply(app: Path, changes: list[Change]) -> None:
    for change in changes:
        destination = app / change.path
        if change.action == "removed":
            destination.unlink()
        elif change.beside is not None:
            (app / change.beside_path).write_bytes(change.beside)
        elif change.content is not None:
            destination.parent.mkdir(parents=True, exist_ok=True)
            destination.write_bytes(change.content)
            if change.executable is not None:
                mode = destination.stat().st_mode
                executable_bits = (mode & 0o444) >> 2
                destination.chmod(mode | executable_bits if change.executable else mode & ~0o111)


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
    written = {c.path for c in changes if c.content is not None}
    steps = ["git diff                      # read the update before you commit it"]
    if any(c.action in {"conflict", "conflict-binary"} for c in changes):
        steps.append(
            "resolve the conflicts listed above; `git diff --check` finds leftover markers"
        )
    if any(MIGRATION.match(c.path) and c.action == "added" for c in changes):
        steps.append("just migrate up               # the template's new migrations")
    if written & {"package.json", "package-lock.json"}:
        steps.append("npm ci                        # the JavaScript and CSS packages changed")
    steps.append("just audit                    # formatting, lints and every test")
    steps.append('git add -A && git commit -m "Update from the Tenshu template"')
    steps.append("(to undo the whole update instead: git reset --hard && git clean -fd)")
    return steps


def package_name(app: Path) -> str:
    match = re.search(
        r'^\[package\][^\[]*?^name\s*=\s*"([^"]+)"',
        (app / "Cargo.toml").read_text(),
        re.MULTILINE | re.DOTALL,
    )
    if not match:
        raise Refusal(f"cannot read the package name of {app}/Cargo.toml: pass --name")
    return match.group(1)


def main() -> int:
    parser = argparse.ArgumentParser(
        prog="./tenshu update",
        description="Bring the template's changes since an app was generated into the app, "
        "keeping the app's own changes (a three-way merge per file). Exit status: 0 done, "
        "1 refused (nothing written), 2 done with conflicts to resolve, 3 failed while "
        "writing (undo with git).",
    )
    parser.add_argument("path", type=Path, help="the generated app (a git repository)")
    parser.add_argument(
        "--to",
        metavar="VERSION",
        help="the template version to update to (default: this checkout's)",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="OPTION=VALUE",
        help="change an option of the app, e.g. --set uploads=true",
    )
    parser.add_argument(
        "--from",
        dest="adopt",
        metavar="VERSION",
        help="for an app without tenshu.toml: the version it was generated from",
    )
    parser.add_argument(
        "-d",
        "--define",
        action="append",
        default=[],
        metavar="OPTION=VALUE",
        help="with --from: an option the app was generated with",
    )
    parser.add_argument(
        "--name",
        help="with --from: the project name it was generated with "
        "(default: the package name in its Cargo.toml)",
    )
    parser.add_argument("--dry-run", action="store_true", help="print the plan, write nothing")
    args = parser.parse_args()

    app = args.path.resolve()
    if not (app / "Cargo.toml").is_file():
        raise Refusal(f"{app} holds no Cargo.toml: give the folder of a generated app")
    top = git("rev-parse", "--show-toplevel", cwd=app, check=False).strip()
    if not top or Path(top).resolve() != app:
        raise Refusal(
            f"{app} is not the top of a git repository: `git init && git add -A && "
            "git commit` it first, so the update can be read and undone"
        )
    dirty = git("status", "--porcelain", "--untracked-files=all", cwd=app)
    if dirty and not args.dry_run:
        raise Refusal(
            f"{app} has uncommitted changes; commit or stash them first, so the "
            f"update's changes stand alone:\n{dirty.rstrip()}"
        )

    known = releases()
    record_path = app / RECORD
    if args.adopt:
        if record_path.exists():
            raise Refusal(f"{record_path} already says how the app was made; drop --from and -d")
        record = Record(
            args.adopt, "", args.name or package_name(app), parse_settings(args.define, "-d")
        )
    else:
        if args.define or args.name:
            raise Refusal("-d and --name describe an app without tenshu.toml; use them with --from")
        if not record_path.exists():
            raise Refusal(
                f"{app} has no {RECORD}: it was generated before the template recorded "
                "its version. Adopt it once with --from VERSION -d option=value… "
                "(the version and options it was generated with; see CHANGELOG.md)"
            )
        record = read_record(record_path)
    old = release(record.version, known)
    target = release(args.to, known) if args.to is not None else known[-1]
    if version_key(target.version) < version_key(old.version):
        raise Refusal(f"the app is at {old.version}, newer than {target.version}")

    options = dict(record.options)
    source = "-d" if args.adopt else str(record_path)
    if args.adopt:
        check_name(record.name, "--name")
        check_settings(options, options_at(old.first), old.version, source)
    changed = parse_settings(args.set, "--set")
    target_options = options_at(target.last)
    check_settings(changed, target_options, target.version, "--set")
    if git("status", "--porcelain", "--", *TEMPLATE_SOURCES, check=False).strip():
        print(f"note: {ROOT} has uncommitted changes to the template; the update uses its commits")

    with tempfile.TemporaryDirectory(prefix="tenshu-update-") as folder:
        scratch = Path(folder)
        if record.commit:
            base_commit = recorded_commit(record.commit, old, record_path)
        else:
            base_commit = likeliest_base(
                app, commits_between(old.first, old.last), record.name, options, scratch
            )
        # The answers the base asked for: all recorded (an adopted app takes the defaults of
        # those not given), none unknown to it.
        base_options = options_at(base_commit)
        check_settings(options, base_options, old.version, source)
        for name, option in base_options.items():
            if name in options:
                continue
            if not args.adopt:
                raise Refusal(
                    f"{record_path} does not record the option {name}, which the template at "
                    f"{old.version} asks for: add it under [options] as it was answered"
                )
            print(
                f"assuming {name}={option.default}, its default (pass -d {name}=… if the app "
                "was generated otherwise)"
            )
            options[name] = option.default
        new_options = {key: value for key, value in options.items() if key in target_options}
        new_options.update(changed)
        for option in target_options.values():
            if option.name not in new_options:
                print(
                    f"new option {option.name}: {option.default}, its default "
                    f"(--set {option.name}=… to choose)"
                )
        settings = ", ".join(
            f"{key} {options.get(key, '(new)')} -> {value}"
            for key, value in changed.items()
            if options.get(key) != value
        )
        print(
            f"Updating {app}\n  from Tenshu {old.version} ({base_commit[:12]}) to "
            f"{target.version} ({target.last[:12]}); "
            f"{'options: ' + settings if settings else 'options unchanged'}"
        )
        base = render(base_commit, old.version, record.name, options, scratch / "base")
        after = render(target.last, target.version, record.name, new_options, scratch / "target")
        changes = plan(app, base, after, (old.version, target.version))
        dropped = [
            c.path for c in changes if c.action == "migration" and not (after / c.path).exists()
        ]
        if dropped:
            raise Refusal(
                "the update would drop migrations the app has, which its database may have "
                f"applied: {', '.join(dropped)}. An option with tables cannot be turned off by "
                "an update; remove what you no longer want by hand, with a migration that drops "
                "its tables."
            )
        if not args.dry_run:
            try:
                apply(app, changes)
            except OSError as error:
                raise Failure(
                    f"writing the update failed midway ({error}). Undo what was written with "
                    f"`git reset --hard && git clean -fd` in {app}, then run the update again."
                ) from error

    if not [c for c in changes if c.path != RECORD]:
        if not changes:
            print(f"Nothing to do: the app already has everything of Tenshu {target.version}.")
        elif args.dry_run:
            print(f"Only {RECORD} would change, to record {target.version} ({target.last[:12]}).")
        else:
            print(
                f"Only {RECORD} changed, to record {target.version} ({target.last[:12]}): "
                f'commit it (git commit -am "Record Tenshu {target.version}").'
            )
        return 0
    if args.dry_run:
        print("\nThe plan (a dry run: nothing is written):")
        if dirty:
            print(
                "(the app has uncommitted changes: the update itself will refuse until they "
                "are committed)"
            )
    for action, meaning in ACTIONS.items():
        paths = [change.path for change in changes if change.action == action]
        if paths:
            title = action.upper() if action in NOTEWORTHY else action
            print(f"\n{title} ({len(paths)}): {meaning}")
            for path in paths:
                print(f"  {path}")
            if action == "migration":
                print(
                    f"  (the template's change: git -C {ROOT} diff {base_commit[:12]} "
                    f"{target.last[:12]} -- {' '.join('template/' + p for p in paths)})"
                )
    counts = {action: sum(c.action == action for c in changes) for action in ACTIONS}
    print("\n" + ", ".join(f"{count} {action}" for action, count in counts.items() if count))
    if args.dry_run:
        return 0
    notes = changelog_between(target.last, old.version, target.version)
    if notes:
        print(f"\nWhat changed (CHANGELOG.md):\n\n{notes}")
    print(f"\nNext, in {app}:")
    for step in next_steps(changes):
        print(f"  {step}")
    return 2 if counts["conflict"] or counts["conflict-binary"] else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Refusal as refusal:
        print(f"error: {refusal}", file=sys.stderr)
        sys.exit(1)
    except Failure as failure:
        print(f"error: {failure}", file=sys.stderr)
        sys.exit(3)
