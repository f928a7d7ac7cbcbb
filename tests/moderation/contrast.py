"""WCAG contrast measured in the browser from computed styles.

axe-core cannot be fetched on an offline machine, so this computes what its
``color-contrast`` rule checks: every visible text against the first opaque
background behind it (4.5:1, or 3:1 for large text), plus the 3:1 that
WCAG 1.4.11 asks of a control's boundary (used here for the tabs).
"""

from __future__ import annotations

from playwright.sync_api import Page

_SCRIPT = r"""
() => {
  function rgba(text) {
    const m = text.match(/rgba?\(([^)]+)\)/);
    if (!m) return [0, 0, 0, 0];
    const parts = m[1].split(/[ ,/]+/).filter(Boolean).map(Number);
    return [parts[0], parts[1], parts[2], parts.length > 3 ? parts[3] : 1];
  }
  function blend(top, bottom) {
    const a = top[3];
    return [0, 1, 2].map((i) => top[i] * a + bottom[i] * (1 - a)).concat([1]);
  }
  function background(node) {
    const layers = [];
    for (let el = node; el && el.nodeType === 1; el = el.parentElement) {
      const colour = rgba(getComputedStyle(el).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    let result = [255, 255, 255, 1];
    for (const layer of layers.reverse()) result = blend(layer, result);
    return result;
  }
  function luminance(c) {
    const [r, g, b] = c.slice(0, 3).map((v) => {
      v /= 255;
      return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  }
  function ratio(a, b) {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  }
  function visible(el) {
    const style = getComputedStyle(el);
    const box = el.getBoundingClientRect();
    return style.visibility !== "hidden" && style.display !== "none"
      && box.width > 0 && box.height > 0 && !el.closest("[hidden]");
  }
  const problems = [];
  for (const el of document.body.querySelectorAll("*")) {
    if (["SCRIPT", "STYLE", "IMG"].includes(el.tagName) || !visible(el)) continue;
    const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
    const field = ["INPUT", "SELECT", "TEXTAREA", "BUTTON"].includes(el.tagName);
    if (!own && !field) continue;
    const style = getComputedStyle(el);
    const bg = background(el);
    const fg = blend(rgba(style.color), bg);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    const needed = large ? 3 : 4.5;
    const found = ratio(fg, bg);
    if (found < needed) {
      const what = `${el.tagName.toLowerCase()}.${el.className}`;
      const text = el.textContent.trim().slice(0, 30);
      problems.push(`${what} "${text}" ${found.toFixed(2)}:1 < ${needed}`);
    }
  }
  for (const tab of document.querySelectorAll("[role=tab]")) {
    if (!visible(tab)) continue;
    const style = getComputedStyle(tab);
    const outside = background(tab.parentElement);
    const edge = rgba(style.borderTopColor)[3] > 0 && parseFloat(style.borderTopWidth) > 0
      ? rgba(style.borderTopColor) : background(tab);
    const found = ratio(edge, outside);
    const name = tab.textContent.trim();
    if (found < 3) problems.push(`tab "${name}" boundary ${found.toFixed(2)}:1 < 3`);
  }
  return problems;
}
"""


def low_contrast(page: Page) -> list[str]:
    """Every text or tab on the page below its WCAG contrast minimum."""
    problems: list[str] = page.evaluate(_SCRIPT)
    return problems
