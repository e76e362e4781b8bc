"""Money shown one way: fen → yuan text by integer arithmetic, in code and as the `yuan` Jinja filter."""
from decimal import Decimal

import pytest

from app.money import yuan


def test_exact_text_for_whole_numbers_of_fen():
    assert yuan(0) == "0.00"
    assert yuan(5) == "0.05"
    assert yuan(100) == "1.00"
    assert yuan(12345) == "123.45"
    assert yuan(-5) == "-0.05"
    assert yuan(-100) == "-1.00"
    assert yuan(-12345) == "-123.45"
    assert yuan(900719925474099) == "9007199254740.99"
    assert yuan(2**63 - 1) == "92233720368547758.07"  # past float precision: still exact
    assert yuan(-(2**63)) == "-92233720368547758.08"


def test_database_sums_and_whole_floats_read_the_same():
    assert yuan(Decimal(12345)) == "123.45"
    assert yuan(Decimal("-5")) == "-0.05"
    assert yuan(6000.0) == "60.00"


def test_a_fraction_of_a_fen_is_refused_not_rounded():
    with pytest.raises(ValueError, match="not a whole number of fen: 12.5"):
        yuan(12.5)
    with pytest.raises(ValueError, match="not a whole number of fen: Decimal"):
        yuan(Decimal("0.3"))


def test_the_platform_templates_have_the_filter(app):
    template = app.jinja_env.from_string('¥{{ a|yuan }} · {{ "¥" ~ b|yuan ~ "（1 个名额）" }} · {{ c|yuan }}')
    assert template.render(a=12345, b=-5, c=0) == "¥123.45 · ¥-0.05（1 个名额） · 0.00"


def test_the_sandbox_templates_have_the_filter(sandbox):
    assert sandbox.app.jinja_env.from_string("{{ total|yuan }}").render(total=900719925474099) == "9007199254740.99"
