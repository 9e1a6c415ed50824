"""An independent, plain-Python reading of the assessment rulebook, used to cross-check the dbt marts."""
