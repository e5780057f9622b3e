"""Intraclass correlations: the published Shrout & Fleiss (1979) example, a hand-computed case,
and `flask assessments agreement` with its refusals."""

from __future__ import annotations

import pytest

from training.assessments.agreement import ICC_NAMES, format_results, icc_all, mean_squares

# Shrout & Fleiss (1979), Table 2: six targets rated by four judges.
SHROUT_FLEISS = [
    [9, 2, 5, 8],
    [6, 1, 3, 2],
    [8, 4, 6, 8],
    [7, 1, 2, 6],
    [10, 5, 6, 9],
    [6, 2, 4, 7],
]
# Table 4 of the paper, to the two decimals it prints.
PUBLISHED = {
    "ICC(1,1)": 0.17,
    "ICC(2,1)": 0.29,
    "ICC(3,1)": 0.71,
    "ICC(1,k)": 0.44,
    "ICC(2,k)": 0.62,
    "ICC(3,k)": 0.91,
}


def test_shrout_fleiss_mean_squares():
    m = mean_squares(SHROUT_FLEISS)
    # Table 3 of the paper: BMS 11.24, WMS 6.26, JMS 32.49, EMS 1.02.
    assert (round(float(m.bms), 2), round(float(m.wms), 2)) == (11.24, 6.26)
    assert (round(float(m.jms), 2), round(float(m.ems), 2)) == (32.49, 1.02)


def test_shrout_fleiss_worked_example():
    results = icc_all(SHROUT_FLEISS)
    assert {name: round(value, 2) for name, value in results.items()} == PUBLISHED
    assert format_results(results) == [
        "ICC(1,1) 0.166",
        "ICC(2,1) 0.290",
        "ICC(3,1) 0.715",
        "ICC(1,k) 0.443",
        "ICC(2,k) 0.620",
        "ICC(3,k) 0.909",
    ]


def test_hand_computed_constant_offset():
    """Rater B always scores one more than rater A: perfectly consistent, not in absolute agreement.

    grand mean 2.5; BMS = 2·((−1)² + 0² + 1²)/2 = 2; JMS = 3·(0.25 + 0.25)/1 = 1.5;
    SST = 5.5, so WMS = (5.5 − 4)/3 = 0.5 and EMS = (5.5 − 4 − 1.5)/2 = 0.
    """
    results = icc_all([[1, 2], [2, 3], [3, 4]])
    assert results["ICC(3,1)"] == pytest.approx(1.0)
    assert results["ICC(3,k)"] == pytest.approx(1.0)
    assert results["ICC(2,1)"] == pytest.approx(2 / 3)  # 2 / (2 + 0 + 2·1.5/3)
    assert results["ICC(2,k)"] == pytest.approx(0.8)  # 2 / (2 + 1.5/3)
    assert results["ICC(1,1)"] == pytest.approx(0.6)  # (2 − 0.5) / (2 + 0.5)
    assert results["ICC(1,k)"] == pytest.approx(0.75)  # (2 − 0.5) / 2


def test_row_order_does_not_change_the_result():
    assert icc_all(SHROUT_FLEISS) == icc_all(list(reversed(SHROUT_FLEISS)))


def test_no_variance_is_undefined_not_a_crash():
    results = icc_all([[2, 2], [2, 2]])
    assert set(results) == set(ICC_NAMES)
    assert results["ICC(3,1)"] is None
    assert format_results(results)[2] == "ICC(3,1) undefined"


def _csv(rows) -> str:
    lines = ["target,rater,score"]
    for t, row in enumerate(rows, start=1):
        for j, score in enumerate(row):
            lines.append(f"t{t},{'ABCD'[j]},{score}")
    return "\n".join(lines) + "\n"


def test_cli_prints_the_six_coefficients(runner, tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text(_csv(SHROUT_FLEISS), encoding="utf-8")
    result = runner.invoke(args=["assessments", "agreement", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "ICC(1,1) 0.166",
        "ICC(2,1) 0.290",
        "ICC(3,1) 0.715",
        "ICC(1,k) 0.443",
        "ICC(2,k) 0.620",
        "ICC(3,k) 0.909",
    ]


def test_cli_accepts_columns_in_any_order_and_decimals(runner, tmp_path):
    path = tmp_path / "ratings.csv"
    path.write_text("\ufeffscore,target,rater\n1.5,a,x\n2.5,a,y\n2.5,b,x\n3.5,b,y\n3,c,x\n4,c,y\n", encoding="utf-8")
    result = runner.invoke(args=["assessments", "agreement", str(path)])
    assert result.exit_code == 0, result.output
    assert len(result.output.splitlines()) == 6


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("target,rater,score\nt1,A,1\nt1,B,2\nt2,A,3\n", ":4: target 't2' has no score from rater 'B'"),
        ("target,rater,score\nt1,A,1\nt2,A,2\n", ": 1 rater(s) found; agreement needs at least two"),
        ("target,rater,score\nt1,A,1\nt1,B,2\n", ": 1 target(s) found; agreement needs at least two"),
        ("target,rater,score\nt1,A,1\nt1,B,two\n", ":3: score 'two' is not a number"),
        ("target,rater,score\nt1,A,1\nt1,B,nan\n", ":3: score 'nan' is not a number"),
        ("target,rater,score\nt1,A,1\nt1,A,2\n", ":3: target 't1' already has a score from rater 'A'"),
        ("target,rater,score\nt1,A\n", ":2: expected three values: target,rater,score"),
        ("who,what\n", ":1: expected the columns target,rater,score, found who,what"),
        ("", ":1: the file is empty"),
    ],
)
def test_cli_refuses_with_a_line_numbered_message(runner, tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(args=["assessments", "agreement", str(path)])
    assert result.exit_code == 1
    assert f"Error: {path}{message}" in result.output
    assert "ICC" not in result.output


def test_cli_refuses_a_missing_file(runner, tmp_path):
    result = runner.invoke(args=["assessments", "agreement", str(tmp_path / "nope.csv")])
    assert result.exit_code != 0
    assert "nope.csv" in result.output
