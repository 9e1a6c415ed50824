"""The embedded warehouse's passfile is read as libpq reads it: dbt (KAOHE_PG_PASSWORD) and Superset get the same
password psql and psycopg find."""

import os
import stat

from kaohe.warehouse import dbt_env, read_passfile, url_password, write_passfile


def test_written_passwords_read_back_escaped_and_private(tmp_path):
    path = tmp_path / "pgpass"
    passwords = {"kaohe": "a:b\\c", "kaohe_bi": "plain"}
    write_passfile(path, passwords)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert read_passfile(path) == passwords
    assert "a\\:b\\\\c" in path.read_text()
    assert read_passfile(tmp_path / "missing") == {}


def test_url_password_matches_host_port_database_and_user_like_libpq(tmp_path):
    path = tmp_path / "pgpass"
    path.write_text(
        "# comment\n"
        "db.example:5432:kaohe:kaohe:first\n"
        "*:6432:*:kaohe:second\n"
        "*:*:*:kaohe_bi:bi\\:pw\n"
        "*:*:*:kaohe:fallback\n"
    )
    url = f"postgresql://kaohe@db.example:5432/kaohe?passfile={path}"
    assert url_password(url) == "first"
    assert url_password(url.replace(":5432/", ":6432/")) == "second"
    assert url_password(url.replace("/kaohe?", "/other?")) == "fallback"
    assert url_password(url.replace("//kaohe@", "//kaohe_bi@")) == "bi:pw"
    assert url_password(url.replace("//kaohe@", "//nobody@")) is None
    assert url_password(url.replace("//kaohe@", "//kaohe:inline@")) == "inline"  # the URL's own wins
    assert url_password("postgresql://kaohe@h/kaohe") is None
    assert dbt_env(url)["KAOHE_PG_PASSWORD"] == "first"
    spaced = tmp_path / "a b+c"
    spaced.mkdir()
    (spaced / "pgpass").write_text("*:*:*:kaohe:spaced\n")
    assert (
        url_password(
            "postgresql://kaohe@h/kaohe?passfile=" + str(spaced / "pgpass").replace(" ", "%20").replace("+", "%2B")
        )
        == "spaced"
    )
