"""Sample data generator: a realistic district (安康高新区-style) submitting
files into a landing tree, exactly as the data contract describes — and,
on request, breaking it in known places.

    from kaohe.generator import generate
    summary = generate(Path("landing"), date(2026, 7, 1), date(2026, 9, 30), seed=7, bad_rows=True)

Modules: scale (sizes, code widths), names and library (word lists, indicator
library), district (master data), demolition (households), daily (department
submissions), office (events, evaluations, commendations), writers (CSV/GBK/
xlsx output), bad_rows (planted errors and manifests), landing (the driver).
"""

from .landing import business_dates, generate
from .scale import SCALES

__all__ = ["generate", "business_dates", "SCALES"]
