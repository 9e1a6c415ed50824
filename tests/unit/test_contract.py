from kaohe.contract import load_contract, normalise_header, trim


def test_every_kind_of_the_data_contract_is_declared():
    contract = load_contract()
    assert sorted(contract.reference_kinds) == sorted(
        [
            "departments",
            "cadres",
            "indicators",
            "indicator_assignments",
            "projects",
            "project_milestones",
            "demolition_groups",
            "demolition_group_members",
            "demolition_targets",
        ]
    )
    assert sorted(contract.daily_kinds) == sorted(
        [
            "indicator_progress",
            "project_progress",
            "bonus_penalty",
            "supervision",
            "evaluations",
            "commendations",
            "demolition_ledger",
        ]
    )


def test_headers_match_in_english_and_chinese_ignoring_case_and_spaces():
    mapping = load_contract().header_map("indicator_assignments")
    assert mapping[normalise_header(" Q3_Target ")] == "q3_target"
    assert mapping[normalise_header("三季度目标")] == "q3_target"
    assert mapping[normalise_header("年度")] == "year"
    assert load_contract().header_map("commendations")[normalise_header("事由")] == "basis"
    assert load_contract().header_map("bonus_penalty")[normalise_header("事由")] == "reason"


def test_enum_labels_map_to_values():
    values = load_contract().enum_values("dept_class")
    assert values["经济发展类"] == "economic" and values["agri"] == "agri"


def test_trim_removes_full_width_spaces():
    assert trim("\u3000 D07 \u3000") == "D07"


def test_every_code_names_master_data_that_exists():
    contract = load_contract()
    for kind in contract.kinds.values():
        for col in kind.columns:
            if col.base_type == "code":
                assert col.type_arg in contract.code_types, f"{kind.name}.{col.name}: unknown code {col.type_arg}"
    for code in contract.code_types.values():
        assert code.help and code.pattern
        if code.references:
            master = contract.kinds[code.references.kind]
            assert master.reference, f"{code.name} names {master.name}, which is no reference kind"
            assert master.column(code.references.column).type == f"code:{code.name}"
            assert code.references.rule.startswith("unknown_")


def test_a_code_given_as_a_bare_pattern_is_refused_with_what_to_add(tmp_path):
    import pytest
    import yaml
    from kaohe.contract import DEFAULT_CONTRACT

    doc = yaml.safe_load(DEFAULT_CONTRACT.read_text(encoding="utf-8"))
    doc["codes"]["dept_code"] = "^D[0-9]{2,4}$"
    copy = tmp_path / "contract.yml"
    copy.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    with pytest.raises(ValueError, match="code dept_code must be a mapping with pattern, help"):
        load_contract(str(copy))
