from kaohe.contract import load_contract, normalise_header, trim


def test_every_kind_of_the_data_contract_is_declared():
    contract = load_contract()
    assert sorted(contract.reference_kinds) == sorted([
        "departments", "cadres", "indicators", "indicator_assignments", "projects", "project_milestones",
        "demolition_groups", "demolition_group_members", "demolition_targets"])
    assert sorted(contract.daily_kinds) == sorted([
        "indicator_progress", "project_progress", "bonus_penalty", "supervision", "evaluations",
        "commendations", "demolition_ledger"])


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
