"""Great Expectations validation of landed rows, and the quarantine it drives.

Modules by job: ``specs`` (a rule before it is a GX expectation; the SQL helpers rules are written with),
``typed_values`` (the typed views ``ingest.valid_<kind>`` and the parse expressions), ``in_force`` (master
data in force, as SQL), ``cross_row`` (each kind's rules over other rows), ``suites`` (a kind's suites from the
contract), ``runner`` (running them, the quarantine), ``data_docs`` (the result pages), ``export``
(``expectations/``).
"""
