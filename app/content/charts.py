"""Bar charts drawn on the server as SVG (no script, no inline style: colours come from staff.css classes)."""
from markupsafe import Markup, escape

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 960, 300, 56, 56, 12
CLASSES = ("bar-a", "bar-b", "bar-c")


def _nice(top):
    """A round axis maximum at or above `top`."""
    if top <= 0:
        return 1
    step = 10 ** (len(str(int(top))) - 1)
    for factor in (1, 2, 5, 10):
        if top <= factor * step:
            return factor * step
    return 10 * step


def bar_chart(labels, series, chart_id, unit=""):
    """Grouped bars: `series` is [(name, values)], one value per label. Returns the SVG and a legend."""
    count = max(1, len(labels))
    top = _nice(max([v for _, values in series for v in values] or [0]))
    plot_w, plot_h = WIDTH - LEFT - 10, HEIGHT - BOTTOM - TOP
    slot = plot_w / count
    bar = max(1.0, slot * 0.8 / max(1, len(series)))
    parts = [f'<svg id="{escape(chart_id)}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(", ".join(name for name, _ in series))}" xmlns="http://www.w3.org/2000/svg">']
    for i in range(5):
        value = top * i / 4
        y = TOP + plot_h - plot_h * i / 4
        parts.append(f'<line class="axis" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - 10}" y2="{y:.1f}"/>')
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:g}{escape(unit)}</text>')
    every = max(1, count // 20)  # at most ~20 labels under the axis
    for i, label in enumerate(labels):
        x0 = LEFT + slot * i + slot * 0.1
        for s, (name, values) in enumerate(series):
            h = plot_h * (values[i] / top) if top else 0
            parts.append(f'<rect class="{CLASSES[s % 3]}" x="{x0 + s * bar:.1f}" y="{TOP + plot_h - h:.1f}" '
                         f'width="{bar:.1f}" height="{h:.1f}"><title>{escape(label)} {escape(name)}: '
                         f'{values[i]:g}{escape(unit)}</title></rect>')
        if i % every == 0:
            x = LEFT + slot * (i + 0.5)
            short = label if len(label) <= 8 else label[:7] + "…"
            parts.append(f'<text x="{x:.1f}" y="{HEIGHT - BOTTOM + 16}" text-anchor="end" '
                         f'transform="rotate(-35 {x:.1f} {HEIGHT - BOTTOM + 16})">{escape(short)}</text>')
    parts.append("</svg>")
    legend = "".join(f'<span><i class="swatch {CLASSES[s % 3]}"></i>{escape(name)}</span>'
                     for s, (name, _) in enumerate(series))
    return Markup("".join(parts) + f'<div class="legend">{legend}</div>')
