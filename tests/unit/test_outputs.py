"""Every output folder is a function of the warehouse (kaohe.outputs): the embedded warehouse's own database keeps
the documented paths, any other warehouse gets its own folder, KAOHE_REPORTS still wins."""

from pathlib import Path

import pytest
from kaohe import outputs
from kaohe.warehouse import EmbeddedWarehouse, database_url


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    monkeypatch.setenv("KAOHE_HOME", str(tmp_path))
    monkeypatch.delenv("KAOHE_REPORTS", raising=False)
    monkeypatch.delenv("KAOHE_WAREHOUSE_URL", raising=False)
    embedded = EmbeddedWarehouse.default()
    embedded.home.mkdir(parents=True)
    embedded.port_file.write_text("54321")  # as after a start: no server is needed to name folders
    return tmp_path


def test_the_embedded_warehouse_keeps_the_documented_paths(home):
    url = EmbeddedWarehouse.default().url()
    assert outputs.notices_dir(url) == home / "reports" / "notices"
    assert outputs.data_docs_dir(url) == home / "gx" / "data_docs"
    assert outputs.notices_dir() == home / "reports" / "notices"  # no URL: the warehouse in use, the embedded one


def test_another_warehouse_gets_its_own_folder_named_without_secrets(home, monkeypatch):
    other = "postgresql://kaohe:s3cret@db.example.org:6432/kaohe_hb?sslmode=require"
    assert outputs.warehouse_key(other) == "db.example.org_6432_kaohe_hb"
    assert outputs.notices_dir(other) == home / "warehouses" / "db.example.org_6432_kaohe_hb" / "reports" / "notices"
    assert outputs.data_docs_dir(other) == home / "warehouses" / "db.example.org_6432_kaohe_hb" / "gx" / "data_docs"
    assert "s3cret" not in str(outputs.warehouse_dir(other)) and "kaohe:" not in str(outputs.warehouse_dir(other))
    monkeypatch.setenv("KAOHE_WAREHOUSE_URL", other)
    assert outputs.notices_dir() == outputs.notices_dir(other)  # no URL: KAOHE_WAREHOUSE_URL's


def test_another_database_or_port_of_the_embedded_server_is_another_warehouse(home):
    embedded = EmbeddedWarehouse.default().url()
    assert outputs.warehouse_key(database_url(embedded, "t_1")) == "127.0.0.1_54321_t_1"
    assert outputs.warehouse_key(embedded.replace(":54321/", ":54322/")) == "127.0.0.1_54322_kaohe"


def test_keys_are_single_safe_folder_names_and_never_collide(home):
    odd = [database_url("postgresql://u@h:5432/x", name) for name in ("a/b", "a:b", "a b", "..", "a-b", "考核")]
    keys = [outputs.warehouse_key(url) for url in odd]
    assert len(set(keys)) == len(keys)
    for key in keys:
        assert "/" not in key and key not in (".", "..") and " " not in key and ":" not in key
        assert (home / key).resolve().parent == home.resolve()
    assert outputs.warehouse_key("postgresql://u@h:5432/a-b") == "h_5432_a-b"  # readable when it can be


def test_kaohe_reports_wins_and_districts_have_room(home, monkeypatch):
    other = "postgresql://kaohe@db:5432/kaohe"
    assert (
        outputs.notices_dir(other, district="HB")
        == home / "warehouses" / "db_5432_kaohe" / "districts" / "HB" / "reports" / "notices"
    )
    assert outputs.warehouse_dir(other, district="../x").parent.name == "districts"  # never out of its folder
    monkeypatch.setenv("KAOHE_REPORTS", str(home / "mounted"))
    assert outputs.notices_dir(other) == home / "mounted" / "notices"
    assert outputs.notices_dir(other, district="HB") == home / "mounted" / "districts" / "HB" / "notices"
    assert outputs.data_docs_dir(other) == home / "warehouses" / "db_5432_kaohe" / "gx" / "data_docs"
