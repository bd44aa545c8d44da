"""BMI category; typed."""

ORIGINAL = r'''"""Body mass index."""


def bmi_category(weight_kg: float, height_m: float) -> str:
    """'underweight', 'normal', 'overweight' or 'obese'."""
    bmi = weight_kg / height_m**2
    if bmi < 18.5:
        return "underweight"
    if bmi < 25:
        return "normal"
    if bmi < 30:
        return "overweight"
    return "obese"
'''

REFACTOR = r'''"""Body mass index."""

BANDS = [(18.5, "underweight"), (25, "normal"), (30, "overweight")]


def bmi_category(weight_kg: float, height_m: float) -> str:
    """'underweight', 'normal', 'overweight' or 'obese'."""
    bmi = weight_kg / height_m**2
    for limit, name in BANDS:
        if bmi < limit:
            return name
    return "obese"
'''

BUG = ("bmi < 25", "bmi < 24")

TESTS = r"""from main import bmi_category


def test_normal():
    assert bmi_category(70.0, 1.8) == "normal"
"""

DIFFERS = [("bmi_category", {"weight_kg": 24.5, "height_m": 1.0})]
