"""The SVG chart: accessible, escaped, CSP-friendly."""

import re
import xml.etree.ElementTree as ET

from kairan.kpi.charts import bar_chart, format_number, nice_maximum

SVG = "{http://www.w3.org/2000/svg}"


def test_chart_is_labelled_escaped_and_has_no_style_attributes():
    series = [("2025-01", 3), ("2025-02", 10), ("2025-03", 0)]
    markup = bar_chart("kpi-x-chart", "<script>alert(1)</script> & co", 'desc "quoted"', series)
    root = ET.fromstring(markup)  # well-formed XML: nothing unescaped broke it
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "kpi-x-chart-title kpi-x-chart-desc"
    assert root.find(f"{SVG}title").text == "<script>alert(1)</script> & co"
    assert root.find(f"{SVG}title").get("id") == "kpi-x-chart-title"
    assert root.find(f"{SVG}desc").text == 'desc "quoted"'
    assert "<script" not in markup
    assert "style=" not in markup
    bars = root.findall(f"{SVG}rect")
    assert len(bars) == 3
    heights = [float(b.get("height")) for b in bars]
    assert heights[1] > heights[0] > heights[2] == 0
    assert all(b.get("fill") for b in bars)


def test_long_ranges_label_some_months_only():
    series = [(f"m{i}", i) for i in range(36)]
    markup = bar_chart("c", "t", "d", series)
    labels = re.findall(r">m\d+</text>", markup)
    assert 10 <= len(labels) <= 12


def test_empty_series_still_draws_axes():
    root = ET.fromstring(bar_chart("c", "t", "d", []))
    assert root.findall(f"{SVG}rect") == []
    assert root.findall(f"{SVG}line")


def test_numbers():
    assert format_number(1234) == "1,234"
    assert format_number(2.5) == "2.5"
    assert format_number(3.0) == "3"
    assert nice_maximum(0) == 1
    assert nice_maximum(7) == 10
    assert nice_maximum(120) == 200
    assert nice_maximum(230) == 250


def test_whole_number_series_get_whole_number_ticks():
    ticks = re.findall(r'font-size="12" fill="#1a1a1a">([\d.,]+)</text>',
                       bar_chart("c", "t", "d", [("a", 0), ("b", 1)]))
    assert ticks == ["0", "1", "2", "3", "4"]
    ticks = re.findall(r'font-size="12" fill="#1a1a1a">([\d.,]+)</text>',
                       bar_chart("c", "t", "d", [("a", 0.5)]))
    assert "0.25" in ticks
