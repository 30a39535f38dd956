"""What every page must pass in Chromium: axe-core (injected by the test, never served), unique
ids and no sideways scroll."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from playwright.async_api import Page

# From the npm package (`npm pack axe-core@4.14.1`, file package/axe.min.js), licence beside it.
AXE = Path(__file__).resolve().parents[1] / "vendor" / "axe-core-4.14.1.min.js"

# Every rule axe runs by default (WCAG 2.x A and AA, and its best practices), on the whole page.
_RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ['violations']});
  const where = n => n.target.join(' ') + ' ' + n.failureSummary.replace(/\\s+/g, ' ');
  return result.violations.map(
    v => `${v.id} (${v.impact}): ${v.help} | ${v.nodes.map(where).join(' || ')}`);
}"""
_DUPLICATE_IDS = """() => {
  const seen = new Map();
  for (const el of document.querySelectorAll('[id]')) seen.set(el.id, (seen.get(el.id) || 0) + 1);
  return [...seen].filter(([, n]) => n > 1).map(([id, n]) => `${id} x${n}`);
}"""
_SIDEWAYS = "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"


@cache
def _axe_source() -> str:
    return AXE.read_text()


async def axe_violations(page: Page) -> list[str]:
    """axe-core's violations on the page as it is now (evaluated by the test, so the page's CSP,
    which allows only its own scripts, neither blocks it nor reports it)."""
    if not await page.evaluate("typeof window.axe !== 'undefined'"):
        await page.evaluate(_axe_source())
    violations: list[str] = await page.evaluate(_RUN_AXE)
    return violations


async def duplicate_ids(page: Page) -> list[str]:
    found: list[str] = await page.evaluate(_DUPLICATE_IDS)
    return found


async def scrolls_sideways(page: Page) -> bool:
    width, client = await page.evaluate(_SIDEWAYS)
    return bool(width > client)


async def assert_page_is_sound(page: Page, *, ids: bool = True) -> None:
    """axe-core clean, no sideways scroll and (unless told) every id once."""
    where = page.url
    assert not await scrolls_sideways(page), f"{where} scrolls sideways"
    if ids:
        assert await duplicate_ids(page) == [], f"{where} repeats ids"
    violations = await axe_violations(page)
    assert violations == [], f"{where}: " + "\n".join(violations)
