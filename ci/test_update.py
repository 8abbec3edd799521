#!/usr/bin/env python3
"""The merge rules of `./tenshu update` (ci/update.py), on small folders: one case a rule.

ci/update-test.sh runs the whole command on a generated app; these cover the rules a template
change between two real versions may not exercise (migrations, modes, binaries, folders in the
way, the record file), with git merge-file itself doing the merges.
"""

import os
import stat
import sys
import tempfile
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import update  # the module under test, beside this file

MIGRATION = "migration/src/m20260101_000001_create_users.rs"


class Rules(unittest.TestCase):
    def setUp(self):
        folder = tempfile.TemporaryDirectory()
        self.addCleanup(folder.cleanup)
        root = Path(folder.name)
        self.base, self.target, self.app = root / "base", root / "target", root / "app"

    def write(self, where: Path, path: str, text: str, executable: bool = False) -> None:
        file = where / path
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text)
        file.chmod(0o755 if executable else 0o644)

    def files(self, path: str, was=None, now=None, yours=None) -> None:
        for where, text in ((self.base, was), (self.target, now), (self.app, yours)):
            if text is not None:
                self.write(where, path, text)

    def plan(self) -> dict:
        return {
            c.path: c for c in update.plan(self.app, self.base, self.target, ("0.1.0", "0.2.0"))
        }

    def test_a_file_only_the_template_changed_is_replaced(self):
        self.files("a.rs", was="one\n", now="two\n", yours="one\n")
        change = self.plan()["a.rs"]
        self.assertEqual((change.action, change.content), ("updated", b"two\n"))

    def test_a_file_only_the_user_changed_is_left_alone(self):
        self.files("a.rs", was="one\n", now="one\n", yours="mine\n")
        self.assertEqual(self.plan(), {})

    def test_changes_to_different_lines_merge(self):
        self.files(
            "a.rs", was="1\n2\n3\n4\n5\n", now="1\n2\n3\n4\nfive\n", yours="one\n2\n3\n4\n5\n"
        )
        change = self.plan()["a.rs"]
        self.assertEqual((change.action, change.content), ("merged", b"one\n2\n3\n4\nfive\n"))

    def test_changes_to_the_same_line_conflict_with_markers(self):
        self.files("a.rs", was="1\n", now="template\n", yours="user\n")
        change = self.plan()["a.rs"]
        self.assertEqual(change.action, "conflict")
        self.assertIn(
            b"<<<<<<< your app\nuser\n=======\ntemplate\n>>>>>>> tenshu 0.2.0", change.content
        )

    def test_a_file_the_user_deleted_stays_deleted(self):
        self.files("a.rs", was="1\n", now="2\n")
        self.assertEqual(self.plan()["a.rs"].action, "kept-deleted")

    def test_a_removed_file_goes_only_when_the_user_kept_it_as_it_was(self):
        self.files("kept.rs", was="1\n", yours="1\n")
        self.files("changed.rs", was="1\n", yours="mine\n")
        plan = self.plan()
        self.assertEqual(plan["kept.rs"].action, "removed")
        self.assertEqual(plan["changed.rs"].action, "kept-changed")

    def test_an_existing_migration_is_never_edited_nor_removed(self):
        self.files(MIGRATION, was="create\n", now="create, fixed\n", yours="create\n")
        self.files("migration/src/m20260102_000001_create_posts.rs", was="posts\n", yours="posts\n")
        self.files("migration/src/m20260103_000001_create_tags.rs", now="tags\n")
        plan = self.plan()
        self.assertEqual(plan[MIGRATION].action, "migration")
        self.assertEqual(plan["migration/src/m20260102_000001_create_posts.rs"].action, "migration")
        self.assertEqual(plan["migration/src/m20260103_000001_create_tags.rs"].action, "added")
        update.apply(self.app, list(plan.values()))
        self.assertEqual((self.app / MIGRATION).read_text(), "create\n")
        self.assertTrue((self.app / "migration/src/m20260102_000001_create_posts.rs").exists())

    def test_the_executable_bit_follows_the_same_rule_as_the_content(self):
        self.write(self.base, "setup.sh", "run\n")
        self.write(self.target, "setup.sh", "run\n", executable=True)
        self.write(self.app, "setup.sh", "run\n")
        self.write(self.base, "mine.sh", "1\n")
        self.write(self.target, "mine.sh", "2\n")
        self.write(self.app, "mine.sh", "1\n", executable=True)
        plan = self.plan()
        update.apply(self.app, list(plan.values()))
        self.assertTrue(os.access(self.app / "setup.sh", os.X_OK), "the template's +x was lost")
        self.assertEqual((self.app / "mine.sh").read_text(), "2\n")
        self.assertTrue(os.access(self.app / "mine.sh", os.X_OK), "the user's +x was reset")

    def test_a_binary_conflict_keeps_yours_and_puts_the_template_s_beside_it(self):
        for where, data in ((self.base, b"\0a"), (self.target, b"\0b"), (self.app, b"\0c")):
            (where / "static").mkdir(parents=True)
            (where / "static/logo.png").write_bytes(data)
        plan = self.plan()
        self.assertEqual(plan["static/logo.png"].action, "conflict-binary")
        update.apply(self.app, list(plan.values()))
        self.assertEqual((self.app / "static/logo.png").read_bytes(), b"\0c")
        self.assertEqual((self.app / "static/logo.png.tenshu-0.2.0").read_bytes(), b"\0b")

    def test_the_template_s_copy_of_a_binary_never_lands_on_something_already_there(self):
        outside = self.app.parent / "outside.txt"
        outside.write_text("1\n")
        for name, taken in (("a.png", "symlink"), ("b.png", "folder"), ("c.png", "file")):
            for where, data in ((self.base, b"\0a"), (self.target, b"\0b"), (self.app, b"\0c")):
                where.mkdir(exist_ok=True)
                (where / name).write_bytes(data)
            beside = self.app / f"{name}.tenshu-0.2.0"
            if taken == "symlink":
                beside.symlink_to(outside)
            elif taken == "folder":
                beside.mkdir()
            else:
                beside.write_text("mine\n")
        plan = self.plan()
        self.assertEqual({c.action for c in plan.values()}, {"blocked"})
        update.apply(self.app, list(plan.values()))
        self.assertEqual(outside.read_text(), "1\n")
        self.assertEqual((self.app / "c.png.tenshu-0.2.0").read_text(), "mine\n")

    def test_nothing_is_written_through_a_folder_or_a_symlink_in_the_way(self):
        self.files("docs/new.md", now="new\n")
        (self.app / "docs/new.md").mkdir(parents=True)
        outside = self.app.parent / "outside.txt"
        outside.write_text("1\n")
        self.files("link.txt", was="1\n", now="2\n")
        (self.app / "link.txt").symlink_to(outside)
        plan = self.plan()
        self.assertEqual(plan["docs/new.md"].action, "blocked")
        self.assertEqual(plan["link.txt"].action, "blocked")
        update.apply(self.app, list(plan.values()))
        self.assertEqual(outside.read_text(), "1\n")

    def test_the_record_is_always_the_target_s(self):
        self.files(update.RECORD, was='version = "0.1.0"\n', now='version = "0.2.0"\n')
        change = self.plan()[update.RECORD]
        self.assertEqual((change.action, change.content), ("added", b'version = "0.2.0"\n'))

    def test_a_record_is_read_strictly(self):
        record = self.app / update.RECORD
        self.app.mkdir()
        record.write_text(
            '\ufeff# comment\n[template]\nversion = "0.1.0"\ncommit = ""\nname = "demo-app"  # x\r\n'
            '[options]\nauth = true\ncache = "re#dis"\n'
        )
        read = update.read_record(record)
        self.assertEqual((read.version, read.name, read.commit), ("0.1.0", "demo-app", ""))
        self.assertEqual(read.options, {"auth": "true", "cache": "re#dis"})
        for bad in (
            '[package]\nname = "x"\n',
            '[template]\nversion = "0.1.0"\nversion = "0.2.0"\n',
            '[template]\nname = "x"\n',
            '[template]\nversion = "0.1.0"\nname = "../../elsewhere"\n',
            '[template]\nversion = "0.1.0"\nname = "Demo App"\n',
        ):
            record.write_text(bad)
            with self.assertRaises(update.Refusal):
                update.read_record(record)

    def test_versions_are_numbers(self):
        self.assertLess(update.version_key("0.9.0"), update.version_key("0.10.0"))
        for bad in ("", "1", "v1.0.0", "1.0.0-rc1"):
            with self.assertRaises(update.Refusal):
                update.version_key(bad)


if __name__ == "__main__":
    os.umask(stat.S_IWGRP | stat.S_IWOTH)
    unittest.main(verbosity=1)
