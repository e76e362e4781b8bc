"""Money as people read it: an integer number of fen as yuan text with two decimals.

Amounts are kept in fen (integers) everywhere; `yuan` is the one way to show them (pages, messages,
exports, the API's *_yuan fields, the WeChat sandbox). Integer arithmetic only, so the text is exact for
any amount and negative amounts read as they should ("-0.05", not "-1.95"). Templates use it as the
`yuan` filter: `{{ order.amount_fen|yuan }}`. Prefixes and suffixes (¥, 元, "—" for none) stay with the
caller.
"""


def yuan(fen):
    """12345 → "123.45", -5 → "-0.05", 0 → "0.00". `fen` is a whole number (an int, or a Decimal or float
    with no fraction, as database sums may give); anything else is a ValueError, never rounded."""
    if not isinstance(fen, int):
        whole = int(fen)
        if whole != fen:
            raise ValueError(f"not a whole number of fen: {fen!r}")
        fen = whole
    sign = "-" if fen < 0 else ""
    units, cents = divmod(abs(fen), 100)
    return f"{sign}{units}.{cents:02d}"


def init_app(app):
    """Register the `yuan` Jinja filter on a Flask app (the platform and the WeChat sandbox)."""
    app.add_template_filter(yuan, "yuan")
