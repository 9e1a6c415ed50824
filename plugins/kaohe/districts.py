"""The districts of one network (one-network.md, Districts): who is registered, and the default one.

A district is registered before its data is loaded (``kaohe district add HB --name 汉滨区``); registering
again updates its name and city, and a code is never removed, so it can never be reused for another
district. The deployment's *default district* — the one whose date folders sit at the top of the landing
root — is stored in the warehouse on first use from ``KAOHE_DISTRICT`` / ``KAOHE_DISTRICT_NAME``; a later,
different ``KAOHE_DISTRICT`` is an error, since every row already loaded carries the stored code.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from kaohe.settings import settings

if TYPE_CHECKING:
    from psycopg import Connection

CODE_PATTERN = re.compile(r"^[A-Z][A-Z0-9]{1,11}$")
DEFAULT_CODE, DEFAULT_NAME = "AKGX", "安康高新区"

DISTRICTS_SQL = r"""
create schema if not exists ops;
create table if not exists ops.districts (
    district_code  text primary key check (district_code ~ '^[A-Z][A-Z0-9]{1,11}$'),
    district_name  text not null check (btrim(district_name) <> ''),
    city           text,
    is_default     boolean not null default false,
    registered_at  timestamptz not null default clock_timestamp(),
    updated_at     timestamptz not null default clock_timestamp()
);
create unique index if not exists districts_one_default on ops.districts (is_default) where is_default;
comment on table ops.districts is
  'The registered districts of the network (kaohe district add). is_default: the district whose date folders sit at the top of the landing root. Codes are never deleted or reused.';
"""


class DistrictError(ValueError):
    """A district code or registration Kaohe cannot use (the message says why, in one line)."""


@dataclass(frozen=True)
class District:
    code: str
    name: str
    city: str | None
    is_default: bool


def normalised_code(text: str) -> str:
    """The district code as stored: upper-cased; 2–12 of A–Z and 0–9, starting with a letter."""
    code = (text or "").strip().upper()
    if not CODE_PATTERN.match(code):
        raise DistrictError(
            f"'{text}' is not a district code: 2 to 12 letters A–Z and digits, starting with a letter (e.g. HB, XY2)"
        )
    return code


def _rows(conn: Connection, where: str = "", params: tuple = ()) -> list[District]:
    return [
        District(*row)
        for row in conn.execute(
            "select district_code, district_name, city, is_default from ops.districts"
            f" {where} order by not is_default, district_code",
            params,
        ).fetchall()
    ]


def ensure_districts(conn: Connection) -> District:
    """The registry's table, and the default district registered from the settings on first use."""
    conn.execute(DISTRICTS_SQL)
    current = settings()
    wanted = normalised_code(current.district) if current.district else None
    with conn.transaction():
        conn.execute("lock table ops.districts in share row exclusive mode")  # two first runs: one default
        stored = _rows(conn, "where is_default")
        if stored:
            default = stored[0]
            if wanted and wanted != default.code:
                raise DistrictError(
                    f"this warehouse's default district is {default.code}, not {wanted} (KAOHE_DISTRICT):"
                    f" unset KAOHE_DISTRICT, or register {wanted} with `kaohe district add {wanted} --name …`"
                    f" and deliver its files under <landing>/{wanted}/"
                )
            if current.district_name and current.district_name != default.name:
                conn.execute(
                    "update ops.districts set district_name = %s, updated_at = clock_timestamp()"
                    " where district_code = %s",
                    (current.district_name, default.code),
                )
                default = _rows(conn, "where is_default")[0]
            return default
        code, name = wanted or DEFAULT_CODE, current.district_name or DEFAULT_NAME
        conn.execute(
            "insert into ops.districts (district_code, district_name, is_default) values (%s, %s, true)"
            " on conflict (district_code) do update set is_default = true, updated_at = clock_timestamp()",
            (code, name),
        )
        _ensure_roles(conn, code)  # registered like any district: it has its reader roles too
        return _rows(conn, "where is_default")[0]


def register(conn: Connection, code: str, name: str, city: str | None = None) -> District:
    """Register a district (or update its name and city) and create its two reader roles."""
    code = normalised_code(code)
    name = (name or "").strip()
    if not name:
        raise DistrictError(f"district {code} needs a name (--name 名称)")
    ensure_districts(conn)
    with conn.transaction():
        conn.execute(
            "insert into ops.districts (district_code, district_name, city) values (%s, %s, %s)"
            " on conflict (district_code) do update"
            " set district_name = excluded.district_name, city = coalesce(excluded.city, ops.districts.city),"
            " updated_at = clock_timestamp()",
            (code, name, (city or "").strip() or None),
        )
    _ensure_roles(conn, code)
    return _rows(conn, "where district_code = %s", (code,))[0]


def _ensure_roles(conn: Connection, code: str) -> None:
    from kaohe.access import district_roles, ensure_district_roles
    from kaohe.warehouse import embedded_passfile_of, remembered_password

    passfile = embedded_passfile_of(conn)
    passwords = {role: remembered_password(passfile, role) for role in district_roles(code)} if passfile else None
    ensure_district_roles(conn, code, passwords)


def registered(conn: Connection) -> list[District]:
    """Every registered district, the default first."""
    ensure_districts(conn)
    return _rows(conn)


def named(conn: Connection, code: str | None) -> District:
    """The district a command names with ``--district``; it may be left out while only one is registered."""
    districts = registered(conn)
    if code is None:
        if len(districts) == 1:
            return districts[0]
        codes = ", ".join(d.code for d in districts)
        raise DistrictError(f"{len(districts)} districts are registered ({codes}): name one with --district")
    wanted = normalised_code(code)
    for district in districts:
        if district.code == wanted:
            return district
    raise DistrictError(f"district {wanted} is not registered (kaohe district list; kaohe district add)")
