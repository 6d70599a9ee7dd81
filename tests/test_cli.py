"""The CLI against a real SQLite file."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from tillroll.cli import cli


def invoke(db: Path, *args: str) -> str:
    result = CliRunner().invoke(cli, ["--database-url", f"sqlite:///{db}", *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_migrate_is_idempotent(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    assert "applied: 0001_spine" in invoke(db, "migrate")
    assert "up to date" in invoke(db, "migrate")


def test_merchant_and_keys_lifecycle(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    created = invoke(db, "merchants", "create", "--name", "Kitten Tees")
    assert "number 1" in created and "tr_sk_" in created
    assert "Kitten Tees" in invoke(db, "merchants", "list")
    secret = invoke(db, "keys", "create", "--merchant", "1", "--name", "till", "--scope", "write")
    assert secret.startswith("tr_sk_")
    listing = invoke(db, "keys", "list", "--merchant", "1")
    assert "till" in listing and secret.strip() not in listing
    key_id = next(line.split("\t")[0] for line in listing.splitlines() if "\ttill" in line)
    invoke(db, "keys", "revoke", "--merchant", "1", key_id)
    assert "revoked" in invoke(db, "keys", "list", "--merchant", "1")


def test_unknown_merchant_fails_cleanly(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        cli, ["--database-url", f"sqlite:///{tmp_path / 't.db'}", "keys", "list", "--merchant", "9"]
    )
    assert result.exit_code == 1
    assert "No merchant number 9" in result.output


def test_demo_loads_once_and_keeps_its_key(tmp_path: Path) -> None:
    db, key_file = tmp_path / "t.db", tmp_path / "demo-key"
    first = invoke(db, "demo", "--receipts", "60", "--key-file", str(key_file))
    second = invoke(db, "demo", "--receipts", "60", "--key-file", str(key_file))
    secret = key_file.read_text().strip()
    assert secret.startswith("tr_sk_") and first == second and secret in first
    assert invoke(db, "merchants", "list").count("Tillroll Demo Shop") == 1
    assert invoke(db, "keys", "list", "--merchant", "1").count("\tdemo") == 1


def test_demo_mints_a_new_key_when_the_saved_one_does_not_open_it(tmp_path: Path) -> None:
    db, key_file = tmp_path / "t.db", tmp_path / "demo-key"
    key_file.write_text("tr_sk_not-a-key\n")
    output = invoke(db, "demo", "--receipts", "10", "--key-file", str(key_file))
    secret = key_file.read_text().strip()
    assert secret != "tr_sk_not-a-key" and secret in output
    assert key_file.stat().st_mode & 0o077 == 0


def test_export_receipts_streams_csv_with_progress(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    invoke(db, "demo", "--receipts", "40", "--key-file", str(tmp_path / "k"))
    result = CliRunner().invoke(
        cli, ["--database-url", f"sqlite:///{db}", "export", "receipts", "--merchant", "1"]
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("number,id,external_id,type,issued_at")
    assert len(lines) == 41
    assert "receipts" in result.stderr
