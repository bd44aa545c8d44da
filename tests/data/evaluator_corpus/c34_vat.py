"""VAT breakdown; typed."""

ORIGINAL = r'''"""Sales tax."""


def vat_breakdown(gross: float, rate: float = 0.2) -> dict[str, float]:
    """Net and tax parts of a gross price, rounded to cents."""
    net = gross / (1 + rate)
    return {"net": round(net, 2), "tax": round(gross - net, 2)}
'''

REFACTOR = r'''"""Sales tax."""


def vat_breakdown(gross: float, rate: float = 0.2) -> dict[str, float]:
    """Net and tax parts of a gross price, rounded to cents."""
    net = gross / (1 + rate)
    tax = gross - net
    return {"net": round(net, 2), "tax": round(tax, 2)}
'''

BUG = ("gross / (1 + rate)", "gross / (1 - rate)")

TESTS = r"""from main import vat_breakdown


def test_vat():
    assert vat_breakdown(120.0) == {"net": 100.0, "tax": 20.0}
"""

DIFFERS = [("vat_breakdown", {"gross": 120.0})]
