"""How big a generated district is, and how wide its codes are.

The contract fixes code shapes (D + 2-4 digits, C + 5-7 digits ...). Widths
are chosen per scale so that every generated code fits and there is still
room for an unused code (all nines) to plant `unknown_*` rows with.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Scale:
    name: str
    departments: int
    cadres: int
    projects_per_year: int
    zones: int
    groups_per_zone: int
    households: tuple[int, int]  # per work group, inclusive range
    dept_width: int
    cadre_width: int
    project_width: int
    group_width: int
    zone_width: int
    household_width: int = 7

    @property
    def groups(self) -> int:
        return self.zones * self.groups_per_zone


SCALES: dict[str, Scale] = {
    # 安康高新区 itself: ~40 departments, 205 key projects, 7 village zones x 3 groups.
    "district": Scale("district", 40, 1200, 205, 7, 3, (40, 120), 2, 5, 3, 2, 1),
    "city": Scale("city", 500, 20_000, 2_000, 50, 4, (40, 120), 3, 5, 4, 3, 2),
    # 9,800 departments keeps D9999 free for the unknown_dept plant.
    "province": Scale("province", 9_800, 400_000, 40_000, 800, 5, (40, 120), 4, 6, 5, 4, 3),
}

# Maximum digits each code pattern allows (contract.yml `codes`).
MAX_WIDTH = {"D": 4, "C": 7, "P": 5, "G": 4, "Z": 3, "H": 9}


def code(prefix: str, number: int, width: int) -> str:
    text = f"{prefix}{number:0{width}d}"
    if len(text) - 1 > MAX_WIDTH[prefix]:
        raise ValueError(f"{text} does not fit the contract's code pattern")
    return text


def unused_code(prefix: str, width: int, used_max: int) -> str:
    """A well-formed code that is not in the master data (all nines)."""
    number = 10**width - 1
    if number <= used_max:
        raise ValueError(f"no free {prefix} code of width {width}")
    return code(prefix, number, width)
